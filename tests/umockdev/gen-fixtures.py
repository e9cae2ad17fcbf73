#!/usr/bin/env python3
# Generate the umockdev fixtures of tests/umockdev from a readable description.
# The .umockdev files are committed; run this only to change them:
#   tests/umockdev/gen-fixtures.py tests/umockdev/fixtures
# Each fixture is a sysfs tree: PCI controller, root hub (with its port
# directories carrying connect_type), the device(s) with real raw
# "descriptors" bytes (device + configuration + interface + endpoint/class
# descriptors), their interface children, and device strings as sysfs shows
# them (raw bytes plus the trailing newline), written as H: hex attributes.
import struct
import sys
from pathlib import Path

PCI = "/devices/pci0000:00/0000:00:14.0"


def dev_desc(cls, sub, proto, vid, pid, bcd, ncfg=1):
    return struct.pack("<BBHBBBBHHHBBBB", 18, 1, 0x0200, cls, sub, proto, 64,
                       vid, pid, bcd, 1, 2, 3, ncfg)


def intf(num, cls, sub, proto, neps, alt=0):
    return struct.pack("<BBBBBBBBB", 9, 4, num, alt, neps, cls, sub, proto, 0)


def ep(addr, attr, size, interval=0):
    return struct.pack("<BBBBHB", 7, 5, addr, attr, size, interval)


def hid(report_len):
    return struct.pack("<BBHBBBH", 9, 0x21, 0x0111, 0, 1, 0x22, report_len)


def config(value, nintf, body):
    return struct.pack("<BBHBBBBB", 9, 2, 9 + len(body), nintf, value, 0, 0x80, 50) + body


def storage_intf(num):
    return intf(num, 0x08, 0x06, 0x50, 2) + ep(0x81, 2, 512) + ep(0x02, 2, 512)


def keyboard_intf(num):
    return intf(num, 0x03, 0x01, 0x01, 1) + hid(63) + ep(0x83, 3, 8, 10)


def hexattr(name, data):
    return "H: %s=%s\n" % (name, data.hex())


def device(path, sysname, busnum, devnum, vid, pid, bcd, cls, sub, proto, speed,
           removable, strings, interfaces, port_link, maxchild=0):
    """@interfaces: list of (number, cls, sub, proto, body bytes)."""
    body = b"".join(i[4] for i in interfaces)
    desc = dev_desc(cls, sub, proto, vid, pid, bcd) + config(1, len(interfaces), body)
    out = "P: %s\n" % path
    out += "N: bus/usb/%03d/%03d\n" % (busnum, devnum)
    for k, v in [("SUBSYSTEM", "usb"), ("DEVTYPE", "usb_device"),
                 ("DEVNAME", "/dev/bus/usb/%03d/%03d" % (busnum, devnum)),
                 ("PRODUCT", "%x/%x/%x" % (vid, pid, bcd)), ("TYPE", "%d/%d/%d" % (cls, sub, proto)),
                 ("BUSNUM", "%03d" % busnum), ("DEVNUM", "%03d" % devnum)]:
        out += "E: %s=%s\n" % (k, v)
    attrs = [("idVendor", "%04x" % vid), ("idProduct", "%04x" % pid),
             ("bcdDevice", "%04x" % bcd), ("bDeviceClass", "%02x" % cls),
             ("bDeviceSubClass", "%02x" % sub), ("bDeviceProtocol", "%02x" % proto),
             ("bNumConfigurations", "1"), ("bConfigurationValue", "1"),
             ("bNumInterfaces", "%2d" % len(interfaces)), ("busnum", str(busnum)),
             ("devnum", str(devnum)), ("speed", speed), ("removable", removable),
             ("authorized", "1"), ("maxchild", str(maxchild)), ("version", " 2.00")]
    for k, v in attrs:
        out += "A: %s=%s\n" % (k, v)
    for k in ("manufacturer", "product", "serial"):
        if strings.get(k) is not None:
            out += hexattr(k, strings[k] + b"\n")
    out += hexattr("descriptors", desc)
    if port_link:
        out += "L: port=%s\n" % port_link
    out += "\n"
    for num, icls, isub, iproto, _ in interfaces:
        out += "P: %s/%s:1.%d\n" % (path, sysname, num)
        out += "E: SUBSYSTEM=usb\nE: DEVTYPE=usb_interface\n"
        out += "E: INTERFACE=%d/%d/%d\n" % (icls, isub, iproto)
        for k, v in [("bInterfaceNumber", "%02x" % num), ("bAlternateSetting", " 0"),
                     ("bInterfaceClass", "%02x" % icls), ("bInterfaceSubClass", "%02x" % isub),
                     ("bInterfaceProtocol", "%02x" % iproto), ("authorized", "1")]:
            out += "A: %s=%s\n" % (k, v)
        out += "\n"
    return out


