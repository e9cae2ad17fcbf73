# bench/fleet.mk: issue 8's central-ledger bench (included from bench/bench.mk).
#
#   make bench-fleet   as root: a private PostgreSQL cluster on loopback, 500 hosts,
#                      10 000 media, 1 000 000 events; times stocktake --db (goal <= 2 s),
#                      inventory --db, history --db and the ingest trigger
#
# Part of `make bench`. Needs root and the PostgreSQL server (`make deps`
# installs it, as for tests/fleet); without them it fails with a message.

.PHONY: bench-fleet
bench: bench-fleet
bench-fleet: $(O)/mediagatectl
	bench/fleet-stocktake.sh $(O)
