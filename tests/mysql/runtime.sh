#!/bin/sh
# tests/mysql/runtime.sh - `zdm run/status/rollback --db mariadb://...` (the
# MySQL/MariaDB runtime driver, runtime/drv_mysql.c) on the throwaway MariaDB
# server of tests/mysql/run (SOCK and PORT say where), with build/mysqlwriter
# writing concurrently.
#
#   forward   tests/golden/mysql_headline under the old application's writer:
#             zdm run stops (3) at the deploy checkpoint, status names it, the
#             new application's writer replaces the old, --phase contract
#             finishes (0) with verify_post ok; the schema equals the naive
#             ALTER's (naive.mysql.sql); no writer statement failed, no write
#             was lost; the writer's slowest statement is printed
#   rollback  zdm rollback --yes from the end restores the base schema
#   kill      kill -9 of zdm run during the native backfill of ROWS_BIG rows
#             (>= 200k), then zdm run again: it resumes at step 03 (2
#             attempts, the walk started twice), every row is right and
#             each was written once (an AFTER UPDATE trigger counts writes)
#   interrupt SIGINT during the backfill: 3, the step left started; the rerun
#             resumes and every row is right
#   reconnect KILL CONNECTION of zdm's session mid-backfill: the same zdm run
#             reconnects, takes the plan's lock again, and finishes the walk;
#             every row right, each written once
#   rowlock   a session holding a row lock for 3 s: the backfill's batch
#             gives up after its lock timeout, is retried with backoff, and
#             the walk completes
#   load      --max-load 0 while another session runs DO SLEEP(3): the walk
#             pauses, says why, resumes when it ends
#   lock      a session holding a metadata lock (an open transaction that read
#             the table): SIGINT while the DDL waits stops the run (3) within
#             seconds (the driver's KILL QUERY); the DDL step waits, retries,
#             stops (1) naming the holder's id; once it ends, the rerun
#             completes
#   url       a wrong password or database fails cleanly, never printing the
#             password; a MariaDB server refuses a mysql plan
#
#   SOCK=... PORT=... ZDM=build/zdm-asan MYSQLWRITER=build/mysqlwriter sh tests/mysql/runtime.sh
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
abspath() { case $1 in /*) echo "$1" ;; *) echo "$top/$1" ;; esac; }
ZDM=$(abspath "${ZDM:-build/zdm-asan}")
W=$(abspath "${MYSQLWRITER:-build/mysqlwriter}")
ROWS_BIG=${ZDM_MYSQL_RUNTIME_ROWS:-250000}
: "${SOCK:?run through tests/mysql/run (it starts the server)}" "${PORT:?}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/zdm-myrt.XXXXXX") || exit 2
hid=
cleanup() {
	for p in "$tmp"/*.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null; done
	# the lock holder's session ends only when the server kills it
	[ -n "$hid" ] && mariadb --no-defaults -S "$SOCK" -e "KILL $hid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
status=0
ok() { echo "ok mysql-runtime/$1"; }
fail() { echo "FAIL mysql-runtime/$1"; [ -n "${2:-}" ] && echo "$2" | sed 's/^/    /' | head -30; status=1; }
expect_rc() { # NAME WANT GOT LOG [GREP]
	if [ "$3" != "$2" ]; then fail "$1" "exit status $3, want $2: $(tail -n 15 "$4")"; return 1; fi
	if [ -n "${5:-}" ] && ! grep -q "$5" "$4"; then fail "$1" "no '$5' in: $(tail -n 15 "$4")"; return 1; fi
	ok "$1"
}
my() { mariadb --no-defaults -S "$SOCK" "$@"; }
q() { my -N -B "$1" -e "$2"; }
url() { echo "mariadb://root@127.0.0.1:$PORT/$1"; }
sock_url() { echo "mariadb://root@localhost/$1?socket=$SOCK"; }

schema() {
	my -N "$1" <<'SQL' 2>&1
SELECT 'col', TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA
  FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY 2, 3;
SELECT 'index', TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE
  FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ORDER BY 2, 3, 4;
SELECT 'trigger', TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY 2;
SELECT 'routine', ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() ORDER BY 2;
SQL
}

H=tests/golden/mysql_headline
ROWS=0 SEED= INSERT= UPDATE= NEW_INSERT= NEW_UPDATE= COUNT= SUM=
. "$H/mysql.conf"
mkdir -p "$tmp/src"
cp "$H"/*.zdm "$tmp/src/"
mkdir -p "$tmp/src2"
cp "$H/0001_users.zdm" "$tmp/src2/"
cat >"$tmp/src2/0002_name_len.zdm" <<ZDM
migration 'Store the length of each name';
assume users has $ROWS_BIG rows;

alter table users add column name_len int;
backfill users set name_len = (char_length(coalesce(name, ''))) batch 5000;
ZDM
(cd "$tmp/src" && for f in 0001_users 0002_email_normalized; do
	"$ZDM" compile $f.zdm --target mariadb@10.11 --out ../$f || exit 1
done && cd ../src2 && "$ZDM" compile 0002_name_len.zdm --target mariadb@10.11 --out ../name_len) \
	>"$tmp/compile.log" 2>&1 || { fail compile "$(cat "$tmp/compile.log")"; exit 1; }
plan=$tmp/0002_email_normalized
bf=$tmp/name_len

q mysql "DROP DATABASE IF EXISTS zdm" # the state of earlier runs on a reused server
mkbase() { # DB ROWS
	my -e "DROP DATABASE IF EXISTS \`$1\`; CREATE DATABASE \`$1\`" &&
		my "$1" <"$tmp/0001_users/forward.sql" >/dev/null &&
		q "$1" "INSERT INTO users (email, name) SELECT CONCAT(' User', seq, '@Example.com'),
		  IF(seq % 7 = 0, NULL, CONCAT('seed ', seq)) FROM seq_1_to_$2"
}
start_writer() { # DB INSERT UPDATE LOG
	rm -f "$tmp/stop"
	"$W" "$SOCK" "$1" "$tmp/stop" "$2" "$3" "$ROWS" >"$4" 2>&1 &
	echo $! >"$tmp/writer.pid"
}
stop_writer() { touch "$tmp/stop"; wait "$(cat "$tmp/writer.pid")"; rm -f "$tmp/writer.pid"; }
# field N of the writer's line: 2 inserted, 4 updated, 6 failed, 8 maxwait_ms
wfield() { n=$2; set -- $(grep '^inserted' "$1"); eval "echo \${$n:-x}"; }

# ---- forward, under the writers -----------------------------------------------------------
db=rt_fwd
mkbase $db "$ROWS" || { fail setup "cannot seed $db"; exit 1; }
schema $db >"$tmp/s.base"
mkbase rt_naive "$ROWS" && my rt_naive <"$H/naive.mysql.sql" >/dev/null 2>&1 || fail naive-setup
schema rt_naive >"$tmp/s.naive"
start_writer $db "$INSERT" "$UPDATE" "$tmp/w.old"
sleep 0.3
"$ZDM" run "$plan" --db "$(url $db)" >"$tmp/f1.log" 2>&1
expect_rc forward-stops-at-checkpoint 3 $? "$tmp/f1.log" 'stopped at the deploy checkpoint before phase contract'
grep -q 'backfill users: done' "$tmp/f1.log" && ok forward-native-backfill ||
	fail forward-native-backfill "$(cat "$tmp/f1.log")"
"$ZDM" status "$plan" --db "$(sock_url $db)" >"$tmp/st.log" 2>&1
expect_rc status-names-checkpoint 0 $? "$tmp/st.log" 'deploy checkpoint before contract: not passed'
grep -q "backfill of step 04: [0-9]* rows updated" "$tmp/st.log" && ok status-shows-backfill ||
	fail status-shows-backfill "$(cat "$tmp/st.log")"
stop_writer
start_writer $db "$NEW_INSERT" "$NEW_UPDATE" "$tmp/w.new"
"$ZDM" run "$plan" --db "$(url $db)" --phase contract >"$tmp/f2.log" 2>&1
expect_rc forward-contract-finishes 0 $? "$tmp/f2.log" 'verify_post: 4 of 4 checks ok'
stop_writer
schema $db >"$tmp/s.run"
diff -u --label naive --label zdm-run "$tmp/s.naive" "$tmp/s.run" >"$tmp/s.diff" &&
	ok forward-schema-is-naive || fail forward-schema-is-naive "$(cat "$tmp/s.diff")"
ins=$(( $(wfield "$tmp/w.old" 2) + $(wfield "$tmp/w.new" 2) ))
upd=$(( $(wfield "$tmp/w.old" 4) + $(wfield "$tmp/w.new" 4) ))
wf=$(( $(wfield "$tmp/w.old" 6) + $(wfield "$tmp/w.new" 6) ))
mw=$(wfield "$tmp/w.old" 8)
cnt=$(q $db "$COUNT") sum=$(q $db "$SUM")
if [ "$wf" = 0 ] && [ "$cnt" = $((ROWS + ins)) ] && [ "$sum" = "$upd" ]; then
	ok "forward-no-failed-or-lost-write ($ins inserts, $upd updates, old writer's slowest statement $mw ms)"
else
	fail forward-no-failed-or-lost-write "failed $wf; rows $cnt want $((ROWS + ins)); sum $sum want $upd;
$(cat "$tmp/w.old" "$tmp/w.new")"
fi
"$ZDM" status "$plan" --db "$(url $db)" >"$tmp/st2.log" 2>&1
expect_rc status-after-the-end 0 $? "$tmp/st2.log" 'next: nothing, every step has run'

# ---- rollback from the end ------------------------------------------------------------------
"$ZDM" rollback "$plan" --db "$(url $db)" --yes >"$tmp/rb.log" 2>&1
expect_rc rollback-from-the-end 0 $? "$tmp/rb.log" 'rollback of step 01'
schema $db >"$tmp/s.rb"
diff -u --label base --label rolled-back "$tmp/s.base" "$tmp/s.rb" >"$tmp/s.diff" &&
	ok rollback-restores-base-schema || fail rollback-restores-base-schema "$(cat "$tmp/s.diff")"

# ---- kill -9 and SIGINT during the native backfill ------------------------------------------
# fills counts the backfill's writes per row (an AFTER UPDATE trigger in the
# batch's own transaction): a batch rolled back by the kill counts nothing.
# The column exists once expand ran: the trigger is made then.
bigbase() { # DB
	mkbase "$1" "$ROWS_BIG" && q "$1" "CREATE TABLE fills (id BIGINT PRIMARY KEY, n INT NOT NULL)" &&
		"$ZDM" run "$bf" --db "$(url "$1")" --until expand >"$tmp/$1.expand.log" 2>&1
	[ $? = 3 ] || { cat "$tmp/$1.expand.log"; return 1; }
	my "$1" <<'SQL'
DELIMITER $$
CREATE TRIGGER count_fill AFTER UPDATE ON users FOR EACH ROW
BEGIN
    IF NOT (OLD.name_len <=> NEW.name_len) THEN
        INSERT INTO fills (id, n) VALUES (NEW.id, 1) ON DUPLICATE KEY UPDATE n = n + 1;
    END IF;
END$$
DELIMITER ;
SQL
}
wrong_rows() { q "$1" "SELECT count(*) FROM users WHERE NOT (name_len <=> char_length(coalesce(name, '')))"; }
# Waits until step 03 has committed a batch and is not finished, then sends SIG.
signal_mid_backfill() { # DB PID SIG -> sets $sent
	sent=
	i=0
	while [ $i -lt 2000 ] && kill -0 "$2" 2>/dev/null; do
		s=$(q "$1" "SELECT (SELECT count(*) FROM zdm.steps WHERE step = '03' AND finished_at IS NULL
		    AND plan = (SELECT plan FROM zdm.runs ORDER BY run_id DESC LIMIT 1)),
		    (SELECT count(*) FROM zdm.backfills WHERE step = '03' AND rows_done > 0)" 2>/dev/null)
		if [ "$s" = "1	1" ]; then kill "-$3" "$2"; sent=yes; return; fi
		sleep 0.01
		i=$((i + 1))
	done
}

db=rt_kill
bigbase $db || { fail kill-setup "cannot seed $db"; exit 1; }
"$ZDM" run "$bf" --db "$(url $db)" >"$tmp/k1.log" 2>&1 &
zpid=$!
echo $zpid >"$tmp/zdm.pid"
signal_mid_backfill $db $zpid 9
wait $zpid 2>/dev/null
rm -f "$tmp/zdm.pid"
if [ -z "$sent" ]; then
	fail kill-mid-backfill "never saw step 03 running (raise ZDM_MYSQL_RUNTIME_ROWS)" "$(cat "$tmp/k1.log")"
else
	sleep 1 # the server ends the killed session (and its plan lock) once its batch ends
	filled=$(q $db "SELECT count(*) FROM users WHERE name_len IS NOT NULL")
	if [ "$filled" -gt 0 ] && [ "$filled" -lt "$ROWS_BIG" ]; then
		ok "kill-mid-backfill ($filled of $ROWS_BIG rows filled when killed)"
	else
		fail kill-mid-backfill "$filled of $ROWS_BIG rows filled when killed: not in the middle"
	fi
	"$ZDM" run "$bf" --db "$(url $db)" >"$tmp/k2.log" 2>&1
	expect_rc kill-rerun-resumes 3 $? "$tmp/k2.log" 'resuming at step 03'
	st=$(q $db "SELECT GROUP_CONCAT(CONCAT(step, ':', attempts)) FROM zdm.steps
	  WHERE db = DATABASE() AND attempts > 1")
	starts=$(q $db "SELECT GROUP_CONCAT(CONCAT(step, ':', starts)) FROM zdm.backfills WHERE db = DATABASE()")
	[ "$st" = "03:2" ] && [ "$starts" = "03:2" ] && ok kill-state-shows-one-resumption ||
		fail kill-state-shows-one-resumption "attempts '$st' (want 03:2), walk starts '$starts' (want 03:2)"
	[ "$(wrong_rows $db)" = 0 ] && ok kill-every-row-right || fail kill-every-row-right "$(wrong_rows $db) rows wrong"
	w=$(q $db "SELECT count(*), coalesce(max(n), 0) FROM fills")
	[ "$w" = "$ROWS_BIG	1" ] && ok kill-each-row-written-once ||
		fail kill-each-row-written-once "rows written, most writes of one row: $w (want $ROWS_BIG and 1)"
fi

db=rt_int
bigbase $db || { fail interrupt-setup "cannot seed $db"; exit 1; }
"$ZDM" run "$bf" --db "$(url $db)" >"$tmp/i1.log" 2>&1 &
zpid=$!
echo $zpid >"$tmp/zdm.pid"
signal_mid_backfill $db $zpid INT
wait $zpid
rc=$?
rm -f "$tmp/zdm.pid"
if [ -z "$sent" ]; then
	fail interrupt-mid-backfill "never saw step 03 running" "$(cat "$tmp/i1.log")"
else
	expect_rc interrupt-stops-cleanly 3 $rc "$tmp/i1.log" 'interrupted during step 03'
	"$ZDM" run "$bf" --db "$(url $db)" >"$tmp/i2.log" 2>&1
	expect_rc interrupt-rerun-continues 3 $? "$tmp/i2.log" 'resuming at step 03'
	[ "$(wrong_rows $db)" = 0 ] && ok interrupt-every-row-right || fail interrupt-every-row-right "$(wrong_rows $db) rows wrong"
	w=$(q $db "SELECT count(*), coalesce(max(n), 0) FROM fills")
	[ "$w" = "$ROWS_BIG	1" ] && ok interrupt-each-row-written-once ||
		fail interrupt-each-row-written-once "rows written, most writes of one row: $w"
fi

# ---- the connection killed during the backfill: the same zdm run reconnects and goes on ---------
# KILL CONNECTION of the session running the batches (found by its batch
# statement): zdm reconnects, takes the plan's lock again and continues the
# walk from its committed cursor; every row right, each written once.
db=rt_reconnect
bigbase $db || { fail reconnect-setup "cannot seed $db"; exit 1; }
"$ZDM" run "$bf" --db "$(url $db)" >"$tmp/c1.log" 2>&1 &
zpid=$!
echo $zpid >"$tmp/zdm.pid"
killed=
i=0
while [ $i -lt 2000 ] && [ -z "$killed" ] && kill -0 $zpid 2>/dev/null; do
	id=$(q $db "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = DATABASE()
	    AND INFO LIKE 'UPDATE \`users\` SET \`name_len\`%' AND ID <> CONNECTION_ID() LIMIT 1" 2>/dev/null)
	done_rows=$(q $db "SELECT coalesce(max(rows_done), 0) FROM zdm.backfills WHERE db = DATABASE()" 2>/dev/null)
	if [ -n "$id" ] && [ "${done_rows:-0}" -gt 0 ] 2>/dev/null && q $db "KILL CONNECTION $id" 2>/dev/null; then
		killed=$id
	fi
	i=$((i + 1))
done
wait $zpid
rc=$?
rm -f "$tmp/zdm.pid"
if [ -z "$killed" ]; then
	fail reconnect-mid-backfill "never found the batch's session to kill" "$(cat "$tmp/c1.log")"
else
	expect_rc reconnect-same-run-finishes 3 $rc "$tmp/c1.log" 'reconnected to .* the plan.s lock is taken again'
	[ "$(wrong_rows $db)" = 0 ] && ok reconnect-every-row-right || fail reconnect-every-row-right "$(wrong_rows $db) rows wrong"
	w=$(q $db "SELECT count(*), coalesce(max(n), 0) FROM fills")
	[ "$w" = "$ROWS_BIG	1" ] && ok reconnect-each-row-written-once ||
		fail reconnect-each-row-written-once "rows written, most writes of one row: $w"
fi

# ---- a row lock held during the backfill: the batch waits, is retried, goes on ----------------
db=rt_rowlock
mkbase $db "$ROWS" || { fail rowlock-setup "cannot seed $db"; exit 1; }
"$ZDM" run "$bf" --db "$(url $db)" --until expand >"$tmp/r0.log" 2>&1
expect_rc rowlock-expand 3 $? "$tmp/r0.log" 'stopped after phase expand'
(printf 'BEGIN;\nUPDATE users SET n = n WHERE id = 100;\nDO SLEEP(3);\nCOMMIT;\n' | my $db) &
echo $! >"$tmp/rowlock.pid"
sleep 0.5
"$ZDM" run "$bf" --db "$(url $db)" >"$tmp/r1.log" 2>&1
expect_rc rowlock-batch-retried 3 $? "$tmp/r1.log" 'lock not available, retry 1 of'
wait "$(cat "$tmp/rowlock.pid")"; rm -f "$tmp/rowlock.pid"
[ "$(wrong_rows $db)" = 0 ] && ok rowlock-every-row-right || fail rowlock-every-row-right "$(wrong_rows $db) rows wrong"

# ---- --max-load: the walk pauses while another session runs a statement -----------------------
db=rt_load
mkbase $db "$ROWS" || { fail load-setup "cannot seed $db"; exit 1; }
"$ZDM" run "$bf" --db "$(url $db)" --until expand >"$tmp/m0.log" 2>&1
expect_rc load-expand 3 $? "$tmp/m0.log" 'stopped after phase expand'
(my -e 'DO SLEEP(3)' >/dev/null 2>&1) &
echo $! >"$tmp/sleeper.pid"
sleep 0.5
"$ZDM" run "$bf" --db "$(url $db)" --max-load 0 >"$tmp/m1.log" 2>&1
expect_rc load-pauses-and-resumes 3 $? "$tmp/m1.log" 'backfill users resumed after'
grep -q 'paused: load: 1 active sessions > --max-load 0' "$tmp/m1.log" && ok load-says-why ||
	fail load-says-why "$(cat "$tmp/m1.log")"
wait "$(cat "$tmp/sleeper.pid")"; rm -f "$tmp/sleeper.pid"
[ "$(wrong_rows $db)" = 0 ] && ok load-every-row-right || fail load-every-row-right "$(wrong_rows $db) rows wrong"

# ---- a metadata lock held by another session --------------------------------------------------
db=rt_lock
mkbase $db "$ROWS" || { fail lock-setup "cannot seed $db"; exit 1; }
# The holder: an open transaction that read the table holds a shared metadata
# lock on it until it ends; it prints its connection id first.
: >"$tmp/holder.out"
(printf 'SELECT CONNECTION_ID();\nBEGIN;\nSELECT count(*) FROM users;\nDO SLEEP(600);\n' |
	my -N -n $db >"$tmp/holder.out" 2>&1) &
echo $! >"$tmp/holder.pid"
i=0
while [ $i -lt 100 ] && [ "$(wc -l <"$tmp/holder.out")" -lt 2 ]; do sleep 0.1; i=$((i + 1)); done
hid=$(head -n 1 "$tmp/holder.out")
case $hid in '' | *[!0-9]*) fail lock-holder "no connection id: $(cat "$tmp/holder.out")"; hid= ;; esac
# SIGINT while the DDL waits: the driver's KILL QUERY ends the wait at once.
: >"$tmp/l0.log"
"$ZDM" run "$plan" --db "$(url $db)" --until expand >"$tmp/l0.log" 2>&1 &
zpid=$!
echo $zpid >"$tmp/zdm.pid"
i=0
while [ $i -lt 300 ] && ! grep -q 'waits for a lock held by' "$tmp/l0.log"; do sleep 0.1; i=$((i + 1)); done
t0=$(date +%s)
kill -INT $zpid
wait $zpid
rc=$?
t1=$(date +%s)
rm -f "$tmp/zdm.pid"
expect_rc lock-wait-interrupted 3 $rc "$tmp/l0.log" 'interrupted during step 01' &&
	if [ $((t1 - t0)) -le 5 ]; then ok "lock-wait-interrupt-cancels-the-statement ($((t1 - t0)) s)"
	else fail lock-wait-interrupt-cancels-the-statement "took $((t1 - t0)) s"; fi
"$ZDM" run "$plan" --db "$(url $db)" --until expand >"$tmp/l1.log" 2>&1
expect_rc lock-held-stops 1 $? "$tmp/l1.log" "pid $hid: open transaction"
grep -q 'lock not available\|Lock wait timeout' "$tmp/l1.log" && ok lock-says-why ||
	fail lock-says-why "$(tail -n 15 "$tmp/l1.log")"
[ -n "$hid" ] && q $db "KILL $hid" 2>/dev/null
hid=
wait "$(cat "$tmp/holder.pid")" 2>/dev/null
rm -f "$tmp/holder.pid"
"$ZDM" run "$plan" --db "$(url $db)" --until expand >"$tmp/l2.log" 2>&1
expect_rc lock-rerun-completes 3 $? "$tmp/l2.log" 'stopped after phase expand'

# ---- URLs and flavours ------------------------------------------------------------------------------
"$ZDM" status "$plan" --db "mariadb://root:s3cr3t-pw@127.0.0.1:$PORT/no_such_db" >"$tmp/u1.log" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "no_such_db" "$tmp/u1.log" && ! grep -q s3cr3t-pw "$tmp/u1.log" &&
	ok url-bad-database-no-password-shown || fail url-bad-database-no-password-shown "status $rc: $(cat "$tmp/u1.log")"
"$ZDM" status "$plan" --db "mariadb://root@127.0.0.1:$PORT/" >"$tmp/u2.log" 2>&1
expect_rc url-needs-database 1 $? "$tmp/u2.log" 'names no database'
(cd "$tmp/src" && "$ZDM" compile 0002_email_normalized.zdm --target mysql@8.0 --out ../my80) >/dev/null 2>&1
"$ZDM" status "$tmp/my80" --db "$(url rt_fwd)" >"$tmp/u3.log" 2>&1
expect_rc url-mysql-plan-refused-on-mariadb 1 $? "$tmp/u3.log" 'the server is MariaDB'

for d in rt_fwd rt_naive rt_kill rt_int rt_rowlock rt_load rt_lock; do q mysql "DROP DATABASE IF EXISTS $d"; done
q mysql "DROP DATABASE IF EXISTS zdm"
exit $status
