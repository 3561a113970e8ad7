#!/bin/sh
# online.sh - proves one case's compiled plan on a real PostgreSQL under load.
#
#   PGHOST=... PGPORT=... PGUSER=... ZDM=build/zdm-asan PGWRITER=build/pgwriter \
#       sh tests/pg/online.sh tests/golden/headline
#
# The case directory is a golden case (tests/golden/<case>/: history files and
# the migration under test = the last *.zdm) plus three files of its own:
#
#   online.conf   shell assignments, sourced: ROWS, SEED, TABLE, OLD_INSERT,
#                 OLD_UPDATE, NEW_INSERT, NEW_UPDATE, RATE, CLIENTS
#                 (see docs/testing.md)
#   naive.sql     the migration as one would naively write it in SQL: the end
#                 schema it gives is the expected end schema
#   checks.sql    optional data-correctness checks, each a SELECT returning one
#                 row (check, ok), like verify_*.sql
#   rollback_checks.sql  optional, the same after each partial run's rollback
#                 (the phases before the last): the data the rollback restores
#   rollback_end_checks.sql  optional, the same after rollback.sql from the
#                 end of the full run: the data a rollback gives back even then
#   rollback_leaves.sql  optional SQL on the base giving what the plan states
#                 its rollback cannot undo (an enum label): a rolled-back
#                 schema may equal the original or the original plus this
#
# A case whose data breaks the migration sets EXPECT_FAIL (a substring of the
# name of the verify_pre check that must report it) and EXPECT_ERROR (an ERE
# the failing phase's output must match): then naive.sql must fail too,
# verify_pre must report that check not ok, the phases must stop with that
# error under the writer (no writer failure, no stall, no lost write, the
# case's checks still true), and rollback.sql must restore the original
# schema, from the failed run and from each phase before the failing one.
#
# Steps: compile every file for postgres@15; build a base database from the
# history's forward.sql and the seed; the expected schema = base + naive.sql.
# Then on a copy of the base, with the OLD application writing: verify_pre,
# each phases/NN-*.forward.sql in order, each started while a blocker session
# holds ROW EXCLUSIVE on TABLE (the NEW application replaces the old one
# before the contract phase, as a rollout would), and the checks: schema,
# verify_post, writer failures, writer latency < lock_timeout + 1 s, no lost
# write (count and sum(n) of TABLE against what the writer committed), the
# case's checks; then rollback.sql from the end, and from after each proper
# prefix of the phases (0..K-1) on fresh copies with the writer running;
# and, where plan.json has rollback_pieces, `zdm run` and `zdm rollback`
# (native walks) from the deploy checkpoint under the writer and from the end.
# Each check prints "ok CASE/check" or "FAIL CASE/check" + indented details.
# docs/testing.md says more.
set -u

dir=${1:?usage: online.sh CASE_DIR}
dir=$(cd "$dir" && pwd) || exit 2
case=$(basename "$dir")
TARGET=${ZDM_PG_TARGET:-postgres@15}
STEP_TIMEOUT=${ZDM_PG_STEP_TIMEOUT:-300}
: "${ZDM:?set ZDM to the zdm binary}" "${PGWRITER:?set PGWRITER to the pgwriter binary}"
: "${PGHOST:?no PGHOST: start a cluster (tests/pg/cluster.sh) or use tests/pg/run}"
PGBIN=${PGBIN:-$(dirname "$(command -v psql)")}
# A guard for anything the scripts do not bound themselves.
PGOPTIONS=${PGOPTIONS:--c statement_timeout=${STEP_TIMEOUT}s}
export PGOPTIONS

# ---- the case's configuration ------------------------------------------------------
ROWS=20000 RATE=100 CLIENTS=2 TABLE='' TABLE_AFTER='' SEED='' BLOCKER_SECONDS=''
OLD_INSERT='' OLD_UPDATE='' NEW_INSERT='' NEW_UPDATE='' COLUMN_ORDER=exact
EXPECT_FAIL='' EXPECT_ERROR=''
[ -f "$dir/online.conf" ] || { echo "FAIL $case/config"; echo "    no $dir/online.conf"; exit 1; }
. "$dir/online.conf"
# The table's name once the plan has run (a case that renames it says so).
TABLE_AFTER=${TABLE_AFTER:-$TABLE}
NEW_INSERT=${NEW_INSERT:-$OLD_INSERT}
NEW_UPDATE=${NEW_UPDATE:-$OLD_UPDATE}
if [ -z "$TABLE" ] || [ -z "$SEED" ] || [ -z "$OLD_INSERT$OLD_UPDATE" ] || [ ! -f "$dir/naive.sql" ]; then
	echo "FAIL $case/config"
	echo "    online.conf needs TABLE, SEED and OLD_INSERT/OLD_UPDATE; the case needs naive.sql"
	exit 1
