#!/bin/sh
# bench/headline.sh - the headline benchmark (issue 4): the naive SQL of the
# headline migration against `zdm run` of its plan, on a users table of ROWS
# rows, under a steady pgbench writer; prints a markdown report and draws the
# writers' latency over time with the steps marked (an SVG in docs/).
#
#   sh bench/headline.sh [ROWS]          (make bench-headline; ROWS default 10000000)
#
# Knobs (environment):
#   BENCH_ROWS        rows when no argument is given (default 10000000)
#   BENCH_VARIANTS    what to run, in order (default "naive zdm"):
#                     naive   tests/golden/headline/naive.sql with psql, in one
#                             transaction (BENCH_NAIVE_TX=0: one per statement);
#                     zdm     `zdm run` of the compiled plan: --until validate,
#                             then the deploy (the writer switches to the new
#                             application), then --phase contract;
#                     zdm-pmwN  the same plan with every concurrent index build
#                             run under `SET max_parallel_maintenance_workers = N`
#                             (replacing the plan's own setting, if any)
#                     zdm-nosession  the plan with its walks' session_sql
#                             taken out: the backfill's commits wait for the
#                             WAL flush, as before it existed
#                     zdm@TAG  `zdm run` of the plan with the server settings of
#                             $BENCH_OPTS_TAG for zdm's own sessions (PGOPTIONS,
#                             e.g. "-c wal_compression=on") and the extra
#                             `zdm run` flags of $BENCH_FLAGS_TAG (e.g.
#                             "--vacuum-every 0"): what a setting would change
#   BENCH_NAIVE       the naive SQL (default tests/golden/headline/naive.sql)
#   BENCH_RATE        writer transactions per second, all clients (default 500)
#   BENCH_CLIENTS     writer sessions (default 4)
#   BENCH_LATENCY_LIMIT  pgbench -L, ms (default 1000)
#   BENCH_UPDATE_WEIGHT / BENCH_INSERT_WEIGHT  script weights (default 8 / 2)
#   BENCH_SETTLE      seconds the writer runs before and after each variant (10);
#                     the seconds before (less the first) are its baseline
#   BENCH_PG_OPTIONS  server options (default: fsync, synchronous_commit and
#                     full_page_writes on - a durable server, as in production)
#   BENCH_OUT         directory of the report, logs and stats
#                     (default build/bench/headline-<ROWS>)
#   BENCH_SVG         the plot (default docs/headline-<10M|200k|...>.svg)
#   BENCH_PGBENCH     the pgbench binary (default the server's, else pgbench)
#   ZDM               the zdm binary (default ./zdm)
#
# Each variant runs on its own CREATE DATABASE ... TEMPLATE copy of one seeded
# database. Nothing asserts the numbers; the script fails only when something
# did not run. Method and results: docs/benchmarks.md, "Headline".
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
abspath() { case $1 in /*) echo "$1" ;; *) echo "$top/$1" ;; esac; }
ROWS=${1:-${BENCH_ROWS:-10000000}}
case $ROWS in ''|*[!0-9]*) echo "usage: $0 [ROWS]" >&2; exit 2 ;; esac
if [ $((ROWS % 1000000)) = 0 ]; then label=$((ROWS / 1000000))M
elif [ $((ROWS % 1000)) = 0 ]; then label=$((ROWS / 1000))k
else label=$ROWS; fi
ZDM=$(abspath "${ZDM:-./zdm}")
VARIANTS=${BENCH_VARIANTS:-naive zdm}
RATE=${BENCH_RATE:-500}
CLIENTS=${BENCH_CLIENTS:-4}
LIMIT_MS=${BENCH_LATENCY_LIMIT:-1000}
UPD_W=${BENCH_UPDATE_WEIGHT:-8}
INS_W=${BENCH_INSERT_WEIGHT:-2}
SETTLE=${BENCH_SETTLE:-10}
NAIVE_TX=${BENCH_NAIVE_TX:-1}
OUT=$(abspath "${BENCH_OUT:-build/bench/headline-$ROWS}")
SVG=$(abspath "${BENCH_SVG:-docs/headline-$label.svg}")
[ -x "$ZDM" ] || { echo "bench: $ZDM is missing (make zdm)" >&2; exit 2; }

rm -rf "$OUT"
mkdir -p "$OUT"
cluster=$(mktemp -d "/tmp/zdm-headline-pg.XXXXXX")   # cluster.sh hands it to the server's user
writer=
cleanup() {
	[ -z "$writer" ] || kill "$writer" 2>/dev/null || true
	sh tests/pg/cluster.sh stop "$cluster" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. bench/pg.sh
bench_pg_start "$cluster" "$OUT/cluster.log"
PGBENCH=${BENCH_PGBENCH:-$PGBIN/pgbench}
[ -x "$PGBENCH" ] || PGBENCH=$(command -v pgbench) || { echo "bench: no pgbench" >&2; exit 2; }
psql_q() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
sql1() { psql_q -At -d "$1" -c "$2"; }          # DB SQL: one value
now() { date +%s.%N | cut -c1-14; }
say() { printf '%s\n' "$*" >&2; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

server=$(sql1 postgres 'SHOW server_version')
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "# headline: PostgreSQL $server at $PGHOST:$PGPORT, $ROWS rows, variants: $VARIANTS"

# ---- the plan and the base database -----------------------------------------------------------
"$ZDM" compile examples/headline/0001_users.zdm --target postgres@15 --out "$OUT/plan-0001" >/dev/null
"$ZDM" compile examples/headline/0002_email_normalized.zdm --target postgres@15 --out "$OUT/plan" >/dev/null
psql_q -d postgres -c 'CREATE DATABASE bench_base'
psql_q -d bench_base -f "$OUT/plan-0001/forward.sql" >/dev/null
t=$(now)
# Mixed case and stray blanks, so that the backfill changes every value.
psql_q -d bench_base -c "INSERT INTO users (email, name)
	SELECT ' User' || g || '@Example.COM ', 'name ' || g FROM generate_series(1, $ROWS) g"
say "# seeded $ROWS rows in $(secs "$t" "$(now)") s"
# The writer's control row (1 old application, 2 new, 0 stop) and its stop.
psql_q -d bench_base -c 'CREATE TABLE bench_app (v int NOT NULL); INSERT INTO bench_app VALUES (1)' \
	-c "CREATE FUNCTION bench_writer_stop() RETURNS void LANGUAGE plpgsql AS
	    \$\$BEGIN RAISE EXCEPTION 'bench: writer stopped'; END\$\$"
psql_q -d bench_base -c 'VACUUM ANALYZE users' -c 'CHECKPOINT'
copy() { psql_q -d postgres -c "CREATE DATABASE $1 TEMPLATE bench_base"; }
sizes() { sql1 "$1" "SELECT pg_relation_size('users') || ' ' || pg_total_relation_size('users')"; }
mb() { awk -v b="$1" 'BEGIN { printf "%.0f MB", b / 1048576 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# ---- the ceiling: one unloaded full-table UPDATE of the same expression ------------------------
copy bench_ceiling
psql_q -d bench_ceiling -c 'ALTER TABLE users ADD COLUMN email_normalized text' -c 'CHECKPOINT'
t=$(now)
psql_q -d bench_ceiling -c 'UPDATE users SET email_normalized = lower(btrim(email))'
ceil_s=$(secs "$t" "$(now)")
ceil_rps=$(awk -v r="$ROWS" -v s="$ceil_s" 'BEGIN { printf "%d", r / s }')
say "# ceiling: UPDATE of $ROWS rows, no writer: $ceil_s s = $ceil_rps rows/s"
# The floor of the heap after the change: the updated table packed by VACUUM
# FULL (fillfactor 100, no dead version, no free space). The new column's
# width decides it, so it depends on the data: ' User<g>@Example.COM ' has
# one digit more for most rows at 40M than at 10M, which crosses an 8-byte
# alignment step (measured: 1.26x at 4M rows, 1.33x at 40M).
heap_base=$(sql1 bench_base "SELECT pg_relation_size('users')")
psql_q -d bench_ceiling -c 'VACUUM FULL users'
heap_floor=$(sql1 bench_ceiling "SELECT pg_relation_size('users')")
floor_x=$(ratio "$heap_floor" "$heap_base")
say "# heap floor (the updated table packed by VACUUM FULL): $(mb "$heap_base") -> $(mb "$heap_floor") = ${floor_x}x"
psql_q -d postgres -c 'DROP DATABASE bench_ceiling'

# ---- the writer ------------------------------------------------------------------------------
writer_start() { # DB DIR
	(cd "$2" && exec "$PGBENCH" -n -c "$CLIENTS" -j 1 --rate "$RATE" -L "$LIMIT_MS" -T 86400 \
		-D rows="$ROWS" -l --log-prefix "$2/pgbench_log" \
		-f "$top/bench/headline/update.sql@$UPD_W" -f "$top/bench/headline/insert.sql@$INS_W" \
		"dbname=$1") >"$2/pgbench.out" 2>"$2/pgbench.err" &
	writer=$!
	sleep "$SETTLE"
	kill -0 "$writer" 2>/dev/null || { cat "$2/pgbench.err" >&2; echo "bench: pgbench died" >&2; exit 1; }
}
writer_stop() { # DB
	sql1 "$1" 'UPDATE bench_app SET v = 0' >/dev/null
	wait "$writer" || true      # every client ends on bench_writer_stop(): status 2
	writer=
}

# ---- the variants: each writes DIR/marks ("start end label" a step) ----------------------------
naive_run() { # DB DIR
	# One SELECT of the clock before each statement; the last mark follows
	# COMMIT. The writer becomes the new application in the same transaction.
	awk -v tx="$NAIVE_TX" '
		BEGIN { print "\\set ON_ERROR_STOP on"; m = "SELECT extract(epoch FROM clock_timestamp());" }
		/^[[:space:]]*(--|$)/ { next }
		{ s = s (s == "" ? "" : "\n") $0 }
		/;[[:space:]]*$/ {
			n++; print m; if (n == 1 && tx == 1) print "BEGIN;"; print s
			lab = s; gsub(/[[:space:]]+/, " ", lab); print substr(lab, 1, 70) > LABELS; s = "" }
		END { print m; print "UPDATE bench_app SET v = 2;"; if (tx == 1) print "COMMIT;"
		      print "app switch + COMMIT" > LABELS; print m }' LABELS="$2/labels" \
		"${BENCH_NAIVE:-tests/golden/headline/naive.sql}" >"$2/naive-marked.sql"
	rc=0
	psql_q -At -d "$1" -f "$2/naive-marked.sql" >"$2/times" 2>"$2/variant.err" || rc=$?
	[ $rc = 0 ] || { say "# naive: psql failed ($rc):"; cat "$2/variant.err" >&2
		echo "naive SQL failed: $(grep ERROR "$2/variant.err" | head -n 1)" >"$2/failure"; }
	awk 'NR == FNR { t[NR] = $1; n = NR; next } FNR < n { print t[FNR], t[FNR + 1], $0 }' \
		"$2/times" "$2/labels" >"$2/marks"
}
zdm_run() { # DB DIR PLAN [PGOPTIONS [FLAGS]]: FLAGS split into words on purpose
	rc=0 zopts=${4:-} zflags=${5:-}
	# shellcheck disable=SC2086
	PGOPTIONS=$zopts "$ZDM" run "$3" --db "dbname=$1" --until validate --yes $zflags \
		>"$2/variant.out" 2>"$2/variant.err" || rc=$?
	if [ $rc = 3 ]; then
		# The deploy checkpoint: the new application takes over, then contract.
		sql1 "$1" 'UPDATE bench_app SET v = 2' >/dev/null
		# shellcheck disable=SC2086
		PGOPTIONS=$zopts "$ZDM" run "$3" --db "dbname=$1" --phase contract --yes $zflags \
			>>"$2/variant.out" 2>>"$2/variant.err" || rc=$?
		[ $rc = 3 ] && rc=0
	fi
	[ $rc = 0 ] || { say "# zdm run failed ($rc):"; tail -n 20 "$2/variant.err" >&2
		echo "zdm run failed: $(grep -m1 'error\|failed' "$2/variant.err")" >"$2/failure"; }
	sql1 "$1" "SELECT extract(epoch FROM started_at) || ' ' || extract(epoch FROM coalesce(finished_at, now()))
	           || ' ' || step || ' ' || title FROM zdm.steps WHERE started_at IS NOT NULL ORDER BY step" >"$2/marks"
}
pmw_plan() { # N DIR: the plan with every concurrent build under max_parallel_maintenance_workers = N
	cp -r "$OUT/plan" "$2/plan"
	sed -e 's/SET max_parallel_maintenance_workers = [0-9]*;\\n//g' \
	    -e "s/\\(CREATE [A-Z ]*INDEX CONCURRENTLY\\)/SET max_parallel_maintenance_workers = $1;\\\\n\\1/g" \
		"$OUT/plan/plan.json" >"$2/plan/plan.json"
}

nosession_plan() { # DIR: the plan with its walks' session setting taken out (before session_sql)
	cp -r "$OUT/plan" "$1/plan"
	sed 's/"session_sql": "[^"]*"/"session_sql": null/' "$OUT/plan/plan.json" >"$1/plan/plan.json"
}

report="$OUT/headline.md"
steps_md=
rows_md=
svg_body=
panel=0
for v in $VARIANTS; do
	dir=$OUT/$v
	db=bench_$(echo "$v" | tr -c 'a-z0-9\n' '_')
	mkdir -p "$dir"
	copy "$db"
	size0=$(sizes "$db")
	cs0=$(sql1 "$db" "SELECT count(*) || ' ' || sum(n) FROM users")
	say "# $v: writer on, $RATE tx/s, $CLIENTS clients"
	w0=$(now)
	writer_start "$db" "$dir"
	v0=$(now)
	case $v in
	naive) naive_run "$db" "$dir" ;;
	zdm) zdm_run "$db" "$dir" "$OUT/plan" ;;
	zdm-pmw[0-9]*) pmw_plan "${v#zdm-pmw}" "$dir"; zdm_run "$db" "$dir" "$dir/plan" ;;
	zdm-nosession) nosession_plan "$dir"; zdm_run "$db" "$dir" "$dir/plan" ;;
	zdm@[A-Za-z0-9_]*)
		tag=${v#zdm@}
		eval "zo=\${BENCH_OPTS_$tag:-} zf=\${BENCH_FLAGS_$tag:-}"
		zdm_run "$db" "$dir" "$OUT/plan" "$zo" "$zf" ;;
	*) echo "bench: unknown variant $v" >&2; exit 2 ;;
	esac
	v1=$(now)
	sleep "$SETTLE"
	writer_stop "$db"
	w1=$(now)
	size1=$(sizes "$db")
	cs1=$(sql1 "$db" "SELECT count(*) || ' ' || sum(n) FROM users")
	wrong=$(sql1 "$db" "SELECT count(*) FROM users WHERE email_normalized IS DISTINCT FROM lower(btrim(email))" 2>/dev/null || echo "no column")
	schema=$(sql1 "$db" "SELECT CASE WHEN a.attnotnull AND i.indisvalid AND i.indisunique THEN 'ok' ELSE 'WRONG' END
		FROM pg_attribute a LEFT JOIN pg_index i ON i.indexrelid = to_regclass('idx_users_email_norm')
		WHERE a.attrelid = 'users'::regclass AND a.attname = 'email_normalized'" 2>/dev/null || true)
	[ -n "$schema" ] || schema=WRONG
	cat "$dir"/pgbench_log* >"$dir/log"
	awk -v t0="$v0" -v t1="$(awk -v a="$v1" -v s="$SETTLE" 'BEGIN { printf "%.3f", a + s }')" \
		-f bench/headline/analyse.awk "$dir/marks" "$dir/log" >"$dir/stats"
	# The writer alone, before the variant: what the machine gives it.
	awk -v t0="$(awk -v a="$w0" 'BEGIN { printf "%.3f", a + 1 }')" -v t1="$v0" \
		-f bench/headline/analyse.awk /dev/null "$dir/log" >"$dir/stats-alone"
	get() { awk -v k="$1" '$1 == k { print $2 }' "${2:-$dir/stats}"; }
	p99() { awk '$1 == "lat" { print $2 }' "$1" | sort -n |
		awk '{ a[NR] = $1 } END { i = int(NR * 0.99); if (i < NR * 0.99) i++; if (i < 1) i = 1; printf "%.1f", a[i] / 1000 }'; }
	p99=$(p99 "$dir/stats")
	sa=$dir/stats-alone
	# Writer transactions that ended on an error (pgbench 15 ends such a client),
	# other than the stop at the end.
	aborted=$(grep -c 'aborted in command' "$dir/pgbench.err" || true)
	stops=$(grep -c 'writer stopped' "$dir/pgbench.err" || true)
	failed=$(( $(get failed) + aborted - stops ))
	lost=$(awk -v a="$cs0" -v b="$cs1" -v u="$(get all_updates)" -v i="$(get all_inserts)" 'BEGIN {
		split(a, x, " "); split(b, y, " "); printf "%d updates, %d inserts", x[2] + u - y[2], x[1] + i - y[1] }')
	total=$(secs "$v0" "$v1")
	outcome=$( [ -f "$dir/failure" ] && cat "$dir/failure" || echo "schema $schema" )
	[ "$(get lag_excluded)" = 0 ] || say "# warning: $(get lag_excluded) log lines have time < schedule lag"
	rows_md="$rows_md| (writer alone, $(secs "$w0" "$v0") s before $v) | - | $(get commits "$sa") | $(get max_ms "$sa") | $(p99 "$sa") | $(get gap_s "$sa") | $(get over1s "$sa") | $(get skipped "$sa") | $(get failed "$sa") | | | | | |
| $v | $total | $(get commits) | $(get max_ms) | $p99 | $(get gap_s) (at +$(get gap_at) s) | $(get over1s) | $(get skipped) | $failed | $lost | $wrong | $(mb "${size0% *}") → $(mb "${size1% *}") ($(ratio "${size1% *}" "${size0% *}")×; floor ${floor_x}×) | $(mb "${size0#* }") → $(mb "${size1#* }") | $outcome |
"
	steps_md="$steps_md
**$v** (total $total s)

| step | s | writers' max ms | tx > 1 s | commits |
|---|---:|---:|---:|---:|
$(awk 'NR == FNR { if ($1 == "step") { m[$2] = $3; o[$2] = $4; c[$2] = $5 } next }
	{ l = $3; for (i = 4; i <= NF; i++) l = l " " $i
	  printf "| %s | %.1f | %s | %d | %d |\n", l, $2 - $1, (m[FNR] < 0 ? "skipped" : m[FNR]), o[FNR], c[FNR] }' \
	"$dir/stats" "$dir/marks")
"
	if [ "$v" != naive ]; then
		bf=$(awk '$3 ~ /^[0-9]+$/ && /backfill/ { s += $2 - $1 } END { printf "%.1f", s }' "$dir/marks")
		bfr=$(awk -v r="$ROWS" -v s="$bf" -v c="$ceil_rps" 'BEGIN { if (s > 0) printf "%d rows/s = %.0f%% of the ceiling", r / s, 100 * r / s / c }')
		steps_md="$steps_md
backfill: $ROWS rows in $bf s: $bfr
"
	fi
	svg_body="$svg_body$(awk -v w0="$w0" -v w1="$w1" -v y=$((panel * 240)) \
		-v title="$v: $ROWS rows, writer $RATE tx/s, $CLIENTS clients (worst latency per slice; red dashes: 1 s)" \
		-f bench/headline/plot.awk "$dir/marks" "$dir/log")
"
	panel=$((panel + 1))
	say "# $v: $total s, max $(get max_ms) ms, p99 $p99 ms, gap $(get gap_s) s, over 1 s $(get over1s), failed $failed, lost $lost, wrong values $wrong, $outcome"
	psql_q -d postgres -c "DROP DATABASE $db"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

mkdir -p "$(dirname "$SVG")"
{
	printf '<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="%d" font-family="sans-serif">\n' $((panel * 240))
	printf '<rect width="100%%" height="100%%" fill="white"/>\n'
	printf '%s' "$svg_body"
	echo '</svg>'
} >"$SVG"
{
	echo "PostgreSQL $server, $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)),"
	echo "$ROWS rows, writer: pgbench $CLIENTS clients, --rate $RATE, -L $LIMIT_MS, updates:inserts $UPD_W:$INS_W,"
	echo "server options: ${ZDM_PG_EXTRA_OPTIONS:-the test defaults}; $(date -u '+%Y-%m-%d %H:%M UTC'), bench/headline.sh;"
	echo "load average before: $load_before, after: $load_after"
	echo
	echo "ceiling (one full-table UPDATE, no writer): $ROWS rows in $ceil_s s = $ceil_rps rows/s"
	echo "heap floor (that updated table packed by VACUUM FULL): $(mb "$heap_base") → $(mb "$heap_floor") = ${floor_x}×"
	echo
	echo "| variant | total s | writer commits | max ms | p99 ms (committed) | longest no-commit s | tx > 1 s (incl. skipped) | skipped | failed | lost writes | wrong values | heap | heap + indexes | outcome |"
	echo "|---|---:|---:|---:|---:|---|---:|---:|---:|---|---:|---|---|---|"
	printf '%s' "$rows_md"
	printf '%s\n' "$steps_md"
	echo "plot: ${SVG#"$top"/}"
} >"$report"
echo
cat "$report"
echo
echo "# written to $report"
