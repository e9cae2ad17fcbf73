#!/usr/bin/env python3
# Write the seed inputs of fuzz-event: raw struct mediagate_event records
# (include/uapi/linux/mediagate.h, 512 bytes) as /dev/mediagate returns them.
# Run from the top of the tree.
import os
import struct


def f(b, n):
    return b[:n].ljust(n, b'\0')


def ev(type=1, handle=7, level=1, vid=0x0781, pid=0x5583, cls=0, intfs=((0, 8, 6, 0x50),),
       devpath=b'1-2', serial=b'4C530001231120115142', prod=b'Cruzer', mfr=b'SanDisk',
       removable=1, flags=0, verdict=0):
    h = struct.pack('<IHHQQQIHHHHHBBBBBBBBBBBB', 512, 1, type, 1, handle, 123456789, flags, 1, 2,
                    vid, pid, 0x0100, level, verdict, cls, 0, 0, 0, 0, 0, 0, 3, removable,
                    len(intfs))
    h += b'\0' * 6
    h += f(devpath, 32) + f(b'usb', 32)
    h += f(b''.join(struct.pack('<BBBB', *i) for i in intfs), 128)
    h += f(serial, 128) + f(prod, 64) + f(mfr, 64)
    assert len(h) == 512, len(h)
    return h


seeds = {
    'held-stick': ev(),
    'held-composite-hid': ev(intfs=((0, 8, 6, 0x50), (1, 3, 1, 1))),
    'held-alt-settings': ev(intfs=((0, 8, 6, 0x50), (0, 0xff, 0, 0), (1, 8, 6, 0x50))),
    'held-keyboard-fixed': ev(vid=0x046d, pid=0xc31c, intfs=((0, 3, 1, 1),), removable=2,
                              serial=b''),
    'held-hub': ev(vid=0x05e3, pid=0x0610, cls=9, intfs=((0, 9, 0, 0),)),
    'held-interface-level': ev(level=2, devpath=b'1-2:1.0'),
    'held-hostile-strings': ev(serial=b'\x1b[31m\xff' * 30, prod=b'P' * 64, mfr=b'\x01' * 64,
                               devpath=b'9' * 32, flags=8),
    'removed': ev(type=5),
    'overflow': ev(type=6, handle=0, intfs=()),
}
os.makedirs('tests/fuzz/corpus/event', exist_ok=True)
for name, data in seeds.items():
    with open('tests/fuzz/corpus/event/' + name, 'wb') as out:
        out.write(data)