fi

if [ -n "$EXPECT_FAIL" ] && [ -z "$EXPECT_ERROR" ]; then
	echo "FAIL $case/config"
	echo "    EXPECT_FAIL needs EXPECT_ERROR: the error the failing phase must report"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/zdm-online.XXXXXX") || exit 2
dbp=zdm_$(echo "$case" | tr -c 'A-Za-z0-9\n' '_' | tr 'A-Z' 'a-z' | cut -c1-30)_$$
dbs=
status=0
cleanup() {
	for p in "$tmp"/*.pid; do
		[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	if [ "${ZDM_KEEP:-0}" != 1 ]; then
		for db in $dbs; do
			"$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1
		done
		rm -rf "$tmp"
	else
		echo "# kept $tmp and databases:$dbs" >&2
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { echo "ok $case/$1"; }
fail() {
	echo "FAIL $case/$1"
	shift
	for text in "$@"; do printf '%s\n' "$text"; done | sed 's/^/    /'
	status=1
}
clip() { head -n "${1:-60}"; }

psql_q() { timeout "$STEP_TIMEOUT" "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

# Runs a script file on a database from the script's own directory.
run_sql() { # DB FILE LOG
	(cd "$(dirname "$2")" && psql_q -d "$1" -f "$(basename "$2")") >"$3" 2>&1
}

scalar() { # DB SQL
	psql_q -At -d "$1" -c "$2"
}

# A schema dump without what differs between two equal schemas: comments, SET
# lines, the \restrict key, blank lines; and without zdm's own schema.
dump() { # DB OUT
	timeout "$STEP_TIMEOUT" "$PGBIN/pg_dump" --schema-only --no-owner --no-privileges \
		--exclude-schema=zdm -d "$1" >"$2.raw" 2>"$2.err" || { cat "$2.err"; return 1; }
	sed -e '/^--/d' -e '/^SET /d' -e '/^SELECT pg_catalog\./d' \
		-e '/^\\restrict /d' -e '/^\\unrestrict /d' -e '/^[[:space:]]*$/d' "$2.raw" >"$2.lines"
	# COLUMN_ORDER=any (a plan that states "the column moves to the end of the
	# table"): the column lines of each CREATE TABLE are compared sorted, each
	# without its trailing comma.
	if [ "$COLUMN_ORDER" = any ]; then
		awk '
			/^CREATE TABLE / { print; inside = 1; n = 0; next }
			inside && /^\)/ {
				for (i = 2; i <= n; i++)
					for (j = i; j > 1 && cols[j - 1] > cols[j]; j--) {
						t = cols[j]; cols[j] = cols[j - 1]; cols[j - 1] = t
					}
				for (i = 1; i <= n; i++) print cols[i]
				print; inside = 0; next }
			inside { line = $0; sub(/,$/, "", line); cols[++n] = line; next }
			{ print }' "$2.lines" >"$2"
	else
		mv "$2.lines" "$2"
	fi
}

new_db() { # NAME [TEMPLATE]
	dbs="$dbs $1"
	scalar postgres "CREATE DATABASE \"$1\"${2:+ TEMPLATE \"$2\"}" >/dev/null
}

# Runs a file of checks (each a SELECT returning one row: check, ok); prints
# the failing ones. Fails when any ok is not true, or when no row came back.
run_checks() { # DB FILE OUT
	us=$(printf '\037')
	if ! (cd "$(dirname "$2")" && psql_q -At -F "$us" -d "$1" -f "$(basename "$2")") >"$3" 2>&1; then
		cat "$3"
		return 1
	fi
	awk -F "$us" '
		{ n++; if ($2 != "t" && $2 != "1" && $2 != "true") { bad++; print "not ok: " $1 " -> " $2 } }
		END { if (n == 0) { print "no check rows came back"; exit 1 } exit bad > 0 }' "$3"
}

# ---- writer --------------------------------------------------------------------------
writer_start() { # DB TAG INSERT UPDATE INSERT_START
	rm -f "$tmp/$2.stop" "$tmp/$2.ready"
	"$PGWRITER" --db "dbname=$1" --clients "$CLIENTS" --rate "$RATE" --keys "1:$ROWS" \
		--insert "$3" --update "$4" --insert-start "$5" --duration 900 \
		--stop-file "$tmp/$2.stop" --ready-file "$tmp/$2.ready" \
		>"$tmp/$2.json" 2>"$tmp/$2.err" &
	echo $! >"$tmp/$2.pid"
	i=0
	while [ ! -f "$tmp/$2.ready" ]; do
		if ! kill -0 "$(cat "$tmp/$2.pid")" 2>/dev/null || [ $i -ge 300 ]; then
			cat "$tmp/$2.err"
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	# Let it write for a moment before the migration starts.
	sleep "${WRITER_WARMUP:-1}"
}

writer_stop() { # TAG
	[ -f "$tmp/$1.pid" ] || return 0
	touch "$tmp/$1.stop"
	wait "$(cat "$tmp/$1.pid")" 2>/dev/null
	rm -f "$tmp/$1.pid"
}

# A session that holds ROW EXCLUSIVE on TABLE for BLOCKER_SECONDS, as an
# application transaction left open would: a step that takes a lock which
# conflicts with writers must give up after its lock_timeout (and retry)
# instead of queueing every writer behind itself.
nblockers=0
blocker_start() { # DB
	nblockers=$((nblockers + 1))
	psql_q -d "$1" -c "BEGIN" -c "LOCK TABLE $TABLE IN ROW EXCLUSIVE MODE" \
		-c "SELECT pg_sleep($BLOCKER_SECONDS)" -c "COMMIT" >"$tmp/blocker$nblockers.log" 2>&1 &
	echo $! >"$tmp/blocker$nblockers.pid"
	sleep 0.2
}
blockers_wait() {
	bad=0
	for p in "$tmp"/blocker*.pid; do
		[ -f "$p" ] || continue
		wait "$(cat "$p")" || { bad=1; cat "${p%.pid}.log"; }
		rm -f "$p"
	done
	return $bad
}

jnum() { # KEY FILE...: the sum of KEY over the writers' summaries
	cat "$@" 2>/dev/null | sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" | awk '{ s += $1 } END { printf "%d\n", s }'
}
jmax() {
	cat "$@" 2>/dev/null | sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" | awk '$1 > m { m = $1 } END { print m + 0 }'
}

# Checks the writers' summaries: no failure, some progress, no stall beyond
# the bound (forward has its own check), and no lost write.
check_writers() { # NAME DB TABLE FILES...
	name=$1 db=$2 tbl=$3
	shift 3
	fails=$(jnum failures "$@")
	tx=$(($(jnum inserts "$@") + $(jnum updates "$@")))
	if [ "$fails" -ne 0 ]; then
		fail "$name-writer" "$fails writer transaction(s) failed; first errors:" \
			"$(sed -n 's/.*"errors":\[\(.*\)\]}/\1/p' "$@" | head -c 2000)"
	elif [ "$tx" -lt 10 ]; then
		fail "$name-writer" "the writer committed only $tx transactions: it proves nothing" \
			"$(cat "$tmp"/*.err 2>/dev/null | head -5)"
	elif [ "$name" != forward ] && [ -n "$lt" ] &&
		! awk -v m="$(jmax max_latency_ms "$@")" -v l="$lt" 'BEGIN { exit !(m < l + 1000) }'; then
		fail "$name-writer" "slowest writer transaction $(jmax max_latency_ms "$@") ms >= lock_timeout $lt ms + 1000 ms"
	else
		ok "$name-writer ($tx committed, slowest $(jmax max_latency_ms "$@") ms)"
	fi
	want_count=$((count0 + $(jnum inserted_rows "$@")))
	want_sum=$((sum0 + $(jnum updated_rows "$@")))
	got=$(scalar "$db" "SELECT count(*) || ' ' || coalesce(sum(n), 0) FROM $tbl" 2>&1)
	if [ "$got" = "$want_count $want_sum" ]; then
		ok "$name-no-lost-write"
	else
		fail "$name-no-lost-write" "count(*) sum(n) of $tbl: got '$got', want '$want_count $want_sum'" \
			"(seed $count0 $sum0 + what the writers committed)"
	fi
}

# The bound on a writer's stall, in ms, from plan.json: the largest
# lock_timeout of the steps whose lock blocks writers; when no step blocks
# writers, the smallest lock_timeout of the plan (no stall is expected at all:
# a longer one would also make the blocker outlast a CONCURRENTLY step's own
# lock_timeout). Without plan.json: the largest SET lock_timeout of forward.sql.
lock_timeout_ms() { # OUTDIR
	from_json=
	if [ -f "$1/plan.json" ]; then
		from_json=$(cd "$1" && psql_q -At -d postgres 2>/dev/null <<'EOF'
\set j `cat plan.json`
WITH vals AS (
  SELECT o, CASE
    WHEN jsonb_typeof(e.value) = 'number' AND e.key ~ '_s(ec(onds)?)?$' THEN (e.value::text)::numeric * 1000
    WHEN jsonb_typeof(e.value) = 'number' THEN (e.value::text)::numeric
    WHEN e.value #>> '{}' ~ '^\s*[0-9.]+\s*$' THEN (e.value #>> '{}')::numeric
    ELSE extract(epoch FROM (e.value #>> '{}')::interval) * 1000
    END AS ms
  FROM jsonb_path_query(:'j'::jsonb, 'strict $.**') o, jsonb_each(o) e
  WHERE jsonb_typeof(o) = 'object' AND e.key ~* '^lock_?timeout(_m?s|_sec(onds)?)?$'
    AND (jsonb_typeof(e.value) = 'number'
         OR e.value #>> '{}' ~* '^\s*[0-9.]+\s*(ms|s|sec|min|h)?\s*$')
), blocking AS (
  -- steps whose lock conflicts with the writers' ROW EXCLUSIVE
  SELECT ms FROM vals
  WHERE jsonb_typeof(o -> 'lock') = 'string'
    AND upper(o ->> 'lock') ~ '^\s*(ACCESS EXCLUSIVE|EXCLUSIVE|SHARE ROW EXCLUSIVE|SHARE)\M'
    AND upper(o ->> 'lock') !~ '^\s*SHARE UPDATE EXCLUSIVE'
)
SELECT coalesce((SELECT max(ms) FROM blocking), (SELECT min(ms) FROM vals))::bigint;
EOF
		)
	fi
	if [ -n "$from_json" ]; then
		echo "$from_json"
		return
	fi
	vals=$(grep -ohi "lock_timeout[^0-9]*[0-9][0-9.]*[a-z]*" "$1/forward.sql" 2>/dev/null |
		sed 's/.*[^0-9.]\([0-9.][0-9.]*[a-z]*\)$/\1/')
	[ -n "$vals" ] || return 1
	echo "$vals" | awk '
		/ms$/ { v = $0 + 0 } /[0-9]s$/ { v = ($0 + 0) * 1000 } /min$/ { v = ($0 + 0) * 60000 }
		/^[0-9.]+$/ { v = $0 + 0 } v > m { m = v } END { printf "%d\n", m }'
}

# ---- (a) compile ------------------------------------------------------------------
mkdir -p "$tmp/src"
cp "$dir"/*.zdm "$tmp/src"/
files=$(cd "$tmp/src" && ls *.zdm | sort)
last=$(echo "$files" | tail -n 1)
for f in $files; do
	stem=${f%.zdm}
	if ! (cd "$tmp/src" && "$ZDM" compile "$f" --target "$TARGET" --out "../out/$stem") \
		>"$tmp/compile.log" 2>&1; then
		fail compile "zdm compile $f --target $TARGET failed:" "$(clip 30 <"$tmp/compile.log")"
		exit 1
	fi
done
out=$tmp/out/${last%.zdm}
phases=$(ls "$out"/phases/*.forward.sql 2>/dev/null | sort)
if [ -z "$phases" ]; then
	fail compile "the plan for $last has no phases/NN-*.forward.sql"
	exit 1
fi
ok "compile ($(echo "$phases" | wc -l | tr -d ' ') phases)"

# ---- (b) base: history + seed; (c) expected: base + naive.sql -------------------------
base=${dbp}_base
new_db "$base" || { fail setup "cannot create database $base"; exit 1; }
for f in $files; do
	[ "$f" = "$last" ] && break
	if ! run_sql "$base" "$tmp/out/${f%.zdm}/forward.sql" "$tmp/history.log"; then
		fail setup "forward.sql of history file $f failed:" "$(clip 30 <"$tmp/history.log")"
		exit 1
	fi
done
if ! scalar "$base" "$SEED" >"$tmp/seed.log" 2>&1 || ! scalar "$base" "VACUUM ANALYZE" >>"$tmp/seed.log" 2>&1; then
	fail setup "the seed failed:" "$(clip 30 <"$tmp/seed.log")"
	exit 1
fi
set -- $(scalar "$base" "SELECT count(*), coalesce(sum(n), 0) FROM $TABLE" | tr '|' ' ')
count0=${1:-x} sum0=${2:-x}
case $count0$sum0 in *[!0-9]*|'') fail setup "cannot count $TABLE"; exit 1 ;; esac
dump "$base" "$tmp/schema.orig" || { fail setup "pg_dump failed"; exit 1; }

naive=${dbp}_naive
new_db "$naive" "$base"
if [ -n "$EXPECT_FAIL" ]; then
	# The same data must break the naive SQL: the failure is the data's.
	if run_sql "$naive" "$dir/naive.sql" "$tmp/naive.log"; then
		fail naive-fails "naive.sql succeeded: the data does not break the migration"
	elif ! grep -Eq -- "$EXPECT_ERROR" "$tmp/naive.log"; then
		fail naive-fails "naive.sql failed, but not with /$EXPECT_ERROR/:" "$(clip 20 <"$tmp/naive.log")"
	else
		ok naive-fails
	fi
else
	if ! run_sql "$naive" "$dir/naive.sql" "$tmp/naive.log"; then
		fail naive "naive.sql failed:" "$(clip 30 <"$tmp/naive.log")"
		exit 1
	fi
	dump "$naive" "$tmp/schema.expected" || { fail naive "pg_dump failed"; exit 1; }
	if cmp -s "$tmp/schema.orig" "$tmp/schema.expected"; then
		fail naive "naive.sql does not change the schema: the schema check would prove nothing"
	fi
fi

# rollback_leaves.sql (optional): what the plan says its rollback cannot undo
# (an enum label PostgreSQL cannot drop), as SQL on the base: a rolled-back
# schema may equal the original or the original plus this.
if [ -f "$dir/rollback_leaves.sql" ]; then
	leaves=${dbp}_leaves
	new_db "$leaves" "$base"
	if ! run_sql "$leaves" "$dir/rollback_leaves.sql" "$tmp/leaves.log"; then
		fail setup "rollback_leaves.sql failed:" "$(clip 30 <"$tmp/leaves.log")"
		exit 1
	fi
	dump "$leaves" "$tmp/schema.leaves" || { fail setup "pg_dump failed"; exit 1; }
fi

# Whether a rolled-back schema is the original (or what rollback_leaves.sql
# allows); the diff against the original goes to DIFF.
rolled_back() { # SCHEMA DIFF
	diff -u --label original --label rolled-back "$tmp/schema.orig" "$1" >"$2" && return 0
	[ -f "$tmp/schema.leaves" ] && cmp -s "$tmp/schema.leaves" "$1"
}

# Runs the phases 1..$2 on a database, switching writers before the contract
# phase; prints which phase failed. Sets $writers to the summaries to read.
run_phases() { # DB COUNT TAG
	db=$1 upto=$2 tag=$3 ran=0
	writers="$tmp/$tag-old.json"
	for ph in $phases; do
		[ "$ran" -ge "$upto" ] && break
		ran=$((ran + 1))
		case $(basename "$ph") in
		*-contract.forward.sql)
			if [ "$NEW_INSERT$NEW_UPDATE" != "$OLD_INSERT$OLD_UPDATE" ] && [ -f "$tmp/$tag-old.pid" ]; then
				writer_stop "$tag-old"
				WRITER_WARMUP=0.2 writer_start "$db" "$tag-new" "$NEW_INSERT" "$NEW_UPDATE" 2000000000 ||
					{ echo "the NEW writer did not start"; return 1; }
				writers="$writers $tmp/$tag-new.json"
			fi ;;
		esac
		[ "$tag" = fwd ] && [ "$BLOCKER_SECONDS" != 0 ] && blocker_start "$db"
		if ! run_sql "$db" "$ph" "$tmp/phase.log"; then
			echo "$(basename "$ph") failed:"
			clip 40 <"$tmp/phase.log"
			return 1
		fi
	done
}

# ---- (d) the forward run under load ------------------------------------------------
# The stall bound, and a blocker that outlasts it by 1 s (unless the case
# says): a step that conflicts with it times out at least once and retries.
lt=$(lock_timeout_ms "$out") || lt=
if [ -z "$BLOCKER_SECONDS" ]; then
	BLOCKER_SECONDS=$(awk -v l="${lt:-1000}" 'BEGIN { printf "%.1f\n", l / 1000 + 1 }')
fi
a=${dbp}_a
new_db "$a" "$base"
writer_start "$a" fwd-old "$OLD_INSERT" "$OLD_UPDATE" 1000000000 ||
	{ fail forward "the OLD writer did not start"; exit 1; }
if [ -n "$EXPECT_FAIL" ]; then
	# The named check must be there and report the bad data (not ok).
	run_checks "$a" "$out/verify_pre.sql" "$tmp/pre.out" >"$tmp/pre.log" 2>&1
	if awk -F "$(printf '\037')" -v want="$EXPECT_FAIL" '
		index($1, want) && $2 != "t" { found = 1 } END { exit !found }' "$tmp/pre.out"; then
		ok "verify-pre-reports ($(grep -F -- "$EXPECT_FAIL" "$tmp/pre.out" | cut -d "$(printf '\037')" -f1 | head -n 1))"
	else
		fail verify-pre-reports "no verify_pre check whose name contains '$EXPECT_FAIL' reported not ok:" \
			"$(clip 30 <"$tmp/pre.log")"
	fi
elif run_checks "$a" "$out/verify_pre.sql" "$tmp/pre.out" >"$tmp/pre.log" 2>&1; then
	ok verify-pre
else
	fail verify-pre "$(clip 30 <"$tmp/pre.log")"
fi
nphases=$(echo "$phases" | wc -l)
# rollback_from: whether rollback.sql is tried on the forward database;
# partial: how many prefixes of the phases are rolled back on fresh copies.
rollback_from=0 partial=$nphases
if run_phases "$a" "$nphases" fwd >"$tmp/fwd.log" 2>&1; then
	forward_ok=1
	if [ -n "$EXPECT_FAIL" ]; then
		fail forward-fails "every phase ran although verify_pre reports '$EXPECT_FAIL'"
	else
		ok forward
		rollback_from=1
	fi
else
	forward_ok=0
	if [ -z "$EXPECT_FAIL" ]; then
		fail forward "$(cat "$tmp/fwd.log")"
	elif grep -Eq -- "$EXPECT_ERROR" "$tmp/fwd.log"; then
		partial=$((ran - 1))
		ok "forward-fails (in $(basename "$ph"): $(grep -Eo -- "$EXPECT_ERROR" "$tmp/fwd.log" | head -n 1))"
		rollback_from=1
	else
		fail forward-fails "a phase failed, but not with /$EXPECT_ERROR/:" "$(cat "$tmp/fwd.log")"
	fi
fi
# Without a contract phase the new application is deployed after the plan:
# it must work on the migrated schema.
if [ "$forward_ok" = 1 ] && [ ! -f "$tmp/fwd-new.pid" ] &&
	[ "$NEW_INSERT$NEW_UPDATE" != "$OLD_INSERT$OLD_UPDATE" ]; then
	writer_stop fwd-old
	writer_start "$a" fwd-new "$NEW_INSERT" "$NEW_UPDATE" 2000000000 ||
		fail forward "the NEW writer did not start"
	writers="$writers $tmp/fwd-new.json"
fi
blockers_wait >"$tmp/blockers.log" 2>&1 ||
	fail forward-blocker "the blocking session failed:" "$(clip 20 <"$tmp/blockers.log")"
sleep 1
writer_stop fwd-old
writer_stop fwd-new

if [ -n "$EXPECT_FAIL" ] && [ -f "$dir/checks.sql" ]; then
	# The data the failed run must leave intact.
	if run_checks "$a" "$dir/checks.sql" "$tmp/checks.out" >"$tmp/checks.log" 2>&1; then
		ok data
	else
		fail data "$(clip 30 <"$tmp/checks.log")"
	fi
fi
if [ "$forward_ok" = 1 ] && [ -z "$EXPECT_FAIL" ]; then
	dump "$a" "$tmp/schema.after"
	if diff -u --label naive.sql --label plan "$tmp/schema.expected" "$tmp/schema.after" >"$tmp/schema.diff"; then
		ok schema
	else
		fail schema "the schema after the plan differs from the naive SQL's (- naive, + plan):" \
			"$(clip 80 <"$tmp/schema.diff")"
	fi
	if run_checks "$a" "$out/verify_post.sql" "$tmp/post.out" >"$tmp/post.log" 2>&1; then
		ok verify-post
	else
		fail verify-post "$(clip 30 <"$tmp/post.log")"
	fi
	if [ -f "$dir/checks.sql" ]; then
		if run_checks "$a" "$dir/checks.sql" "$tmp/checks.out" >"$tmp/checks.log" 2>&1; then
			ok data
		else
			fail data "$(clip 30 <"$tmp/checks.log")"
		fi
	fi
fi
check_writers forward "$a" "$TABLE_AFTER" $writers
if [ -n "$lt" ]; then
	maxlat=$(jmax max_latency_ms $writers)
	gap=$(jmax max_gap_ms $writers)
	if awk -v m="$maxlat" -v l="$lt" 'BEGIN { exit !(m < l + 1000) }'; then
		ok "forward-latency (max ${maxlat} ms, longest gap ${gap} ms, bound ${lt} + 1000 ms, blocker ${BLOCKER_SECONDS} s per phase)"
	else
		fail forward-latency "slowest writer transaction ${maxlat} ms >= lock_timeout ${lt} ms + 1000 ms" \
			"(a session held ROW EXCLUSIVE on $TABLE for ${BLOCKER_SECONDS} s at the start of each phase)" \
			"(longest gap between commits ${gap} ms; p99 $(jmax p99_ms $writers) ms)"
	fi
else
	fail forward-latency "no lock_timeout found in plan.json or forward.sql"
fi

# ---- (e) rollback from the end (or from where an expected failure stopped) ----------
if [ "$rollback_from" = 1 ]; then
	rows_before=$(scalar "$a" "SELECT count(*) || ' ' || coalesce(sum(n), 0) FROM $TABLE_AFTER" 2>&1)
	if ! run_sql "$a" "$out/rollback.sql" "$tmp/rb.log"; then
		fail rollback-end "rollback.sql failed after the full forward run:" "$(clip 40 <"$tmp/rb.log")"
	else
		dump "$a" "$tmp/schema.rb"
		if rolled_back "$tmp/schema.rb" "$tmp/rb.diff"; then
			ok rollback-end
		else
			fail rollback-end "the schema after rollback.sql differs from the original (- original, + after):" \
				"$(clip 80 <"$tmp/rb.diff")"
		fi
		rows_after=$(scalar "$a" "SELECT count(*) || ' ' || coalesce(sum(n), 0) FROM $TABLE" 2>&1)
		if [ "$rows_after" = "$rows_before" ]; then
			ok rollback-end-rows
		else
			fail rollback-end-rows "count(*) sum(n) of $TABLE: '$rows_before' before rollback.sql, '$rows_after' after"
		fi
		if [ -f "$dir/rollback_end_checks.sql" ]; then
			if run_checks "$a" "$dir/rollback_end_checks.sql" "$tmp/rbend.out" >"$tmp/rbend.log" 2>&1; then
				ok rollback-end-data
			else
				fail rollback-end-data "$(clip 30 <"$tmp/rbend.log")"
			fi
		fi
	fi
fi

# ---- (f) rollback from partial runs: after 0..K-1 phases, writer running ------------
k=0
while [ "$k" -lt "$partial" ]; do
	name=rollback-after-$k
	c=${dbp}_p$k
	new_db "$c" "$base"
	WRITER_WARMUP=0.3 writer_start "$c" "p$k-old" "$OLD_INSERT" "$OLD_UPDATE" 1000000000 ||
		{ fail "$name" "the OLD writer did not start"; k=$((k + 1)); continue; }
	if ! run_phases "$c" "$k" "p$k" >"$tmp/p.log" 2>&1; then
		writer_stop "p$k-old"
		writer_stop "p$k-new"
		fail "$name" "forward of the first $k phase(s) failed:" "$(cat "$tmp/p.log")"
		k=$((k + 1))
		continue
	fi
	# The new application cannot outlive a rollback of its columns.
	writer_stop "p$k-new"
	run_sql "$c" "$out/rollback.sql" "$tmp/rb.log"
	rb=$?
	sleep 0.3
	writer_stop "p$k-old"
	if [ "$rb" -ne 0 ]; then
		fail "$name" "rollback.sql failed after $k phase(s):" "$(clip 40 <"$tmp/rb.log")"
	else
		dump "$c" "$tmp/schema.p"
		if rolled_back "$tmp/schema.p" "$tmp/p.diff"; then
			ok "$name"
		else
			fail "$name" "the schema after $k phase(s) + rollback.sql differs from the original:" \
				"$(clip 80 <"$tmp/p.diff")"
		fi
		if [ -f "$dir/rollback_checks.sql" ]; then
			if run_checks "$c" "$dir/rollback_checks.sql" "$tmp/rbchecks.out" >"$tmp/rbchecks.log" 2>&1; then
				ok "$name-data"
			else
				fail "$name-data" "$(clip 30 <"$tmp/rbchecks.log")"
			fi
		fi
	fi
	check_writers "$name" "$c" "$TABLE" $writers
	"$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$c\" WITH (FORCE)" >/dev/null 2>&1
	k=$((k + 1))
done

# ---- (g) zdm rollback's native walks (plans with rollback_pieces) ------------------
# The same rollbacks by the runtime, whose walks run batch by batch
# (docs/runtime.md, "A rollback's walks"): zdm run to the deploy checkpoint
# (to the end in a plan without one) under the OLD writer, then zdm rollback
# while it writes (the data of rollback_checks.sql); and zdm run to the end,
# then zdm rollback (the schema, the rows, rollback_end_checks.sql).
zrun_rc() { # LOG ARGS...: zdm with the database, its exit status printed
	log=$1
	shift
	timeout "$STEP_TIMEOUT" "$ZDM" "$@" </dev/null >"$log" 2>&1
	echo $?
}
if [ -z "$EXPECT_FAIL" ] && grep -q '"rollback_pieces"' "$out/plan.json"; then
	c=${dbp}_zp
	new_db "$c" "$base"
	WRITER_WARMUP=0.3 writer_start "$c" zp-old "$OLD_INSERT" "$OLD_UPDATE" 1000000000 ||
		fail zdm-rollback-partial "the OLD writer did not start"
	rc=$(zrun_rc "$tmp/zp1.log" run "$out" --db "dbname=$c")
	rb=$(zrun_rc "$tmp/zp2.log" rollback "$out" --db "dbname=$c" --yes)
	sleep 0.3
	writer_stop zp-old
	dump "$c" "$tmp/schema.zp"
	if { [ "$rc" != 3 ] && [ "$rc" != 0 ]; } || [ "$rb" != 0 ]; then
		fail zdm-rollback-partial "zdm run exited $rc (want 3 at the deploy checkpoint, or 0 without one), zdm rollback $rb (want 0):" \
			"$(clip 20 <"$tmp/zp1.log")" "$(clip 30 <"$tmp/zp2.log")"
	elif ! rolled_back "$tmp/schema.zp" "$tmp/zp.diff"; then
		fail zdm-rollback-partial "the schema after zdm rollback differs from the original:" "$(clip 80 <"$tmp/zp.diff")"
	elif [ -f "$dir/rollback_checks.sql" ] &&
		! run_checks "$c" "$dir/rollback_checks.sql" "$tmp/zpchecks.out" >"$tmp/zpchecks.log" 2>&1; then
		fail zdm-rollback-partial-data "$(clip 30 <"$tmp/zpchecks.log")"
	else
		ok "zdm-rollback-partial ($(grep -Ec '^zdm: (restore|fill) .+: done' "$tmp/zp2.log") native walks)"
	fi
	check_writers zdm-rollback-partial "$c" "$TABLE" "$tmp/zp-old.json"
	"$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$c\" WITH (FORCE)" >/dev/null 2>&1
	c=${dbp}_ze
	new_db "$c" "$base"
	rc=$(zrun_rc "$tmp/ze1.log" run "$out" --db "dbname=$c")
	[ "$rc" = 3 ] && rc=$(zrun_rc "$tmp/ze1.log" run "$out" --db "dbname=$c" --phase contract --yes)
	rows_before=$(scalar "$c" "SELECT count(*) || ' ' || coalesce(sum(n), 0) FROM $TABLE_AFTER" 2>&1)
	rb=$(zrun_rc "$tmp/ze2.log" rollback "$out" --db "dbname=$c" --yes)
	dump "$c" "$tmp/schema.ze"
	rows_after=$(scalar "$c" "SELECT count(*) || ' ' || coalesce(sum(n), 0) FROM $TABLE" 2>&1)
	# From the end every walk of the plan's rollbacks is reached: done, or
	# skipped by its guard (a backup the contract phase dropped).
	if [ "$rc" != 0 ] || [ "$rb" != 0 ] || ! grep -Eq '^zdm: (restore|fill) .+: (done|skipped)' "$tmp/ze2.log"; then
		fail zdm-rollback-end "zdm run exited $rc, zdm rollback $rb (want 0 and 0, and a native walk):" \
			"$(clip 20 <"$tmp/ze1.log")" "$(clip 30 <"$tmp/ze2.log")"
	elif ! rolled_back "$tmp/schema.ze" "$tmp/ze.diff"; then
		fail zdm-rollback-end "the schema after zdm rollback differs from the original:" "$(clip 80 <"$tmp/ze.diff")"
	elif [ "$rows_after" != "$rows_before" ]; then
		fail zdm-rollback-end "count(*) sum(n) of $TABLE: '$rows_before' before zdm rollback, '$rows_after' after"
	elif [ -f "$dir/rollback_end_checks.sql" ] &&
		! run_checks "$c" "$dir/rollback_end_checks.sql" "$tmp/zechecks.out" >"$tmp/zechecks.log" 2>&1; then
		fail zdm-rollback-end-data "$(clip 30 <"$tmp/zechecks.log")"
	else
		ok "zdm-rollback-end ($(grep -Ec '^zdm: (restore|fill) .+: (done|skipped)' "$tmp/ze2.log") native walks)"
	fi
	"$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$c\" WITH (FORCE)" >/dev/null 2>&1
fi
exit $status
