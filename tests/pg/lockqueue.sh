#!/bin/sh
# lockqueue.sh - a long transaction on a table must not queue the writers
# behind a strong-lock step for longer than the step's lock_timeout.
#
#   PGHOST=... PGPORT=... PGUSER=... ZDM=build/zdm-asan PGWRITER=build/pgwriter \
#       sh tests/pg/lockqueue.sh          (tests/pg/run calls it)
#
# PostgreSQL grants locks in queue order: an ALTER TABLE waiting for ACCESS
# EXCLUSIVE behind a reader's ACCESS SHARE makes every later writer wait
# behind the ALTER (https://www.postgresql.org/docs/current/explicit-locking.html).
# zdm's strong-lock steps wait at most lock_timeout and retry. The test
# compiles tests/pg/lockqueue/ (a table, then ADD COLUMN: an ACCESS EXCLUSIVE
# step) and, with a writer (pgwriter) running, while a "holder" session keeps
# a read transaction open on the table (BEGIN; SELECT ... LIMIT 1;
# pg_sleep), runs:
#   naive-*   ALTER TABLE ... ADD COLUMN with lock_timeout 0: the writers must
#             stall beyond the bound - the contrast that shows the test
#             can tell the difference;
#   retry-*   the generated phase, the holder shorter than the retry budget:
#             writers stay within lock_timeout + 1 s, the step prints retry
#             notices and succeeds once the holder has gone;
#   giveup-*  the generated phase, the holder longer than the retry budget:
#             the step fails with zdm's runbook message (and hint), the
#             table is unchanged, the writers stayed within the bound.
# Each check prints "ok lockqueue/NAME" or "FAIL lockqueue/NAME" + details.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
src=$top/tests/pg/lockqueue
STEP_TIMEOUT=${ZDM_PG_STEP_TIMEOUT:-300}
HOLD=${ZDM_LOCKQUEUE_HOLD:-6}     # the holder of the naive and retry runs, s
: "${ZDM:?set ZDM to the zdm binary}" "${PGWRITER:?set PGWRITER to the pgwriter binary}"
: "${PGHOST:?no PGHOST: start a cluster (tests/pg/cluster.sh) or use tests/pg/run}"
PGBIN=${PGBIN:-$(dirname "$(command -v psql)")}
PGOPTIONS=${PGOPTIONS:--c statement_timeout=${STEP_TIMEOUT}s}
export PGOPTIONS

