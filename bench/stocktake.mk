# bench/stocktake.mk: issue 5's ledger bench (included from bench/bench.mk).
#
#   make bench-stocktake   build build/bench/bench-stocktake (release flags), generate
#                          10 000 media / 1 000 000 events once, time the stocktake
#                          (goal <= 1 s) and check its CSV with python3's csv module

BENCH_STOCK_SRCS = daemon/src/inventory.c daemon/src/inv_report.c daemon/src/registry.c \
	daemon/src/report.c daemon/src/strutil.c daemon/src/diag.c
BENCH_STOCK_OBJS = $(BENCH_STOCK_SRCS:%.c=$(BENCH_O)/%.o)
BENCH_STOCK_ARGS ?=

$(BENCH_O)/bench-stocktake: bench/bench-stocktake.c $(BENCH_STOCK_OBJS)
	@mkdir -p $(@D)
	$(CC) $(MG_CPPFLAGS) $(BENCH_CFLAGS) -o $@ $^ $(PKG_LIBS) -lm

-include $(BENCH_STOCK_OBJS:.o=.d)

.PHONY: bench-stocktake
bench-stocktake: $(BENCH_O)/bench-stocktake $(O)/mediagatectl
	$(BENCH_O)/bench-stocktake -d $(BENCH_O) $(BENCH_STOCK_ARGS)
	@TIMEFORMAT='the whole command: mediagatectl stocktake --format csv: %3R s'; time \
		$(O)/mediagatectl stocktake --inventory $(BENCH_O)/stocktake.db \
		--registry $(BENCH_O)/stocktake-registry --now 1800000000 --format csv >/dev/null
	python3 -c 'import csv, sys; rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline=""))); \
		assert all(len(r) == len(rows[0]) for r in rows), "ragged CSV"; \
		print("CSV parses: %d rows x %d columns" % (len(rows) - 1, len(rows[0])))' \
		$(BENCH_O)/stocktake.csv

bench: bench-stocktake
