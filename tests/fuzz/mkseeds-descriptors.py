#!/usr/bin/env python3
# Write the seed inputs of fuzz-descriptors: raw sysfs "descriptors" files of
# typical and awkward devices. Run from the top of the tree.
import struct

def dev(vid, pid, cls=0, sub=0, proto=0, ncfg=1):
    return struct.pack('<BBHBBBBHHHBBBB', 18, 1, 0x0200, cls, sub, proto, 64,
                       vid, pid, 0x0100, 1, 2, 3, ncfg)

def intf(num, c, s, p, alt=0, neps=2):
    d = struct.pack('<BBBBBBBBB', 9, 4, num, alt, neps, c, s, p, 0)
    for e in range(neps):
        d += struct.pack('<BBBBHB', 7, 5, 0x81 + e if e % 2 == 0 else 0x02, 2, 512, 0)
    return d

def cfg(value, body, extra=b''):
    total = 9 + len(extra) + len(body)
    nif = body.count(b'\x09\x04')
    return struct.pack('<BBHBBBBB', 9, 2, total, max(nif, 1), value, 0, 0x80, 50) + extra + body

hid_desc = bytes([9, 0x21, 0x11, 0x01, 0, 1, 0x22, 63, 0])
seeds = {
    'stick': dev(0x0781, 0x5583) + cfg(1, intf(0, 8, 6, 0x50)),
    'composite-stick-keyboard': dev(0x1234, 0x5678) +
        cfg(1, intf(0, 8, 6, 0x50) + intf(1, 3, 1, 1, neps=1)[:9] + hid_desc +
            intf(1, 3, 1, 1, neps=1)[9:]),
    'keyboard': dev(0x046d, 0xc31c) + cfg(1, intf(0, 3, 1, 1, neps=1) + intf(1, 3, 0, 0, neps=1)),
    'hub': dev(0x05e3, 0x0610, 9, 0, 1) + cfg(1, intf(0, 9, 0, 0, neps=1)),
    'two-configs-hid-hidden': dev(0x0951, 0x1666, ncfg=2) + cfg(1, intf(0, 8, 6, 0x50)) +
        cfg(2, intf(0, 3, 1, 1, neps=1)),
    'alt-settings': dev(0x0bda, 0x8153) + cfg(1, intf(0, 0xe0, 1, 1, neps=1) +
        intf(1, 0x0a, 0, 0, neps=0) + intf(1, 0x0a, 0, 0, alt=1)),
    'device-only': dev(0x1d6b, 0x0002, 9, 0, 1, ncfg=0),
    'truncated': (dev(0x0781, 0x5583) + cfg(1, intf(0, 8, 6, 0x50)))[:-5],
}
for name, data in seeds.items():
    with open('tests/fuzz/corpus/descriptors/' + name, 'wb') as f:
        f.write(data)
