#!/bin/sh
# bench/sqlite_swap.sh - a copy-swap of a large SQLite table (an added CHECK
# constraint: the table is rebuilt) with build/sqlitewriter inserting and
# updating throughout, in both of the backend's forms: the whole copy in one
# transaction (what `assume` below 100k rows gives) and the online form
# (batches + copy triggers + a short final swap), each run with the sqlite3
# shell, and the online form run by `zdm run`. The online script pauses
# 100 ms with the write lock free after each batch that wrote rows (`.shell
# sleep 0.1`, which `zdm run` sleeps natively). Prints, for each, the
# script's duration and the writer's longest wait, failed writes and lost
# writes. docs/benchmarks.md records a run.
#
#   ZDM=./zdm SQLITEWRITER=build/sqlitewriter BENCH_ROWS=1000000 [BENCH_WITHOUT_ROWID=1] \
#       sh bench/sqlite_swap.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
ZDM=${ZDM:-./zdm}
W=${SQLITEWRITER:-build/sqlitewriter}
ROWS=${BENCH_ROWS:-1000000}
REPEAT=${BENCH_REPEAT:-2}
case $ZDM in /*) ;; *) ZDM=$top/$ZDM ;; esac
case $W in /*) ;; *) W=$top/$W ;; esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/zdm-swapbench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# BENCH_WITHOUT_ROWID=1: the table is `without rowid` (the online copy then
# walks its primary key: docs/backends/sqlite.md)
OPT=
[ "${BENCH_WITHOUT_ROWID:-0}" = 1 ] && OPT=' without rowid'
cat >"$tmp/0001_t.zdm" <<ZDM
migration 'Create items';
create table items (
    id    int primary key,
    label text not null,
    qty   int not null default 0,
    note  text
)$OPT;
ZDM
mk() { # NAME ASSUMED-ROWS
	mkdir -p "$tmp/$1"
	cp "$tmp/0001_t.zdm" "$tmp/$1/"
	printf "migration 'qty is never negative';\nassume items has %s rows;\nalter table items add constraint items_qty_check check (qty >= 0);\n" "$2" \
		>"$tmp/$1/0002_check.zdm"
	(cd "$tmp/$1" && "$ZDM" compile 0001_t.zdm --target sqlite --out o1 >/dev/null &&
		"$ZDM" compile 0002_check.zdm --target sqlite --out o2 >/dev/null)
}
mk single 50000
mk online "$ROWS"
base=$tmp/base.db
sqlite3 -bail "$base" <"$tmp/single/o1/forward.sql" >/dev/null
sqlite3 -bail "$base" "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < $ROWS)
  INSERT INTO items (id, label, qty, note) SELECT i, 'item ' || i, 0, CASE WHEN i % 3 = 0 THEN 'n' || i END FROM g"
echo "rows: $ROWS${OPT:+ (table$OPT)}; SQLite $(sqlite3 :memory: 'select sqlite_version()'); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| form | run | script | writer: longest wait | writes | failed | lost |\n|---|---|---|---|---|---|---|\n'
for form in single online zdm-run; do
	r=1
	while [ $r -le "$REPEAT" ]; do
		db=$tmp/run.db
		rm -f "$db" "$db-wal" "$db-shm" "$tmp/stop"
		cp "$base" "$db"
		sqlite3 "$db" 'PRAGMA journal_mode = WAL' >/dev/null
		"$W" "$db" "$tmp/stop" "INSERT INTO items (id, label) VALUES (10000000 + ?1, 'new ' || ?1)" \
			"UPDATE items SET qty = qty + 1 WHERE id = ?1" "$ROWS" 30000 >"$tmp/w.log" 2>&1 &
		wp=$!
		sleep 0.5
		t0=$(date +%s.%N)
		if [ "$form" = zdm-run ]; then
			"$ZDM" run "$tmp/online/o2" --db "sqlite:$db" >/dev/null
		else
			# from the plan's directory: the batch loop and its pauses write
			# zdm-loop.sql and zdm-pause.sql in the working directory
			# (docs/backends/sqlite.md)
			(cd "$tmp/$form/o2" && sqlite3 -bail "$db" <forward.sql >/dev/null)
		fi
		t1=$(date +%s.%N)
		sleep 0.5
		touch "$tmp/stop"
		wait $wp || true
		set -- $(cat "$tmp/w.log")
		ins=$2 upd=$4 failed=$6 maxw=$8
		cnt=$(sqlite3 "$db" 'SELECT count(*) FROM items') sum=$(sqlite3 "$db" 'SELECT sum(qty) FROM items')
		lost=$(( (ROWS + ins - cnt) + (upd - sum) ))
		printf '| %s | %s | %.2f s | %s ms | %s | %s | %s |\n' "$form" "$r" "$(echo "$t1 - $t0" | bc)" \
			"$maxw" "$((ins + upd))" "$failed" "$lost"
		r=$((r + 1))
	done
done
