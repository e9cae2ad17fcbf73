#!/usr/bin/python3
"""Side-by-side table of one kernel's run (bench/usbguard/README.md).

    analyze.py LABEL RUNDIR

RUNDIR is tests/vm's run directory: marks.log (the guest's "SBS key=value"
INFO markers) and results/sbs-TOOL-PHASE-{kmsg,trace}.txt. The kernel log
(printk) and the trace (ftrace kprobes) share one clock (local_clock), so a
plug is timed from its kernel events only:

    new       "usb X: new ... USB device number N"   enumeration starts
    announce  "usb X: New USB device found"          just before device_add:
                                                     the add uevent / bus notifier
    decision  mediagate: the verdict ioctl entering the module (mg_verdict_apply);
              usbguard: its authorized write entering the USB core
              (usb_authorize_device / usb_deauthorize_device)
    usable    "usb-storage X:1.0: USB Mass Storage device detected" (the driver
              probes the interface: it may be used)

Prints the table and exits 1 when a phase has no data.
"""
import math
import re
import sys

TOOLS = ("mediagate", "usbguard")
RE_KMSG = re.compile(r"^\[\s*(\d+\.\d+)\] (.*)$")
RE_NEW = re.compile(r"^usb (\S+): new \S+(?: \S+)? USB device number (\d+) using")
RE_ANN = re.compile(r"^usb (\S+): New USB device found")
RE_STOR = re.compile(r"^usb-storage (\S+):\d+\.\d+: USB Mass Storage device detected")
RE_TRACE = re.compile(r"\s(\d+\.\d+): (verdict|auth|deauth): \([^)]*\)(.*)$")


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().splitlines()
    except OSError:
        return None


def events(run, tool, phase):
    """Time-ordered (t, kind, dev, arg) of one phase, or None without data."""
    kmsg = read(f"{run}/results/sbs-{tool}-{phase}-kmsg.txt")
    trace = read(f"{run}/results/sbs-{tool}-{phase}-trace.txt")
    if kmsg is None or trace is None:
        return None
    ev = []
    for line in kmsg:
        m = RE_KMSG.match(line)
        if not m:
            continue
        t, msg = float(m.group(1)), m.group(2)
        if m2 := RE_NEW.match(msg):
            ev.append((t, "new", m2.group(1), int(m2.group(2))))
        elif m2 := RE_ANN.match(msg):
            ev.append((t, "announce", m2.group(1), None))
        elif m2 := RE_STOR.match(msg):
            ev.append((t, "usable", m2.group(1), None))
    for line in trace:
        m = RE_TRACE.search(line)
        if not m:
            continue
        args = dict(kv.split("=", 1) for kv in m.group(3).split() if "=" in kv)
        ev.append((float(m.group(1)), m.group(2), args.get("devpath", "").strip('"'), args))
    ev.sort(key=lambda e: e[0])
    return ev


def plugs(ev):
    """One dict per enumerated device: new, announce, decision, verdict, usable."""
    recs, by_dev, by_num = [], {}, {}
    for t, kind, dev, arg in ev:
        if kind == "new":
            r = {"dev": dev, "devnum": arg, "new": t}
            recs.append(r)
            by_dev[dev] = r
            by_num[arg] = r
        elif kind in ("announce", "usable"):
            r = by_dev.get(dev)
            if r is not None and kind not in r:
                r[kind] = t
        elif kind == "verdict":
            # the module's records carry a handle, not the device: the verdicts
            # come in plug order (one plug at a time, or the burst counted whole)
            r = next((r for r in recs if "decision" not in r and r["new"] < t), None)
            if r is not None:
                r["decision"] = t
                r["verdict"] = {"0": "none", "1": "allow", "2": "readonly", "3": "deny"}.get(
                    arg.get("verdict", "?"), arg.get("verdict", "?"))
        else:  # auth / deauth: devnum known
            r = by_num.get(int(arg.get("devnum", "-1")))
            if r is not None and "decision" not in r:
                r["decision"] = t
                r["verdict"] = "allow" if kind == "auth" else "block"
    return recs


def pct(xs, p):
    s = sorted(xs)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def stats(recs, a, b):
    xs = [(r[b] - r[a]) * 1000 for r in recs if a in r and b in r]
    if not xs:
        return None
    return {"n": len(xs), "p50": pct(xs, 50), "p95": pct(xs, 95), "p99": pct(xs, 99), "max": max(xs)}


def sbs_info(run):
    """{tool: {phase: {key: value}}} from the INFO SBS markers."""
    info = {t: {} for t in TOOLS}
    for line in read(f"{run}/marks.log") or []:
        m = re.search(r"MARK:INFO \S+ SBS tool=(\S+) (.*)$", line.strip())
        if not m or m.group(1) not in info:
            continue
        kv = dict(x.split("=", 1) for x in m.group(2).split() if "=" in x)
        info[m.group(1)][kv.get("phase", "?")] = kv
    return info


def fmt(s):
    if s is None:
        return "no data"
    return f"{s['p50']:7.1f} {s['p95']:7.1f} {s['p99']:7.1f}  (n={s['n']}, max {s['max']:.1f})"


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "-"