tmp=$(mktemp -d "${TMPDIR:-/tmp}/zdm-lockqueue.XXXXXX") || exit 2
dbp=zdm_lockqueue_$$
dbs=
status=0
cleanup() {
	for p in "$tmp"/*.pid; do
		[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	for db in $dbs; do
		"$PGBIN/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { echo "ok lockqueue/$1"; }
fail() {
	echo "FAIL lockqueue/$1"
	shift
	for text in "$@"; do printf '%s\n' "$text"; done | sed 's/^/    /'
	status=1
}
psql_q() { timeout "$STEP_TIMEOUT" "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
scalar() { psql_q -At -d "$1" -c "$2"; }
now_ms() { date +%s%3N; }
jmax() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" "$2" | awk '$1 > m { m = $1 } END { printf "%d\n", m }'; }
jnum() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" "$2" | awk '{ s += $1 } END { printf "%d\n", s }'; }

# ---- compile, and the strong-lock phase ---------------------------------------------
cp "$src"/*.zdm "$tmp"/
for f in $(cd "$tmp" && ls *.zdm | sort); do
	if ! (cd "$tmp" && "$ZDM" compile "$f" --target postgres@15 --out "out/${f%.zdm}") \
		>"$tmp/compile.log" 2>&1; then
		fail compile "zdm compile $f failed:" "$(head -30 "$tmp/compile.log")"
		exit 1
	fi
done
last=$(cd "$tmp" && ls *.zdm | sort | tail -n 1)
out=$tmp/out/${last%.zdm}
# The first phase with a step that takes ACCESS EXCLUSIVE.
phase=$(grep -l '^--   lock: ACCESS EXCLUSIVE' "$out"/phases/*.forward.sql 2>/dev/null | sort | head -n 1)
if [ -z "$phase" ]; then
	fail compile "no phase of $last has an ACCESS EXCLUSIVE step"
	exit 1
fi
# The bound: the largest lock_timeout the phase sets.
lt=$(grep -o "lock_timeout = '[0-9.]*[a-z]*'" "$phase" | sed "s/.*'\([0-9.]*\)\([a-z]*\)'/\1 \2/" |
	awk '{ v = $2 == "s" ? $1 * 1000 : $2 == "min" ? $1 * 60000 : $1 } v > m { m = v }
	     END { printf "%d\n", m }')
if [ -z "$lt" ] || [ "$lt" -le 0 ]; then
	fail compile "no lock_timeout in $(basename "$phase")"
	exit 1
fi
bound=$((lt + 1000))
ok "compile ($(basename "$phase"), lock_timeout ${lt} ms: bound ${bound} ms)"

# ---- base database ----------------------------------------------------------------------
ROWS=20000
base=${dbp}_base
dbs="$dbs $base"
if ! scalar postgres "CREATE DATABASE \"$base\"" >/dev/null ||
	! (cd "$tmp/out/0001_accounts" && psql_q -d "$base" -f forward.sql) >"$tmp/setup.log" 2>&1 ||
	! scalar "$base" "INSERT INTO accounts (owner) SELECT 'owner ' || g FROM generate_series(1, $ROWS) g" >>"$tmp/setup.log" 2>&1 ||
	! scalar "$base" "VACUUM ANALYZE accounts" >>"$tmp/setup.log" 2>&1; then
	fail setup "$(head -30 "$tmp/setup.log")"
	exit 1
fi
columns() { scalar "$1" "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
                         FROM pg_attribute WHERE attrelid = 'accounts'::regclass AND attnum > 0 AND NOT attisdropped"; }
cols0=$(columns "$base")

# ---- the sessions ----------------------------------------------------------------------------
writer_start() { # DB TAG
	rm -f "$tmp/$2.stop" "$tmp/$2.ready"
	"$PGWRITER" --db "dbname=$1" --clients 2 --rate 100 --keys "1:$ROWS" \
		--insert "INSERT INTO accounts (owner) VALUES ('writer ' || \$1)" \
		--update "UPDATE accounts SET n = n + 1 WHERE id = \$1" \
		--duration 900 --stop-file "$tmp/$2.stop" --ready-file "$tmp/$2.ready" \
		>"$tmp/$2.json" 2>"$tmp/$2.err" &
	echo $! >"$tmp/$2.pid"
	i=0
	while [ ! -f "$tmp/$2.ready" ]; do
		kill -0 "$(cat "$tmp/$2.pid")" 2>/dev/null && [ $i -lt 300 ] || return 1
		sleep 0.1
		i=$((i + 1))
	done
	sleep 1
}
writer_stop() { # TAG
	touch "$tmp/$1.stop"
	wait "$(cat "$tmp/$1.pid")" 2>/dev/null
	rm -f "$tmp/$1.pid"
}

# The holder: a read transaction left open, ACCESS SHARE on accounts, which
# conflicts with nothing the writers do - only with the ALTER.
holder_start() { # DB SECONDS TAG
	PGAPPNAME=zdm_lockqueue_holder psql_q -At -d "$1" -c "BEGIN" -c "SELECT id FROM accounts LIMIT 1" \
		-c "SELECT pg_sleep($2)" -c "COMMIT" \
		-c "SELECT 'ended ' || (extract(epoch FROM clock_timestamp()) * 1000)::bigint" \
		>"$tmp/$3.holder.log" 2>&1 &
	echo $! >"$tmp/$3.holder.pid"
	i=0
	until [ "$(scalar "$1" "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
	             WHERE a.application_name = 'zdm_lockqueue_holder' AND l.granted
	               AND l.relation = 'accounts'::regclass AND l.mode = 'AccessShareLock'")" = 1 ]; do
		[ $i -lt 100 ] || return 1
		sleep 0.1
		i=$((i + 1))
	done
}
holder_end() { # DB TAG [kill]: when the holder committed (else now), ms since the epoch
	if [ "${3:-}" = kill ]; then
		scalar "$1" "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		             WHERE application_name = 'zdm_lockqueue_holder'" >/dev/null
	fi
	wait "$(cat "$tmp/$2.holder.pid")" 2>/dev/null
	rm -f "$tmp/$2.holder.pid"
	t=$(sed -n 's/^ended \([0-9]*\)$/\1/p' "$tmp/$2.holder.log")
	echo "${t:-$(now_ms)}"
}

# Runs one scenario: writer, holder for HOLD seconds, then the script; sets
# rc, elapsed (ms, the script), held (ms, from the script's start to the
# holder's end), maxlat, fails, tx.
scenario() { # TAG HOLD_SECONDS KILL_AFTER(yes/no) PSQL-ARGS...
	tag=$1 hold=$2 killit=$3
	shift 3
	db=${dbp}_$tag
	dbs="$dbs $db"
	scalar postgres "CREATE DATABASE \"$db\" TEMPLATE \"$base\"" >/dev/null || return 1
	writer_start "$db" "$tag" || { echo "the writer did not start: $(cat "$tmp/$tag.err")"; return 1; }
	holder_start "$db" "$hold" "$tag" || { echo "the holder took no lock: $(cat "$tmp/$tag.holder.log")"; return 1; }
	t0=$(now_ms)
	(cd "$(dirname "$phase")" && psql_q -d "$db" "$@") >"$tmp/$tag.log" 2>&1
	rc=$?
	t1=$(now_ms)
	if [ "$killit" = yes ]; then
		tend=$(holder_end "$db" "$tag" kill)
	else
		tend=$(holder_end "$db" "$tag")
	fi
	sleep 0.5
	writer_stop "$tag"
	elapsed=$((t1 - t0)) held=$((tend - t0))
	maxlat=$(jmax max_latency_ms "$tmp/$tag.json")
	fails=$(jnum failures "$tmp/$tag.json")
	tx=$(($(jnum inserts "$tmp/$tag.json") + $(jnum updates "$tmp/$tag.json")))
}

writers_ok() { # NAME: no writer failure, some progress
	if [ "$fails" -ne 0 ] || [ "$tx" -lt 10 ]; then
		fail "$1-writer" "$fails writer transaction(s) failed, $tx committed" \
			"$(sed -n 's/.*"errors":\[\(.*\)\]}/\1/p' "$tmp/$tag.json" | head -c 1000)"
	else
		ok "$1-writer ($tx committed)"
	fi
}

# ---- naive: no lock_timeout, the writers queue behind the ALTER ---------------------------
if scenario naive "$HOLD" no -c "SET lock_timeout = 0" -c "SET statement_timeout = 0" \
	-c "ALTER TABLE accounts ADD COLUMN note text"; then
	if [ "$rc" -ne 0 ]; then
		fail naive "the naive ALTER failed:" "$(head -20 "$tmp/naive.log")"
	elif [ "$maxlat" -le "$bound" ]; then
		fail naive-stalls "with a ${HOLD} s holder the naive ALTER stalled the writers only ${maxlat} ms" \
			"(bound ${bound} ms): the test cannot tell a queued ALTER from a retried one"
	else
		ok "naive-stalls (slowest writer ${maxlat} ms > bound ${bound} ms: queued behind the ALTER)"
	fi
else
	fail naive "$(cat "$tmp/naive.log" 2>/dev/null | head -20)"
fi

# ---- retry: the holder ends within the retry budget -----------------------------------------
if scenario retry "$HOLD" no -f "$(basename "$phase")"; then
	retries=$(grep -c 'zdm: lock not available, retry' "$tmp/retry.log")
	if [ "$rc" -ne 0 ]; then
		fail retry "the phase failed:" "$(head -30 "$tmp/retry.log")"
	elif [ "$(columns "$db")" = "$cols0" ]; then
		fail retry "the phase succeeded but accounts has no new column"
	elif [ "$elapsed" -lt "$((held - 500))" ]; then
		fail retry "the phase ended ${elapsed} ms after its start, before the holder (${held} ms):" \
			"the holder did not block it, so the test proves nothing"
	else
		ok "retry (done after ${elapsed} ms, the holder ended at ${held} ms)"
	fi
	if [ "$retries" -ge 1 ]; then
		ok "retry-notices ($retries retry notices)"
	else
		fail retry-notices "no 'zdm: lock not available, retry' notice:" "$(head -20 "$tmp/retry.log")"
	fi
	if [ "$maxlat" -le "$bound" ]; then
		ok "retry-latency (slowest writer ${maxlat} ms <= bound ${bound} ms)"
	else
		fail retry-latency "slowest writer ${maxlat} ms > lock_timeout ${lt} ms + 1000 ms"
	fi
	writers_ok retry
else
	fail retry "$(cat "$tmp/retry.log" 2>/dev/null | head -20)"
fi

# ---- giveup: the holder outlasts the retry budget ----------------------------------------------
# The holder sleeps far longer than any retry budget (and than the step's
# statement_timeout); it is ended once the phase has given up.
if scenario giveup "$STEP_TIMEOUT" yes -f "$(basename "$phase")"; then
	if [ "$rc" -eq 0 ]; then
		fail giveup "the phase succeeded while the holder was open:" "$(head -20 "$tmp/giveup.log")"
	elif ! grep -q 'zdm: lock not available after [0-9]* attempts' "$tmp/giveup.log" ||
		! grep -q 'HINT: .*long transaction' "$tmp/giveup.log"; then
		fail giveup "the phase failed without zdm's message and hint:" "$(head -30 "$tmp/giveup.log")"
	else
		ok "giveup (failed after ${elapsed} ms: $(grep -o 'zdm: lock not available after [0-9]* attempts' "$tmp/giveup.log"))"
	fi
	if [ "$(columns "$db")" = "$cols0" ]; then
		ok giveup-unchanged
	else
		fail giveup-unchanged "accounts changed: '$(columns "$db")', was '$cols0'"
	fi
	if [ "$maxlat" -le "$bound" ]; then
		ok "giveup-latency (slowest writer ${maxlat} ms <= bound ${bound} ms)"
	else
		fail giveup-latency "slowest writer ${maxlat} ms > lock_timeout ${lt} ms + 1000 ms"
	fi
	writers_ok giveup
else
	fail giveup "$(cat "$tmp/giveup.log" 2>/dev/null | head -20)"
fi
exit $status
