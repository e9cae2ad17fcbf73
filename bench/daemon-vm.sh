#!/bin/bash
# bench/daemon-vm.sh: issue 4's daemon bench (bench/daemon-vm.mk).
#
#   bench/daemon-vm.sh BUILD_DIR [KERNELS]
#
# BUILD_DIR holds a release mediagated + mediagate-probe (+ bench/daemon-host).
# 1. host: the real mediagated against bench/daemon-host (a fake kernel on a
#    Unix socket), MG_BENCH_PLUGS holds one at a time: the daemon's own part
#    of a decision at native speed (the fake "ioctl" is a socket send), and
#    its RSS/PSS/private dirty after startup and after the plugs; then a
#    second daemon for MG_BENCH_HOST_PLUGS (2000) plugs: memory growth only.
# 2. VM: scenario 21 (tests/vm/guest/scenarios/21-daemon-bench.sh) on each
#    kernel of KERNELS (default "6.12 6.1"), one after the other so the two
#    TCG guests do not share the 2 cores: MG_BENCH_PLUGS plugs of a gadget
#    stick, decision time read -> verdict ioctl returned, split into the
#    daemon's part and the ioctl, and memory.
# Prints the figures; exits 1 if a run failed.
set -uo pipefail
build=${1:?usage: bench/daemon-vm.sh BUILD_DIR [KERNELS]}
kernels=${2-6.12 6.1}
n=${MG_BENCH_PLUGS:-100}
n_grow=${MG_BENCH_HOST_PLUGS:-2000}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
rc=0

mem() { # PID: "Rss X kB Pss Y kB Private_Dirty Z kB"
	awk '/^(Rss|Pss|Private_Dirty):/ { printf "%s %s kB ", $1, $2 }' "/proc/$1/smaps_rollup" |
		sed 's/: / /g; s/ $//'
}

echo "== daemon decision time and RSS (issue 4): $n plugs; $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); $(date -u '+%F %H:%M UTC')"
echo "-- host (native, fake kernel on a socket; load $(cut -d' ' -f1-3 /proc/loadavg))"
tmp=$(mktemp -d /tmp/mg-bench-daemon.XXXXXX)
trap 'kill $dpid $kpid 2>/dev/null; rm -rf "$tmp"' EXIT
dpid='' kpid=''
printf 'readonly storage\nallow any\n' >"$tmp/bench.conf"
"$build/bench/daemon-host" "$tmp/k.sock" "$n" >"$tmp/host.out" 2>"$tmp/host.err" &
kpid=$!
for _ in $(seq 50); do [[ -S $tmp/k.sock ]] && break; sleep 0.1; done
"$build/mediagated" -d --no-owner-check -c "$tmp/bench.conf" --dev "$tmp/k.sock" \
	--db "$tmp/inv.db" --control "$tmp/ctl" >"$tmp/audit.log" 2>"$tmp/daemon.err" &
dpid=$!
for _ in $(seq 100); do [[ -S $tmp/ctl ]] && break; sleep 0.1; done
startup=$(mem "$dpid")
for _ in $(seq 600); do [[ -s $tmp/host.out ]] && break; sleep 0.1; done
sleep 1
if [[ -s $tmp/host.out ]] && st=$("$build/mediagated" --control "$tmp/ctl" --ctl status); then
	grep '^decisions' <<<"$st" | sed 's/^/host: /'
	echo "host: fake kernel's $(cat "$tmp/host.out") (record sent -> verdict received)"
	echo "host: memory after startup: $startup"
	echo "host: memory after $n plugs: $(mem "$dpid")"
	echo "host: libraries mapped: $(awk '$6 ~ /\.so/ { sub(/.*\//, "", $6); print $6 }' \
		"/proc/$dpid/maps" | sort -u | tr '\n' ' ')"
else
	echo "FAIL: daemon-host: $(cat "$tmp/host.err" "$tmp/daemon.err" | tail -3)"
	rc=1
fi
kill "$dpid" "$kpid" 2>/dev/null
wait 2>/dev/null

# memory growth over many plugs (the ledger's page cache, heap): a fresh daemon
rm -f "$tmp"/k.sock "$tmp"/ctl "$tmp"/inv.db* "$tmp/host.out"
"$build/bench/daemon-host" "$tmp/k.sock" "$n_grow" >"$tmp/host.out" 2>"$tmp/host.err" &
kpid=$!
for _ in $(seq 50); do [[ -S $tmp/k.sock ]] && break; sleep 0.1; done
"$build/mediagated" -d --no-owner-check -c "$tmp/bench.conf" --dev "$tmp/k.sock" \
	--db "$tmp/inv.db" --control "$tmp/ctl" >"$tmp/audit.log" 2>"$tmp/daemon.err" &
dpid=$!
for _ in $(seq 100); do [[ -S $tmp/ctl ]] && break; sleep 0.1; done
startup=$(mem "$dpid")
for _ in $(seq 1200); do [[ -s $tmp/host.out ]] && break; sleep 0.1; done
sleep 1
if [[ -s $tmp/host.out ]]; then
	echo "host: growth: memory after startup: $startup"
	echo "host: growth: memory after $n_grow plugs: $(mem "$dpid")"
else
	echo "FAIL: daemon-host growth run: $(cat "$tmp/host.err" "$tmp/daemon.err" | tail -3)"
	rc=1
fi
kill "$dpid" "$kpid" 2>/dev/null
wait 2>/dev/null

for k in $kernels; do
	echo "-- VM $k (QEMU ${ACCEL:-tcg}, scenario 21; load $(cut -d' ' -f1-3 /proc/loadavg))"
	VM_KERNELS=$k SCENARIOS=21 VM_APPEND="mg.plugs=$n ${VM_APPEND:-}" \
		tests/vm/run.sh "$build" >"$tmp/vm-$k.log" 2>&1
	sed -n 's/.*info 21-daemon-bench bench: \(.*\)/\1/p' "$tmp/vm-$k.log" |
		grep -v '^maps ' | sed "s/^/$k: /"
	if ! grep -q "^PASS: .*/21-daemon-bench" "$tmp/vm-$k.log"; then
		echo "FAIL: $k/21-daemon-bench: $(grep -E 'FAIL|FAILED' "$tmp/vm-$k.log" | head -3 | tr '\n' ' ')"
		rc=1
	fi
done
exit $rc