def main():
    label, run = sys.argv[1], sys.argv[2]
    ok = True
    print(f"\n=== kernel {label} (run {run}) ===")
    rows = {}
    for tool in TOOLS:
        for phase in ("allow", "block"):
            ev = events(run, tool, phase)
            if ev is None:
                ok = False
                continue
            recs = plugs(ev)
            want = "allow" if phase == "allow" else ("deny" if tool == "mediagate" else "block")
            wrong = [r for r in recs if r.get("verdict") not in (None, want)]
            if wrong:
                print(f"WARNING: {tool}/{phase}: {len(wrong)} plugs got another decision: "
                      f"{wrong[0].get('verdict')}")
            undecided = [r for r in recs if "decision" not in r]
            if undecided:
                print(f"WARNING: {tool}/{phase}: {len(undecided)} of {len(recs)} plugs without a decision")
            if phase == "block":
                used = [r for r in recs if "usable" in r]
                if used:
                    print(f"WARNING: {tool}/block: {len(used)} blocked plugs reached usb-storage")
            for a, b in (("new", "decision"), ("announce", "decision"), ("new", "usable"),
                         ("announce", "usable"), ("decision", "usable")):
                rows[(tool, phase, a, b)] = stats(recs, a, b)
    print("latency in ms, p50 p95 p99 (kernel timestamps; see bench/usbguard/README.md)")
    for phase, pairs in (("allow", (("new", "decision"), ("announce", "decision"),
                                    ("new", "usable"), ("announce", "usable"),
                                    ("decision", "usable"))),
                         ("block", (("new", "decision"), ("announce", "decision")))):
        for a, b in pairs:
            print(f"  {phase:5} {a:>8} -> {b:8}")
            for tool in TOOLS:
                print(f"      {tool:10} {fmt(rows.get((tool, phase, a, b)))}")
            m, u = rows.get(("mediagate", phase, a, b)), rows.get(("usbguard", phase, a, b))
            if m and u:
                print(f"      ratio mediagate/usbguard: p50 {ratio(m['p50'], u['p50'])}, "
                      f"p99 {ratio(m['p99'], u['p99'])}")

    info = sbs_info(run)
    print("burst behind 4 QEMU hubs (kernel: first stick's 'new' -> last decision)")
    for tool in TOOLS:
        ev = events(run, tool, "burst")
        b = info[tool].get("burst", {})
        if ev is None:
            print(f"  {tool:10} no data")
            ok = False
            continue
        sticks = [r for r in plugs(ev) if "." in r["dev"] and r.get("dev", "").count("-") == 1]
        decs = [t for t, k, _, _ in ev if k in ("verdict", "auth", "deauth")]
        if tool == "usbguard":  # only the sticks' writes (the hubs were decided before)
            nums = {r["devnum"] for r in sticks}
            decs = [t for t, k, _, a in ev if k in ("auth", "deauth") and int(a.get("devnum", -1)) in nums]
        first = min((r["new"] for r in sticks), default=None)
        last = max(decs, default=None)
        span = f"{(last - first) * 1000:.0f} ms" if first is not None and last is not None else "-"
        print(f"  {tool:10} sticks enumerated {len(sticks)}, decisions (kernel) {len(decs)}, "
              f"logged by the daemon {b.get('decided', '?')} of {b.get('sticks', '?')}; "
              f"first add -> last decision {span}")
        # the hub thread enumerates the sticks one after another: what the
        # daemon adds is each stick's announce -> decision and the tail after
        # the last stick was announced (mediagate's verdicts paired in order)
        last_ann = max((r["announce"] for r in sticks if "announce" in r), default=None)
        tail = f"{(last - last_ann) * 1000:.1f} ms" if last is not None and last_ann is not None else "-"
        print(f"  {'':10} per stick announce -> decision {fmt(stats(sticks, 'announce', 'decision'))}; "
              f"last announce -> last decision {tail}")
    print("daemon figures (VmRSS / Pss in kB, CPU = utime+stime in s, all threads)")
    for tool in TOOLS:
        s, i = info[tool].get("start", {}), info[tool].get("idle", {})
        if not i:
            print(f"  {tool:10} no idle figures")
            ok = False
            continue
        cpu = int(i.get("cpu_ticks", 0)) / 100
        cpu0 = int(s.get("cpu_ticks", 0)) / 100
        print(f"  {tool:10} at start: VmRSS {s.get('rss_kb')} Pss {s.get('pss_kb')}; idle after "
              f"{i.get('cycles')} cycles ({i.get('failed')} failed, {i.get('wall_s')} s): VmRSS "
              f"{i.get('rss_kb')} Pss {i.get('pss_kb')} threads {i.get('threads')}; CPU {cpu:.2f} s "
              f"({cpu - cpu0:.2f} s after start)")
    m, u = info["mediagate"].get("idle"), info["usbguard"].get("idle")
    if m and u:
        print(f"  ratio mediagate/usbguard: VmRSS {ratio(int(m['rss_kb']), int(u['rss_kb']))}, "
              f"Pss {ratio(int(m['pss_kb']), int(u['pss_kb']))}, "
              f"CPU {ratio(int(m['cpu_ticks']), int(u['cpu_ticks']))}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