def root_hub(bus, ports):
    """Root hub usbN with its interface and port directories {port: connect_type}."""
    path = "%s/usb%d" % (PCI, bus)
    out = "P: %s/%d-0:1.0\nE: SUBSYSTEM=usb\nE: DEVTYPE=usb_interface\n" % (path, bus)
    out += "A: bInterfaceNumber=00\nA: bInterfaceClass=09\nA: bInterfaceSubClass=00\n"
    out += "A: bInterfaceProtocol=00\n"
    for port, ct in sorted(ports.items()):
        out += "A: usb%d-port%d/connect_type=%s\n" % (bus, port, ct)
    out += "\n"
    desc = dev_desc(9, 0, 1, 0x1d6b, 0x0002, 0x0612) + \
        config(1, 1, intf(0, 9, 0, 0, 1) + ep(0x81, 3, 4, 12))
    out += "P: %s\nE: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\n" % path
    for k, v in [("idVendor", "1d6b"), ("idProduct", "0002"), ("bDeviceClass", "09"),
                 ("bConfigurationValue", "1"), ("speed", "480"), ("removable", "unknown"),
                 ("maxchild", str(max(ports)))]:
        out += "A: %s=%s\n" % (k, v)
    out += hexattr("descriptors", desc)
    out += hexattr("manufacturer", b"Linux 6.1.0 xhci-hcd\n")
    out += hexattr("product", b"xHCI Host Controller\n")
    out += "\nP: %s\nE: SUBSYSTEM=pci\nE: DRIVER=xhci_hcd\nA: class=0x0c0330\n\n" % PCI
    return out


def stick(bus, port, strings, vid=0x0781, pid=0x5583, bcd=0x0100, extra=()):
    name = "%d-%d" % (bus, port)
    intfs = [(0, 8, 6, 0x50, storage_intf(0))] + list(extra)
    return device("%s/usb%d/%s" % (PCI, bus, name), name, bus, 5, vid, pid, bcd, 0, 0, 0,
                  "480", "removable", strings, intfs, "../%d-0:1.0/usb%d-port%d" % (bus, bus, port))


SANDISK = {"manufacturer": b" USB", "product": b" SanDisk 3.2Gen1",
           "serial": b"4C530001230815115532"}

HOSTILE_SERIAL = (b"\x1b[2J\x1b]0;pwned\x07\"\nrm -rf /\xff\xfe\xc3(\x01\x7f"
                  + "\u202e".encode() + b"A" * 300)
HOSTILE = {"manufacturer": b"Evil\x00Hidden", "product": b"Cruzer\x1b[31m\"\\",
           "serial": HOSTILE_SERIAL}


def fixtures():
    yield "plain-stick", stick(2, 1, SANDISK) + root_hub(2, {1: "hotplug", 2: "hotplug"})
    yield "hostile-serial", stick(1, 3, HOSTILE, bcd=0x0110) + root_hub(1, {3: "hotplug"})
    yield "stick-keyboard", stick(1, 4, {"manufacturer": b"Generic", "product": b"Flash Disk",
                                         "serial": b"0123456789AB"},
                                  vid=0x1234, pid=0x5678, bcd=0x0001,
                                  extra=[(1, 3, 1, 1, keyboard_intf(1))]) + \
        root_hub(1, {4: "hotplug"})
    yield "keyboard", device("%s/usb3/3-2" % PCI, "3-2", 3, 2, 0x046d, 0xc31c, 0x6400,
                             0, 0, 0, "1.5", "removable",
                             {"manufacturer": b"Logitech", "product": b"USB Keyboard",
                              "serial": None},
                             [(0, 3, 1, 1, keyboard_intf(0)),
                              (1, 3, 0, 0, intf(1, 3, 0, 0, 1) + hid(159) + ep(0x82, 3, 8, 10))],
                             "../3-0:1.0/usb3-port2") + root_hub(3, {2: "hotplug"})
    # An internal (hard-wired) hub with a stick plugged into its port 2.
    hub_path = "%s/usb1/1-1" % PCI
    hub_intf = [(0, 9, 0, 0, intf(0, 9, 0, 0, 1) + ep(0x81, 3, 1, 12))]
    hub = device(hub_path, "1-1", 1, 2, 0x05e3, 0x0608, 0x6077, 9, 0, 1, "480", "fixed",
                 {"manufacturer": None, "product": b"USB2.0 Hub", "serial": None},
                 hub_intf, "../1-0:1.0/usb1-port1", maxchild=4)
    # the hub's port directory lives under its interface
    p = "P: %s/1-1:1.0\n" % hub_path
    hub = hub.replace(p, p + "A: 1-1-port2/connect_type=hotplug\n")
    behind = device("%s/1-1.2" % hub_path, "1-1.2", 1, 3, 0x0781, 0x5583, 0x0100, 0, 0, 0,
                    "480", "removable", SANDISK, [(0, 8, 6, 0x50, storage_intf(0))],
                    "../1-1:1.0/1-1-port2")
    yield "hub", behind + hub + root_hub(1, {1: "hardwired"})


def main():
    outdir = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "fixtures")
    outdir.mkdir(parents=True, exist_ok=True)
    for name, text in fixtures():
        (outdir / (name + ".umockdev")).write_text(text)


if __name__ == "__main__":
    main()
