#!/bin/bash
# tests/fleet/run.sh BUILD_DIR: the central ledger end to end, on loopback.
#
# A private PostgreSQL cluster (schema policy/fleet/schema-001.sql), a
# "central" rsyslogd (policy/fleet/rsyslog/central.conf) and a "desktop"
# rsyslogd (policy/fleet/rsyslog/desktop.conf) with private configs, work
# directories and pid files. Real audit lines, made by the daemon's own
# formatters (fleet-emit, JSON form with sequence numbers), are logged to the
# desktop's socket as program mediagated, facility authpriv; the test shows
# them as rows in PostgreSQL. Then: a re-sent batch is stored once, and 1000
# events logged while the central rsyslog is down all arrive, none twice.
# Last, the real mediagated (--audit-format json, fake kernel fleet-kernel.c)
# decides three holds and its own lines arrive as rows, each once.
# Needs root (the cluster runs as user postgres) and the Debian packages
# rsyslog, rsyslog-relp, rsyslog-pgsql, postgresql, libpq-dev (make deps).
set -u
build=${1:?usage: run.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
build=$(cd "$build" && pwd)
fails=0
pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1${2:+ ($2)}"
	fails=$((fails + 1))
}

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
missing=
for t in rsyslogd logger runuser "$pgbin/initdb" "$pgbin/pg_ctl" psql; do
	command -v "$t" >/dev/null || missing+=" $t"
