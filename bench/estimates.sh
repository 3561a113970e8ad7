#!/bin/sh
# bench/estimates.sh - measures the rates behind zdm's duration estimates
# (backends/postgres/pgsql_estimate.c) on this machine, on a throwaway
# PostgreSQL (tests/pg/cluster.sh), and prints them as a markdown table.
#
#   ZDM=./zdm PGWRITER=build/pgwriter sh bench/estimates.sh     (make bench)
#
#   BENCH_ROWS   rows of the benchmark table (default 2000000)
#   BENCH_OUT    where the table is written too (default build/bench/estimates.md)
#   BENCH_REPEAT runs of each scan, index build and VALIDATE; the fastest
#                counts (default 3: other work on the machine only slows)
#   BENCH_PG_OPTIONS  server options (default: fsync, synchronous_commit and
#                full_page_writes on - the test clusters have them off)
#
# What it measures, each on its own copy of a seeded database:
#   seq scan     SELECT count(*) ... WHERE <expression> with parallel query
#                off (VALIDATE and a NOT NULL scan run in one backend);
#   backfill     the generated backfill phase of bench/estimates/0002 (the
#                real DO-block loop, keyset batches, one commit per batch) at
#                batch 1000, 5000 and 20000, with pgwriter writing 100 tx/s;
#   ceiling      one unbatched UPDATE of every row (the reference the
#                field notes gave the batched rates as a share of);
#   index        CREATE INDEX CONCURRENTLY on a text column of a table
#                without dead rows, and CREATE UNIQUE INDEX CONCURRENTLY on
#                the freshly backfilled column (half the heap is dead rows);
#   validate     ALTER TABLE ... VALIDATE CONSTRAINT of a CHECK (c IS NOT
#                NULL) NOT VALID, and of a FOREIGN KEY ... NOT VALID from an
#                orders table of as many rows.
# Timings are wall-clock around one psql call each; a backfill runs once
# per batch size (it needs a fresh copy), the rest BENCH_REPEAT times.
# Nothing asserts them.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
abspath() { case $1 in /*) echo "$1" ;; *) echo "$top/$1" ;; esac; }
ZDM=$(abspath "${ZDM:-./zdm}")
PGWRITER=$(abspath "${PGWRITER:-build/pgwriter}")
ROWS=${BENCH_ROWS:-2000000}
REPEAT=${BENCH_REPEAT:-3}
OUT=$(abspath "${BENCH_OUT:-build/bench/estimates.md}")
for b in "$ZDM" "$PGWRITER"; do
	[ -x "$b" ] || { echo "bench: $b is missing (make zdm build/pgwriter)" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/zdm-bench.XXXXXX")
cluster=$(mktemp -d "/tmp/zdm-bench-pg.XXXXXX")   # cluster.sh hands it to the server's user
cleanup() {
	[ -f "$tmp/writer.pid" ] && kill "$(cat "$tmp/writer.pid")" 2>/dev/null
	sh tests/pg/cluster.sh stop "$cluster" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. bench/pg.sh
bench_pg_start "$cluster" "$tmp/cluster.log"
psql_q() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
now_ms() { date +%s%3N; }
# Runs SQL on DB and prints the wall-clock milliseconds it took.
timed() { # DB psql-args...
	db=$1
	shift
	t0=$(now_ms)
	psql_q -d "$db" "$@" >"$tmp/timed.log" 2>&1 || { cat "$tmp/timed.log" >&2; exit 1; }
	echo $(($(now_ms) - t0))
}
# The fastest of REPEAT runs of SQL, with RESET run after each (not timed).
best() { # DB SQL RESET
	b=
	i=0
	while [ $i -lt "$REPEAT" ]; do
		ms=$(timed "$1" -c "SET max_parallel_workers_per_gather = 0" -c "$2")
		[ -z "$3" ] || psql_q -d "$1" -c "$3"
		[ -z "$b" ] || [ "$ms" -lt "$b" ] && b=$ms
		i=$((i + 1))
	done
	echo "$b"
}
rate() { awk -v r="$1" -v ms="$2" 'BEGIN { printf "%d\n", r / (ms / 1000.0) }'; }
say() { printf '%s\n' "$*" >&2; }

server=$(psql_q -At -d postgres -c 'SHOW server_version')
say "# PostgreSQL $server at $PGHOST:$PGPORT, $ROWS rows"

# ---- compile: the history, and the backfill at two batch sizes ---------------------------------
mkdir -p "$tmp/src"
cp bench/estimates/0001_users.zdm "$tmp/src/"
(cd "$tmp/src" && "$ZDM" compile 0001_users.zdm --target postgres@15 --out out/0001) >/dev/null
for batch in 1000 5000 20000; do
	sed -e "s/@ROWS@/$ROWS/" -e "s/@BATCH@/$batch/" bench/estimates/0002_backfill.zdm.in \
		>"$tmp/src/0002_backfill.zdm"
	(cd "$tmp/src" && "$ZDM" compile 0002_backfill.zdm --target postgres@15 --out "out/b$batch") >/dev/null
done

# ---- the base database ------------------------------------------------------------------------------
psql_q -d postgres -c 'CREATE DATABASE bench_base'
(cd "$tmp/src/out/0001" && psql_q -d bench_base -f forward.sql)
t=$(timed bench_base -c "INSERT INTO users (email, name)
	SELECT ' User' || g || '@Example.com ', 'name ' || g FROM generate_series(1, $ROWS) g")
say "# seeded $ROWS rows in $t ms"
psql_q -d bench_base -c 'VACUUM ANALYZE users' -c 'CHECKPOINT'
copy() { psql_q -d postgres -c "CREATE DATABASE $1 TEMPLATE bench_base"; }

results=
add() { # NAME ROWS MS NOTE
	r=$(rate "$2" "$3")
	say "$(printf '%-44s %10s rows in %7s ms = %9s rows/s' "$1" "$2" "$3" "$r")"
	results="$results| $1 | $2 | $3 | $r | $4 |
"
}

# ---- sequential scan -------------------------------------------------------------------------------
psql_q -d bench_base -c 'SELECT count(*) FROM users' >/dev/null    # warm the cache
ms=$(best bench_base 'SELECT count(*) FROM users WHERE name IS NULL' '')
add "sequential scan (one backend)" "$ROWS" "$ms" "pgsql_est_scan"

# ---- CREATE INDEX CONCURRENTLY, clean table ---------------------------------------------------------
copy bench_idx
ms=$(best bench_idx 'CREATE INDEX CONCURRENTLY bench_email ON users (email)' 'DROP INDEX bench_email')
add "CREATE INDEX CONCURRENTLY (text, clean heap)" "$ROWS" "$ms" "pgsql_est_index"

# ---- the unbatched ceiling --------------------------------------------------------------------------
copy bench_ceiling
psql_q -d bench_ceiling -c 'ALTER TABLE users ADD COLUMN email_normalized text'
ms=$(timed bench_ceiling -c 'UPDATE users SET email_normalized = lower(btrim(email))')
add "one full-table UPDATE (ceiling)" "$ROWS" "$ms" "reference"
psql_q -d postgres -c 'DROP DATABASE bench_ceiling'

# ---- the generated backfill loop, under a writer ----------------------------------------------------
writer_start() { # DB
	rm -f "$tmp/writer.stop" "$tmp/writer.ready"
	"$PGWRITER" --db "dbname=$1" --clients 2 --rate 100 --keys "1:$ROWS" \
		--insert "INSERT INTO users (email, name) VALUES ('w' || \$1 || '@example.com', 'w')" \
		--update "UPDATE users SET n = n + 1 WHERE id = \$1" --duration 3600 \
		--stop-file "$tmp/writer.stop" --ready-file "$tmp/writer.ready" >"$tmp/writer.json" 2>"$tmp/writer.err" &
	echo $! >"$tmp/writer.pid"
	while [ ! -f "$tmp/writer.ready" ]; do
		kill -0 "$(cat "$tmp/writer.pid")" 2>/dev/null || { cat "$tmp/writer.err" >&2; exit 1; }
		sleep 0.1
	done
}
writer_stop() {
	touch "$tmp/writer.stop"
	wait "$(cat "$tmp/writer.pid")" || true
	rm -f "$tmp/writer.pid"
}
for batch in 1000 5000 20000; do
	db=bench_b$batch
	copy $db
	out=$tmp/src/out/b$batch
	(cd "$out" && psql_q -d $db -f phases/01-expand.forward.sql)
	writer_start $db
	ms=$(cd "$out" && timed $db -f phases/02-backfill.forward.sql)
	writer_stop
	add "generated backfill, batch $batch, 100 tx/s writer" "$ROWS" "$ms" "pgsql_est_backfill"
	if [ $batch = 5000 ]; then
		# The plan's next steps, on the backfilled heap.
		ms=$(best $db 'CREATE UNIQUE INDEX CONCURRENTLY bench_norm ON users (email_normalized)' \
			'DROP INDEX bench_norm')
		add "CREATE UNIQUE INDEX CONCURRENTLY after backfill" "$ROWS" "$ms" "pgsql_est_index"
		nn='ALTER TABLE users ADD CONSTRAINT bench_nn CHECK (email_normalized IS NOT NULL) NOT VALID'
		psql_q -d $db -c "$nn"
		ms=$(best $db 'ALTER TABLE users VALIDATE CONSTRAINT bench_nn' \
			"ALTER TABLE users DROP CONSTRAINT bench_nn; $nn")
		add "VALIDATE CONSTRAINT, CHECK (c IS NOT NULL)" "$ROWS" "$ms" "pgsql_est_scan"
	fi
	psql_q -d postgres -c "DROP DATABASE $db"
done

# ---- VALIDATE of a foreign key ---------------------------------------------------------------------
copy bench_fk
psql_q -d bench_fk -c 'CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id bigint NOT NULL, n int NOT NULL DEFAULT 0)' \
	-c "INSERT INTO orders (user_id) SELECT 1 + (g::bigint * 7919) % $ROWS FROM generate_series(1, $ROWS) g" \
	-c 'VACUUM ANALYZE orders'
fk='ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID'
psql_q -d bench_fk -c "$fk"
ms=$(best bench_fk 'ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk' \
	"ALTER TABLE orders DROP CONSTRAINT orders_user_fk; $fk")
add "VALIDATE CONSTRAINT, FOREIGN KEY" "$ROWS" "$ms" "pgsql_est_fk_scan"

mkdir -p "$(dirname "$OUT")"
{
	echo "PostgreSQL $server, $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)),"
	echo "$ROWS rows, best of $REPEAT (a backfill: one run), server options: ${ZDM_PG_EXTRA_OPTIONS:-the tests'},"
	echo "$(date -u +%Y-%m-%d), bench/estimates.sh"
	echo
	echo "| measurement | rows | ms | rows/s | used by |"
	echo "|---|---:|---:|---:|---|"
	printf '%s' "$results"
} >"$OUT"
echo
cat "$OUT"
echo
echo "# written to $OUT"
