#!/bin/bash
# bench/fleet-stocktake.sh BUILD_DIR: issue 8's central-ledger bench.
#
# A private PostgreSQL cluster on a loopback port (as in tests/fleet; root,
# runs the server as user postgres), schema policy/fleet/schema-001.sql,
# 500 hosts, 10 000 media and 1 000 000 events generated in SQL, a registry
# of the 5 000 registered media; then times `mediagatectl stocktake --db`
# (goal <= 2 s), `inventory --db` and `history --db`, and the trigger's
# ingestion rate for rows as rsyslog inserts them. Prints numbers, asserts
# nothing but correctness of the stocktake's row count.
set -eu
build=$(cd "${1:?usage: fleet-stocktake.sh BUILD_DIR}" && pwd)
cd "$(dirname "$0")/.."
ctl=$build/mediagatectl
# Part of `make bench`: refuse loudly rather than skip, so a missing figure
# is never mistaken for a measured one.
if [[ $(id -u) -ne 0 ]]; then
	echo "bench-fleet: FAIL: needs root (runs a private PostgreSQL server as user postgres);" \
		"run make bench as root" >&2
	exit 1
fi
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [[ -z $pgbin || ! -x $pgbin/initdb ]] || ! id postgres >/dev/null 2>&1 ||
	! command -v psql >/dev/null; then
	echo "bench-fleet: FAIL: PostgreSQL server not installed (make deps installs it)" >&2
	exit 1
fi
tmp=$(mktemp -d /tmp/mg-fleet-bench.XXXXXX)
chmod 755 "$tmp"
cleanup() {
	runuser -u postgres -- "$pgbin/pg_ctl" -D "$tmp/pg" -m immediate -t 20 stop >/dev/null 2>&1 || :
	rm -rf "$tmp"
}
trap cleanup EXIT
port=$((20000 + RANDOM % 30000))
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=mg PGDATABASE=mediagate
mkdir "$tmp/pg" && chown postgres: "$tmp/pg"
runuser -u postgres -- "$pgbin/initdb" -D "$tmp/pg" -U mg -A trust -E UTF8 --no-sync >/dev/null
runuser -u postgres -- "$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg/server.log" -w -t 120 \
	-o "-p $port -k $tmp/pg -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
psql -q -d postgres -c "CREATE DATABASE mediagate"
psql -q -v ON_ERROR_STOP=1 -f policy/fleet/schema-001.sql
url="postgresql://mg@127.0.0.1:$port/mediagate"

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), $(nproc) cpus, $(uname -r), $(date -u +%FT%TZ)"
echo "PostgreSQL: $("$pgbin/postgres" --version)"
TIMEFORMAT='%3R'
gen=$({ time psql -q -v ON_ERROR_STOP=1 <<'SQL'
\set t0 1767225600
INSERT INTO hosts (name, first_seen)
	SELECT 'desk-' || lpad(i::text, 3, '0'), :t0 FROM generate_series(1, 500) i;
INSERT INTO media (vid, pid, serial, manufacturer, product, first_seen, last_seen, last_host,
		   last_user, mount_count, last_verdict, medium_id, registered, media_kind, luks_uuid)
	SELECT 1921, 21891, 'SER' || lpad(i::text, 6, '0'), 'SanDisk', 'Cruzer Blade', :t0,
	       :t0 + (i * 7919 % 200) * 86400, 'desk-' || lpad((i % 500 + 1)::text, 3, '0'),
	       'user' || i % 300, i % 50, 'allow',
	       CASE WHEN i % 2 = 0 THEN 'USB-' || lpad(i::text, 5, '0') END, i % 2 = 0,
	       CASE WHEN i % 2 = 0 THEN 'luks2' ELSE 'plain' END,
	       CASE WHEN i % 2 = 0 THEN '6f1c2a4e-0000-4000-8000-' || lpad(i::text, 12, '0') END
	FROM generate_series(0, 9999) i;
INSERT INTO events (host, seq, time, type, medium, line)
	SELECT 1 + i % 500, i, :t0 + i * 15, (ARRAY['verdict', 'mount', 'unmount'])[1 + i % 3],
	       1 + (i * 7) % 10000,
	       'event=mount dev="1-1" id=0781:5583 serial="SER' || lpad(((i * 7) % 10000)::text, 6, '0')
	       || '" block="/dev/sdb1" fstype="exfat" label="" uuid="" mountpoint="/media/stick"'
	       || ' mode=rw user="user' || i % 300 || '" user_source=path'
	FROM generate_series(1, 1000000) i;
ANALYZE;
SQL
} 2>&1)
echo "generated 500 hosts, $(psql -qAt -c 'SELECT count(*) FROM media') media, $(psql -qAt -c 'SELECT count(*) FROM events') events in ${gen} s"
for ((i = 0; i < 10000; i += 2)); do
	printf 'medium USB-%05d luks2 6f1c2a4e-0000-4000-8000-%012d usb 0781:5583 serial "SER%06d" owner "Owner %d" asset "PC-%05d" enrolled 2025-12-01\n' \
		"$i" "$i" "$i" "$i" "$i"
done >"$tmp/registry"
now=$((1767225600 + 200 * 86400))
run() { # label, then the mediagatectl arguments
	local label=$1 best=
	shift
	for _ in 1 2 3; do
		t=$({ time "$ctl" "$@" --registry "$tmp/registry" --now "$now" --db "$url" \
			>"$tmp/out" 2>&1; } 2>&1)
		if [[ -z $best ]] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$t
		fi
	done
	echo "$label: best of 3 ${best} s, $(($(wc -l <"$tmp/out") - 1)) rows"
}
run "stocktake --unseen 90d --db (goal <= 2 s)" stocktake --unseen 90d --format csv
echo "  (media unseen for 90 days per the generator: $(psql -qAt -c "SELECT count(*) FROM media
	WHERE registered AND last_seen < $now - 90 * 86400"))"
run "inventory --db" inventory --format csv
run "history USB-00042 --db" history USB-00042 --format csv
# Ingestion through the trigger, as ompgsql inserts (one row per event).
ing=$({ time psql -q -v ON_ERROR_STOP=1 -c "INSERT INTO ingest (host, doc)
	SELECT 'desk-001', json_build_object('seq', 2000000 + i, 'time', 1780000000 + i,
	'event', 'mount', 'id', '0781:5583', 'serial', 'SER' || lpad((i % 10000)::text, 6, '0'),
	'user', 'u', 'line', 'event=mount ...')::text FROM generate_series(1, 10000) i"; } 2>&1)
echo "ingest trigger: 10000 events in ${ing} s ($(psql -qAt -c "SELECT count(*) FROM events WHERE seq > 2000000") filed, $(psql -qAt -c 'SELECT count(*) FROM ingest_rejects') rejected)"