done
for m in omrelp imrelp ompgsql mmjsonparse; do
	[[ -e /usr/lib/x86_64-linux-gnu/rsyslog/$m.so || -n $(ls /usr/lib/*/rsyslog/$m.so 2>/dev/null) ]] ||
		missing+=" rsyslog:$m"
done
if [[ $(id -u) -ne 0 || -n $missing ]]; then
	fail fleet-setup "needs root and:${missing:- (root)}; run make deps"
	exit 1
fi

tmp=$(mktemp -d /tmp/mg-fleet.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	[[ -d $tmp/pg ]] && runuser -u postgres -- "$pgbin/pg_ctl" -D "$tmp/pg" -m immediate \
		-t 20 stop >/dev/null 2>&1
	for p in "${pids[@]}"; do
		timeout 10 tail --pid="$p" -f /dev/null 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# A free loopback TCP port.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		ss -Hltn "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
	done
}

# The emitter: fleet-emit.c against the build's core library, with the
# build's sanitizer flags if it has them.
emit=$tmp/fleet-emit
san=
nm "$build/libmediagate.a" 2>/dev/null | grep -q __asan_ && san="-fsanitize=address,undefined"
# shellcheck disable=SC2046
if ! cc -D_GNU_SOURCE -Iinclude -Idaemon/src -std=gnu11 -Wall -Wextra -Werror $san -g -o "$emit" \
	tests/fleet/fleet-emit.c "$build/libmediagate.a" \
	$(pkg-config --libs libudev libusb-1.0 blkid libcryptsetup mount sqlite3 libcrypto json-c \
		libsystemd libpq) -lm >"$tmp/cc.log" 2>&1; then
	cat "$tmp/cc.log"
	fail fleet-emit-build
	exit 1
fi

# --- PostgreSQL: a private cluster on a loopback port, socket in $tmp ---
pgport=$(free_port)
export PGHOST=127.0.0.1 PGPORT=$pgport PGUSER=mg PGDATABASE=mediagate
mkdir "$tmp/pg" && chown postgres: "$tmp/pg"
if runuser -u postgres -- "$pgbin/initdb" -D "$tmp/pg" -U mg -A trust -E UTF8 --no-sync \
	>"$tmp/initdb.log" 2>&1 &&
	runuser -u postgres -- "$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg/server.log" -w -t 120 \
		-o "-p $pgport -k $tmp/pg -c listen_addresses=127.0.0.1 -c fsync=off" start \
		>/dev/null 2>&1 &&
	psql -q -d postgres -c "CREATE DATABASE mediagate" &&
	psql -q -v ON_ERROR_STOP=1 -f policy/fleet/schema-001.sql >"$tmp/schema.log" 2>&1; then
	pass fleet-postgresql-schema
else
	cat "$tmp/initdb.log" "$tmp/schema.log" "$tmp/pg/server.log" 2>/dev/null | tail -20
	fail fleet-postgresql-schema
	exit 1
fi
q() { psql -qAt -v ON_ERROR_STOP=1 -c "$1"; }

# --- rsyslog: the shipped snippets, with loopback ports and private dirs ---
relp=$(free_port)
mkdir -p "$tmp/central" "$tmp/desktop"
{
	echo "global(workDirectory=\"$tmp/central\" maxMessageSize=\"16k\")"
	sed -e "s/port=\"2514\"/port=\"$relp\"/" \
		-e "s|postgresql://rsyslog@127.0.0.1:5432/mediagate|postgresql://mg@127.0.0.1:$pgport/mediagate|" \
		-e 's/action.resumeInterval="10"/action.resumeInterval="1"/' \
		policy/fleet/rsyslog/central.conf
} >"$tmp/central.conf"
{
	echo "global(workDirectory=\"$tmp/desktop\" maxMessageSize=\"16k\")"
	echo 'module(load="imuxsock" SysSock.Use="off")'
	echo "input(type=\"imuxsock\" Socket=\"$tmp/desktop/log\" RateLimit.Interval=\"0\")"
	sed -e "s/LEDGER_HOST/127.0.0.1/" -e "s/port=\"2514\"/port=\"$relp\"/" \
		-e 's/action.resumeInterval="10"/action.resumeInterval="1"/' \
		policy/fleet/rsyslog/desktop.conf
} >"$tmp/desktop.conf"

central_pid=
start_central() {
	rsyslogd -n -f "$tmp/central.conf" -i "$tmp/central/pid" >>"$tmp/central.log" 2>&1 &
	central_pid=$!
	pids+=("$central_pid")
	wait_for 30 "ss -Hltn 'sport = :$relp' | grep -q ."
}
stop_central() {
	kill "$central_pid" 2>/dev/null
	timeout 30 tail --pid="$central_pid" -f /dev/null
}
# wait_for SECONDS SHELL-CONDITION: poll every 0.2 s.
wait_for() {
	local end=$((SECONDS + $1))
	while ((SECONDS < end)); do
		eval "$2" && return 0
		sleep 0.2
	done
	return 1
}

if rsyslogd -N1 -f "$tmp/central.conf" >"$tmp/check.log" 2>&1 &&
	rsyslogd -N1 -f "$tmp/desktop.conf" >>"$tmp/check.log" 2>&1; then
	pass fleet-rsyslog-config-valid
else
	cat "$tmp/check.log"
	fail fleet-rsyslog-config-valid
	exit 1
fi
start_central || { fail fleet-central-start; tail "$tmp/central.log"; exit 1; }
desktop_pid=
start_desktop() {
	rm -f "$tmp/desktop/log"
	rsyslogd -n -f "$tmp/desktop.conf" -i "$tmp/desktop/pid" >>"$tmp/desktop.log" 2>&1 &
	desktop_pid=$!
	pids+=("$desktop_pid")
	wait_for 30 "[[ -S $tmp/desktop/log ]]"
}
start_desktop || { fail fleet-desktop-start; tail "$tmp/desktop.log"; exit 1; }

# emit SEQ COUNT [TIME]: real audit lines, logged as mediagated/authpriv.
emit() {
	"$emit" --json --seq "$1" --time "${3:-1767225600}" "$2" |
		logger -u "$tmp/desktop/log" --size 16384 -t mediagated -p authpriv.notice
}
count() { q "SELECT count(*) FROM events WHERE seq BETWEEN $1 AND $2"; }

# 1. Real lines become rows: 20 events of 10 media.
emit 1 20
if wait_for 60 '[[ $(count 1 20) == 20 ]]'; then
	pass fleet-events-arrive
else
	fail fleet-events-arrive "$(count 1 20) of 20 after 60 s"
fi
echo "--- rows in PostgreSQL:"
psql -P pager=off -c "SELECT e.seq, h.name AS host, e.type, m.serial, m.medium_id, m.last_user,
	m.mount_count FROM events e JOIN hosts h ON h.id = e.host
	LEFT JOIN media m ON m.id = e.medium ORDER BY e.seq LIMIT 8"
[[ $(q "SELECT count(*) FROM media") == 10 && $(q "SELECT count(*) FROM hosts") == 1 ]] &&
	pass fleet-media-hosts || fail fleet-media-hosts "$(q "SELECT count(*) FROM media") media"
# The hostile serial is stored escaped, as in the line; the line is intact.
hostile='EVIL\"ser\x0aial\xc3\xa9'
[[ $(q "SELECT count(*) FROM media WHERE serial = '$hostile'") == 1 &&
	$(q "SELECT count(*) FROM events WHERE strpos(line, 'serial=\"$hostile\"') > 0") -ge 1 ]] &&
	pass fleet-hostile-serial-escaped || fail fleet-hostile-serial-escaped
[[ $(q "SELECT mount_count || ' ' || last_user || ' ' || medium_id || ' ' || registered
	FROM media WHERE serial = '4C5300000000'") == "1 user3 USB-0000 true" ]] &&
	pass fleet-media-row || fail fleet-media-row "$(q "SELECT * FROM media WHERE serial = '4C5300000000'")"

# 2. A re-sent batch is stored once: send 1..20 again, then 21 as a marker
# (one RELP session keeps the order, so 21 arriving means the rest did).
emit 1 20
"$emit" --json --seq 1 21 | tail -1 |
	logger -u "$tmp/desktop/log" --size 16384 -t mediagated -p authpriv.notice
wait_for 60 '[[ $(count 21 21) == 1 ]]'
[[ $(count 1 21) == 21 && $(q "SELECT count(*) FROM ingest") == 0 ]] &&
	pass fleet-resend-stored-once || fail fleet-resend-stored-once "$(count 1 21) rows for 21 events"

# 3. Central down: 1000 events queue on the desktop, then all arrive, once.
stop_central
emit 1001 1000 1767400000
sleep 2
before=$(count 1001 2000)
start_central || fail fleet-central-restart
t0=$SECONDS
if wait_for 180 '[[ $(count 1001 2000) == 1000 ]]'; then
	pass fleet-outage-1000-arrive
	echo "outage: $before of 1000 stored while central was down; all 1000 $((SECONDS - t0)) s after restart"
else
	fail fleet-outage-1000-arrive "$(count 1001 2000) of 1000 after 180 s"
fi
sleep 2
[[ $(count 1 2000) == 1021 &&
	$(q "SELECT count(DISTINCT (host, seq)) FROM events") == $(q "SELECT count(*) FROM events") ]] &&
	pass fleet-outage-none-twice || fail fleet-outage-none-twice "$(q "SELECT count(*) FROM events") rows"
rej=$(q "SELECT count(*) FROM ingest_rejects")
[[ $rej == 0 ]] && pass fleet-no-rejects ||
	fail fleet-no-rejects "$rej: $(q "SELECT error FROM ingest_rejects LIMIT 1")"

# 4. Central down and the desktop restarted meanwhile: its queue is saved to
# disk at shutdown and sent after the restart. rsyslog loses the one message
# its forwarding worker is retrying when it is stopped (hard cancellation of
# a suspended action; mediagate-ledger(7), LIMITS): at most one may miss.
stop_central
emit 3001 200 1767500000
sleep 2
kill "$desktop_pid"
timeout 60 tail --pid="$desktop_pid" -f /dev/null
saved=$(find "$tmp/desktop" -name 'mediagate-ledger*' | wc -l)
start_desktop || fail fleet-desktop-restart
start_central || fail fleet-central-restart
# (wait for the 199 that must come, then briefly for the one that may not)
wait_for 120 '[[ $(count 3001 3200) -ge 199 ]]' && wait_for 10 '[[ $(count 3001 3200) == 200 ]]'
got=$(count 3001 3200)
missing=$(q "SELECT coalesce(string_agg(s::text, ' '), 'none') FROM generate_series(3001, 3200) s
	WHERE s NOT IN (SELECT seq FROM events)")
echo "desktop restart during the outage: queue saved in $saved file(s); $got of 200 arrived; missing: $missing"
if [[ $saved -gt 0 && $got -ge 199 ]]; then
	pass fleet-desktop-restart-queue-kept
else
	fail fleet-desktop-restart-queue-kept "$got of 200 (queue files: $saved)"
fi

# 5. Reports: the same events loaded both ways (the central ledger through
# rsyslog above; a local inventory by inv_record from the same sightings)
# give the same inventory, stocktake and history, in every format.
ctl=$build/mediagatectl
host=$(q "SELECT name FROM hosts")
local_db=$tmp/inventory.db
"$emit" --inventory "$local_db" --host "$host" 21 >/dev/null &&
	"$emit" --inventory "$local_db" --host "$host" --time 1767400000 1000 >/dev/null &&
	"$emit" --inventory "$local_db" --host "$host" --time 1767500000 200 >/dev/null ||
	fail fleet-local-inventory
{
	for k in 0 2 4 6 8; do
		printf 'medium USB-%04d luks2 6f1c2a4e-0000-4000-8000-%012d usb 0781:5583 serial "4C53%08d" owner "Owner %d" asset "PC-%04d" enrolled 2025-12-01\n' \
			"$k" "$k" "$k" "$k" "$k"
	done
	echo 'medium USB-0100 luks2 6f1c2a4e-0000-4000-8000-000000000100 usb 0781:5583 serial "NEVERSEEN" owner "Owner 100" asset "PC-0100" enrolled 2025-12-01'
} >"$tmp/registry"
url="postgresql://mg@127.0.0.1:$pgport/mediagate"
now=$((1767500000 + 199 * 60 + 86400))
same=0
for rep in "inventory" "stocktake --unseen 1d" "history USB-0004"; do
	for fmt in table csv json; do
		# shellcheck disable=SC2086
		"$ctl" $rep --format "$fmt" --now "$now" --registry "$tmp/registry" \
			--inventory "$local_db" >"$tmp/local.out" 2>&1
		# shellcheck disable=SC2086
		"$ctl" $rep --format "$fmt" --now "$now" --registry "$tmp/registry" \
			--db "$url" >"$tmp/central.out" 2>&1
		if [[ -s $tmp/local.out ]] && cmp -s "$tmp/local.out" "$tmp/central.out"; then
			same=$((same + 1))
		else
			echo "--- ${rep%% *} $fmt differs (local, then --db):"
			diff "$tmp/local.out" "$tmp/central.out" | head -10
		fi
	done
done
[[ $same == 9 ]] && pass fleet-reports-identical-db-and-local ||
	fail fleet-reports-identical-db-and-local "$same of 9 identical"
echo "--- mediagatectl stocktake --unseen 1d --db $url"
"$ctl" stocktake --unseen 1d --now "$now" --registry "$tmp/registry" --db "$url"

# 6. The real daemon: build/mediagated --audit-format json against a fake
# kernel (fleet-kernel.c, kdev's Unix socket mode) decides three holds; its
# own audit lines go to the desktop's socket (a private /dev/log in a mount
# namespace) and through both rsyslogs into PostgreSQL, each row once.
kern=$tmp/fleet-kernel
cat >"$tmp/daemon.conf" <<-'EOF_POLICY'
	block    storage with-interface { hid }
	readonly storage
	allow    any
EOF_POLICY
# shellcheck disable=SC2086
if cc -D_GNU_SOURCE -Iinclude -Idaemon/src -std=gnu11 -Wall -Wextra -Werror $san -g -o "$kern" \
	tests/fleet/fleet-kernel.c >"$tmp/cc.log" 2>&1; then
	"$kern" "$tmp/kernel.sock" FLEETD >"$tmp/kernel.out" 2>"$tmp/kernel.err" &
	kpid=$!
	pids+=("$kpid")
	wait_for 10 "[[ -S $tmp/kernel.sock ]]"
	mkdir "$tmp/olddev"
	# shellcheck disable=SC2016
	unshare -m -- bash -c 'mount --make-rprivate / && mount --bind /dev "$1/olddev" &&
		mount -t tmpfs -o mode=0755 tmpfs /dev || exit 99
		for n in null zero random urandom; do ln -s "$1/olddev/$n" /dev/$n; done
		ln -s "$1/desktop/log" /dev/log
		exec "$2" -d --no-udev --no-owner-check -c "$1/daemon.conf" --dev "$1/kernel.sock" \
			--db "" --control "" --audit-format json' fleet-daemon "$tmp" "$build/mediagated" \
		>"$tmp/daemon.out" 2>"$tmp/daemon.err" &
	dpid=$!
	pids+=("$dpid")
	timeout 30 tail --pid="$kpid" -f /dev/null
	wait "$kpid"
	krc=$?
	kill "$dpid" 2>/dev/null
	timeout 30 tail --pid="$dpid" -f /dev/null
	echo "--- fake kernel verdicts (handle verdict): $(tr '\n' ' ' <"$tmp/kernel.out")"
	[[ $krc == 0 && $(cat "$tmp/kernel.out") == $'1 1\n2 2\n3 3' ]] &&
		pass fleet-daemon-decides ||
		fail fleet-daemon-decides "rc $krc: $(cat "$tmp/kernel.err" "$tmp/daemon.err" | tail -5)"
	# Every line the daemon wrote (its stdout copy) becomes exactly one row.
	nlines=$(grep -c '^event=' "$tmp/daemon.out")
	dq() { q "SELECT $1 FROM events WHERE seq > 1000000000000000 ${2:-}"; }
	wait_for 60 '[[ $(dq "count(*)") -ge $nlines ]]'
	sleep 2
	echo "--- rows from the real daemon:"
	psql -P pager=off -c "SELECT seq, type, line FROM events WHERE seq > 1000000000000000
		ORDER BY seq"
	dq line "ORDER BY seq" >"$tmp/daemon.rows"
	if [[ $nlines -ge 3 ]] && cmp -s "$tmp/daemon.rows" <(grep '^event=' "$tmp/daemon.out"); then
		pass fleet-daemon-lines-once
	else
		fail fleet-daemon-lines-once "$(dq "count(*)") rows for $nlines lines"
		diff "$tmp/daemon.rows" <(grep '^event=' "$tmp/daemon.out") | head
	fi
	want="verdict FLEETD1 allow $tmp/daemon.conf:3
verdict FLEETD2 readonly $tmp/daemon.conf:2
verdict FLEETD3 block $tmp/daemon.conf:1"
	got=$(dq "type || ' ' || substring(line from 'serial=\"([^\"]*)\"') || ' ' ||
		substring(line from ' verdict=([a-z]+)') || ' ' ||
		substring(line from 'rule=\"([^\"]*)\"')" "AND type = 'verdict' ORDER BY seq")
	[[ $got == "$want" && $(dq "count(DISTINCT seq)") == $(dq "count(*)") ]] &&
		pass fleet-daemon-verdict-rows || fail fleet-daemon-verdict-rows "got: $got"
else
	cat "$tmp/cc.log"
	fail fleet-kernel-build
fi

if [[ $fails -ne 0 ]]; then
	echo "--- central rsyslog:"
	tail -20 "$tmp/central.log"
	echo "--- desktop rsyslog:"
	tail -20 "$tmp/desktop.log"
fi
exit $((fails != 0))
