#!/bin/sh
# tests/sqlite/runtime.sh - `zdm run/status/rollback --db sqlite:PATH` (the
# SQLite runtime driver, runtime/drv_sqlite.c) on real database files, with
# build/sqlitewriter writing concurrently. Run by tests/sqlite/run.
#
#   forward   a NOT NULL column filled by a backfill (400k rows, batches of 20,000): zdm run under
#             the old application's writer stops (3) at the deploy checkpoint,
#             status names it, the new writer replaces the old, --phase
#             contract finishes (0); the schema is the one the plan's own
#             forward.sql gives through the sqlite3 shell; no writer failed,
#             no write was lost, every row is right; no zdm-guard.sql written
#   kill      kill -9 of zdm run while the backfill runs, then zdm run again:
#             it resumes at step 03 (2 attempts, one resumption recorded)
#             and every row is right
#   interrupt SIGINT while the backfill runs: zdm run stops with 3 (the
#             statement interrupted, the step left started), the rerun
#             resumes at step 03 and every row is right
#   lock      another connection holds the write lock for 2 s: the run waits
#             (busy_timeout) and succeeds; held for 20 s: the run stops (1)
#             after the busy_timeout and its retries (about 16 s), saying
#             another connection held the write lock; once it ends,
#             the rerun completes
#   failed    a unique index over duplicate data fails (1); status shows the
#             error; zdm rollback --yes reverses the step that ran and the
#             schema is the original one
#   online    tests/golden/sqlite_online_swap (300k rows, the online copy-swap)
#             run by zdm run under the writer: no failed or lost write, every
#             row converted; the writer's longest wait is printed
#   backfill-existing  tests/golden/sqlite_backfill_existing by zdm run under
#             the writer (stops before the backup's drop), then zdm rollback:
#             every seeded value back exactly
#   restore-kill  the same plan over 400k rows; the application rewrites
#             some emails after the backfill; kill -9 of zdm rollback in the
#             middle of its native restore walk (zdm status shows it), then
#             zdm rollback again resumes after the cursor: every email back,
#             the application's kept, no row restored twice
#   refuse    a table made by hand with AUTOINCREMENT, or with a COLLATE
#             column, that its history does not declare: a copy-swap plan
#             stops at verify_pre (1) and the table and its sqlite_sequence
#             counter are untouched
#   file      zdm run FILE.zdm --db sqlite:PATH compiles for the library's
#             version (sqlite@3.N) and runs
#
#   ZDM=build/zdm-asan SQLITEWRITER=build/sqlitewriter sh tests/sqlite/runtime.sh
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
abspath() { case $1 in /*) echo "$1" ;; *) echo "$top/$1" ;; esac; }
ZDM=$(abspath "${ZDM:-build/zdm-asan}")
W=$(abspath "${SQLITEWRITER:-build/sqlitewriter}")
ROWS=${ZDM_SQLITE_RUNTIME_ROWS:-400000}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/zdm-sqrt.XXXXXX") || exit 2
cleanup() {
	for p in "$tmp"/*.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
status=0
ok() { echo "ok sqlite-runtime/$1"; }
fail() { echo "FAIL sqlite-runtime/$1"; [ -n "${2:-}" ] && echo "$2" | sed 's/^/    /' | head -30; status=1; }
expect_rc() { # NAME WANT GOT LOG [GREP]
	if [ "$3" != "$2" ]; then fail "$1" "exit status $3, want $2: $(tail -n 15 "$4")"; return 1; fi
	if [ -n "${5:-}" ] && ! grep -q "$5" "$4"; then fail "$1" "no '$5' in: $(tail -n 15 "$4")"; return 1; fi
	ok "$1"
}

mkdir -p "$tmp/src" "$tmp/run"
cp tests/golden/sqlite_backfill_not_null/0001_users.zdm "$tmp/src/"
cat >"$tmp/src/0002_name_len.zdm" <<ZDM
migration 'Store the length of each name, required';
assume users has $ROWS rows;

alter table users add column name_len int not null;
backfill users set name_len = (char_length(coalesce(name, '')))
                       sqlite (length(coalesce(name, ''))) batch 20000;
ZDM
(cd "$tmp/src" && "$ZDM" compile 0001_users.zdm --target sqlite --out ../out/0001 &&
	"$ZDM" compile 0002_name_len.zdm --target sqlite --out ../out/0002) >"$tmp/compile.log" 2>&1 ||
	{ fail compile "$(cat "$tmp/compile.log")"; exit 1; }
plan=$tmp/out/0002
base=$tmp/base.db
sqlite3 -bail "$base" <"$tmp/out/0001/forward.sql" >/dev/null || exit 1
sqlite3 -bail "$base" "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < $ROWS)
  INSERT INTO users (email, name, created_at) SELECT 'user' || i || '@example.com',
  CASE WHEN i % 7 = 0 THEN NULL ELSE 'seed ' || i END, '2024-01-01' FROM g" || exit 1

schema() {
	sqlite3 "$1" "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'zdm\_%' ESCAPE '\'
	  AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY type, name;
	SELECT m.name, p.* FROM sqlite_schema m, pragma_table_xinfo(m.name) p
	  WHERE m.type = 'table' AND m.name NOT LIKE 'zdm\_%' ESCAPE '\' ORDER BY m.name, p.cid;"
}
wrong_rows() { sqlite3 "$1" "SELECT count(*) FROM users WHERE name_len IS NOT length(coalesce(name, ''))"; }
OLD_I="INSERT INTO users (email, name, created_at) VALUES ('old' || ?1 || '@example.com', 'old ' || ?1, '2024-01-02')"
OLD_U="UPDATE users SET n = n + 1, name = 'renamed ' || ?1 WHERE id = ?1"
NEW_I="INSERT INTO users (email, name, created_at, name_len) VALUES ('new' || ?1 || '@example.com', 'new', '2024-01-03', 3)"
NEW_U="UPDATE users SET n = n + 1 WHERE id = ?1"
start_writer() { # DB INSERT UPDATE LOG
	rm -f "$tmp/stop"
	"$W" "$1" "$tmp/stop" "$2" "$3" 1000 10000 >"$4" 2>&1 &
	echo $! >"$tmp/writer.pid"
}
stop_writer() { touch "$tmp/stop"; wait "$(cat "$tmp/writer.pid")"; rm -f "$tmp/writer.pid"; }
# field N of the writer's line: 2 inserted, 4 updated, 6 failed, 8 maxwait_ms
wfield() { n=$2; set -- $(grep '^inserted' "$1"); eval "echo \${$n:-x}"; }

# ---- forward ----------------------------------------------------------------------
db=$tmp/run/fwd.db
cp "$base" "$db"
sqlite3 "$db" 'PRAGMA journal_mode = WAL' >/dev/null
start_writer "$db" "$OLD_I" "$OLD_U" "$tmp/w.old"
sleep 0.2
(cd "$tmp/run" && "$ZDM" run "$plan" --db "sqlite:$db") >"$tmp/f1.log" 2>&1
expect_rc forward-stops-at-checkpoint 3 $? "$tmp/f1.log" 'stopped at the deploy checkpoint before phase contract'
"$ZDM" status "$plan" --db "sqlite:$db" >"$tmp/st.log" 2>&1
expect_rc status-names-checkpoint 0 $? "$tmp/st.log" 'deploy checkpoint before contract: not passed'
stop_writer
start_writer "$db" "$NEW_I" "$NEW_U" "$tmp/w.new"
(cd "$tmp/run" && "$ZDM" run "$plan" --db "sqlite:$db" --phase contract) >"$tmp/f2.log" 2>&1
expect_rc forward-contract-finishes 0 $? "$tmp/f2.log" 'verify_post: 3 of 3 checks ok'
stop_writer
ref=$tmp/ref.db
cp "$base" "$ref"
(cd "$tmp" && sqlite3 -bail "$ref" <"$plan/forward.sql") >/dev/null 2>&1 || fail forward-sql-ref "the shell's forward.sql failed"
schema "$ref" >"$tmp/s.ref"
schema "$db" >"$tmp/s.run"
diff -u "$tmp/s.ref" "$tmp/s.run" >"$tmp/s.diff" && ok forward-schema-as-the-shell-gives ||
	fail forward-schema-as-the-shell-gives "$(cat "$tmp/s.diff")"
ins=$(( $(wfield "$tmp/w.old" 2) + $(wfield "$tmp/w.new" 2) ))
upd=$(( $(wfield "$tmp/w.old" 4) + $(wfield "$tmp/w.new" 4) ))
wf=$(( $(wfield "$tmp/w.old" 6) + $(wfield "$tmp/w.new" 6) ))
mw=$(wfield "$tmp/w.old" 8)
cnt=$(sqlite3 "$db" 'SELECT count(*) FROM users') sum=$(sqlite3 "$db" 'SELECT sum(n) FROM users')
if [ "$wf" = 0 ] && [ "$cnt" = $((ROWS + ins)) ] && [ "$sum" = "$upd" ]; then
	ok "forward-no-failed-or-lost-write ($ins inserts, $upd updates, old writer's longest wait $mw ms)"
else
	fail forward-no-failed-or-lost-write "failed $wf; rows $cnt want $((ROWS + ins)); sum $sum want $upd"
fi
[ "$(sqlite3 "$db" "SELECT count(*) FROM users WHERE name_len IS NOT length(coalesce(name, '')) AND email NOT LIKE 'new%'")" = 0 ] &&
	ok forward-every-row-right || fail forward-every-row-right "rows with a wrong name_len"
[ ! -e "$tmp/run/zdm-guard.sql" ] && [ ! -e "$tmp/run/zdm-loop.sql" ] && [ ! -e "$tmp/run/zdm-pause.sql" ] &&
	[ ! -e "$tmp/run/zdm-keep.sql" ] &&
	ok forward-no-guard-file || fail forward-no-guard-file "zdm run wrote zdm-guard.sql, zdm-loop.sql, zdm-pause.sql or zdm-keep.sql"
(cd "$tmp/run" && "$ZDM" run "$plan" --db "sqlite:$db" --phase contract) >"$tmp/f3.log" 2>&1
expect_rc forward-third-run-changes-nothing 0 $? "$tmp/f3.log" 'zdm: done'

# ---- kill -9 during the backfill ------------------------------------------------------
db=$tmp/run/kill.db
cp "$base" "$db"
(cd "$tmp/run" && exec "$ZDM" run "$plan" --db "sqlite:$db") >"$tmp/k1.log" 2>&1 &
zpid=$!
echo $zpid >"$tmp/zdm.pid"
killed=
i=0
while [ $i -lt 1000 ] && kill -0 $zpid 2>/dev/null; do
	# step 03 started, some rows filled: the backfill is half way
	s=$(sqlite3 "$db" "SELECT (SELECT count(*) FROM zdm_steps WHERE step = '03' AND finished_at IS NULL)
		|| ':' || (SELECT count(*) > 0 FROM users WHERE name_len IS NOT NULL)" 2>/dev/null)
	if [ "$s" = 1:1 ]; then kill -9 $zpid; killed=yes; break; fi
	sleep 0.01
	i=$((i + 1))
done
wait $zpid 2>/dev/null
rm -f "$tmp/zdm.pid"
if [ -z "$killed" ]; then
	fail kill-mid-backfill "never saw step 03 running (raise ZDM_SQLITE_RUNTIME_ROWS)" "$(cat "$tmp/k1.log")"
else
	filled=$(sqlite3 "$db" "SELECT count(*) FROM users WHERE name_len IS NOT NULL")
	if [ "$filled" -gt 0 ] && [ "$filled" -lt "$ROWS" ]; then
		ok "kill-mid-backfill ($filled of $ROWS rows filled when killed)"
	else
		fail kill-mid-backfill "$filled of $ROWS rows filled when killed: not in the middle"
	fi
	(cd "$tmp/run" && "$ZDM" run "$plan" --db "sqlite:$db") >"$tmp/k2.log" 2>&1
	expect_rc kill-rerun-resumes 3 $? "$tmp/k2.log" 'resuming at step 03'
	st=$(sqlite3 "$db" "SELECT step || ':' || attempts FROM zdm_steps WHERE attempts > 1")
	res=$(sqlite3 "$db" "SELECT count(*) FROM zdm_runs WHERE resumed_from = '03'")
	[ "$st" = "03:2" ] && [ "$res" = 1 ] && ok kill-state-shows-one-resumption ||
		fail kill-state-shows-one-resumption "attempts '$st' (want 03:2), resumed runs $res"
	[ "$(wrong_rows "$db")" = 0 ] && ok kill-every-row-right || fail kill-every-row-right "$(wrong_rows "$db") rows wrong"
fi

# ---- SIGINT during the backfill: a clean stop (3), then the rerun continues -------------
db=$tmp/run/int.db
cp "$base" "$db"
(cd "$tmp/run" && exec "$ZDM" run "$plan" --db "sqlite:$db") >"$tmp/i1.log" 2>&1 &
zpid=$!
echo $zpid >"$tmp/zdm.pid"
sent=
i=0
while [ $i -lt 1000 ] && kill -0 $zpid 2>/dev/null; do
	s=$(sqlite3 "$db" "SELECT (SELECT count(*) FROM zdm_steps WHERE step = '03' AND finished_at IS NULL)
		|| ':' || (SELECT count(*) > 0 FROM users WHERE name_len IS NOT NULL)" 2>/dev/null)
	if [ "$s" = 1:1 ]; then kill -INT $zpid; sent=yes; break; fi
	sleep 0.01
	i=$((i + 1))
done
wait $zpid
rc=$?
rm -f "$tmp/zdm.pid"
if [ -z "$sent" ]; then
	fail interrupt-mid-backfill "never saw step 03 running" "$(cat "$tmp/i1.log")"
else
	expect_rc interrupt-stops-cleanly 3 $rc "$tmp/i1.log" 'interrupted during step 03'
	(cd "$tmp/run" && "$ZDM" run "$plan" --db "sqlite:$db") >"$tmp/i2.log" 2>&1
	expect_rc interrupt-rerun-continues 3 $? "$tmp/i2.log" 'resuming at step 03'
	[ "$(wrong_rows "$db")" = 0 ] && ok interrupt-every-row-right || fail interrupt-every-row-right "$(wrong_rows "$db") rows wrong"
fi

# ---- lock: another connection holds the write lock ----------------------------------------
hold() { # DB SECONDS: BEGIN IMMEDIATE, a write, SECONDS, COMMIT
	( echo 'BEGIN IMMEDIATE;'; echo 'UPDATE users SET n = n WHERE id = 1;'; sleep "$2"; echo 'COMMIT;' ) |
		sqlite3 "$1" >/dev/null 2>&1 &
	echo $! >"$tmp/hold.pid"
}
db=$tmp/run/lock.db
cp "$base" "$db"
sqlite3 "$db" 'PRAGMA journal_mode = WAL' >/dev/null
hold "$db" 2
sleep 0.3
(cd "$tmp/run" && "$ZDM" run "$plan" --db "sqlite:$db" --until expand) >"$tmp/l1.log" 2>&1
expect_rc lock-waits-then-succeeds 3 $? "$tmp/l1.log" 'stopped after phase expand'
wait "$(cat "$tmp/hold.pid")"; rm -f "$tmp/hold.pid"
hold "$db" 20
sleep 0.3
(cd "$tmp/run" && "$ZDM" run "$plan" --db "sqlite:$db" --until backfill) >"$tmp/l2.log" 2>&1
expect_rc lock-held-stops 1 $? "$tmp/l2.log" 'another connection held the write lock'
kill "$(cat "$tmp/hold.pid")" 2>/dev/null; pkill -P "$(cat "$tmp/hold.pid")" 2>/dev/null
wait "$(cat "$tmp/hold.pid")" 2>/dev/null; rm -f "$tmp/hold.pid"
(cd "$tmp/run" && "$ZDM" run "$plan" --db "sqlite:$db" --until backfill) >"$tmp/l3.log" 2>&1
expect_rc lock-rerun-completes 3 $? "$tmp/l3.log" 'stopped after phase backfill'

# ---- a failed step, then rollback ---------------------------------------------------------
cat >"$tmp/src/0003_note.zdm" <<ZDM
migration 'A note, and names unique';
alter table users add column note text;
create unique index users_name_key on users (name);
ZDM
db=$tmp/run/fail.db
cp "$base" "$db"
sqlite3 "$db" "UPDATE users SET name = 'twin' WHERE id IN (1, 2)"
schema "$db" >"$tmp/s.before"
(cd "$tmp/src" && "$ZDM" compile 0003_note.zdm --target sqlite --out ../out/0003) >"$tmp/c3.log" 2>&1 ||
	fail compile-0003 "$(cat "$tmp/c3.log")"
"$ZDM" run "$tmp/out/0003" --db "sqlite:$db" >"$tmp/x1.log" 2>&1
expect_rc failed-step-stops 1 $? "$tmp/x1.log" 'UNIQUE constraint failed'
"$ZDM" status "$tmp/out/0003" --db "sqlite:$db" >"$tmp/x2.log" 2>&1
expect_rc failed-status-shows-error 0 $? "$tmp/x2.log" 'UNIQUE constraint failed'
"$ZDM" rollback "$tmp/out/0003" --db "sqlite:$db" --yes >"$tmp/x3.log" 2>&1
expect_rc failed-rollback 0 $? "$tmp/x3.log" 'rollback of step 01'
schema "$db" >"$tmp/s.after"
diff -u "$tmp/s.before" "$tmp/s.after" >"$tmp/s.diff" && ok failed-rollback-restores-schema ||
	fail failed-rollback-restores-schema "$(cat "$tmp/s.diff")"

# ---- a table zdm cannot rebuild exactly: refused before any step -----------------------
# AUTOINCREMENT, COLLATE or a column added by hand, behind the history's back
# (which declares none of them): the IR does not know them, so a copy-swap
# would lose them (and the sqlite_sequence counter, or the column's values):
# verify_pre stops the run.
cat >"$tmp/src/0004_check.zdm" <<ZDM
migration 'n is never negative';
alter table users add constraint users_n_check check (n >= 0);
ZDM
(cd "$tmp/src" && "$ZDM" compile 0004_check.zdm --target sqlite --out ../out/0004) >"$tmp/c4.log" 2>&1 ||
	fail compile-0004 "$(cat "$tmp/c4.log")"
for kind in autoincrement collate column; do
	db=$tmp/run/$kind.db
	cp "$base" "$db"
	extra= val=
	case $kind in
	autoincrement) def="id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL" ;;
	collate) def="id INTEGER PRIMARY KEY, email TEXT COLLATE NOCASE NOT NULL" ;;
	column) def="id INTEGER PRIMARY KEY, email TEXT NOT NULL" extra=", column_by_hand TEXT" val=", 'x'" ;;
	esac
	sqlite3 -bail "$db" "PRAGMA foreign_keys = OFF; BEGIN;
		CREATE TABLE u2 ($def, name TEXT, n INTEGER NOT NULL DEFAULT 0, created_at TIMESTAMPTZ NOT NULL$extra);
		INSERT INTO u2 SELECT id, email, name, n, created_at$val FROM users; DROP TABLE users;
		ALTER TABLE u2 RENAME TO users; COMMIT;" || fail "$kind-setup"
	seq=$(sqlite3 "$db" "SELECT group_concat(seq) FROM sqlite_sequence" 2>/dev/null)
	"$ZDM" run "$tmp/out/0004" --db "sqlite:$db" >"$tmp/$kind.log" 2>&1
	expect_rc "refuses-$kind-table" 1 $? "$tmp/$kind.log" 'verify_pre failed: nothing was run'
	[ "$(sqlite3 "$db" "SELECT group_concat(seq) FROM sqlite_sequence" 2>/dev/null)" = "$seq" ] &&
		sqlite3 "$db" "SELECT sql FROM sqlite_schema WHERE name = 'users'" | grep -qi "$kind" &&
		ok "$kind-table-untouched" || fail "$kind-table-untouched"
done

# golden_case CASE DIR DB: the case's two migrations compiled into DIR/o1 (its
# history) and DIR/o2 (the change), DB created by o1's forward script and the
# case's SEED (its sqlite.conf sourced by the caller).
golden_case() {
	mkdir -p "$2/src"
	cp tests/golden/"$1"/*.zdm "$2/src/"
	set -- "$1" "$2" "$3" $(cd "$2/src" && ls *.zdm | sort)
	(cd "$2/src" && "$ZDM" compile "$4" --target sqlite --out ../o1 &&
		"$ZDM" compile "$5" --target sqlite --out ../o2) >"$2/c.log" 2>&1 ||
		{ fail "$1-compile" "$(cat "$2/c.log")"; return 1; }
	sqlite3 -bail "$3" <"$2/o1/forward.sql" >/dev/null && sqlite3 -bail "$3" "$SEED" ||
		{ fail "$1-seed"; return 1; }
}

# ---- the online copy-swap through zdm run, under the writer --------------------------------
# tests/golden/sqlite_online_swap (300k rows): the driver leaves the write lock
# free after each committed batch, so the writer's longest wait is about one
# batch or the final swap (recorded, not asserted: timings depend on the load).
(
	. tests/golden/sqlite_online_swap/sqlite.conf
	o=$tmp/online db=$tmp/run/online.db
	golden_case sqlite_online_swap "$o" "$db" || exit 1
	start_writer "$db" "$INSERT" "$UPDATE" "$o/w.log"
	sleep 0.2
	"$ZDM" run "$o/o2" --db "sqlite:$db" >"$o/run.log" 2>&1
	expect_rc online-swap-runs 0 $? "$o/run.log" 'verify_post: .* checks ok'
	stop_writer
	ins=$(wfield "$o/w.log" 2) upd=$(wfield "$o/w.log" 4) wf=$(wfield "$o/w.log" 6) mw=$(wfield "$o/w.log" 8)
	cnt=$(sqlite3 "$db" "$COUNT") sum=$(sqlite3 "$db" "$SUM")
	if [ "$wf" = 0 ] && [ "$cnt" = $((ROWS + ins)) ] && [ "$sum" = "$upd" ]; then
		ok "online-swap-no-failed-or-lost-write ($ins inserts, $upd updates, writer's longest wait $mw ms)"
	else
		fail online-swap-no-failed-or-lost-write "failed $wf; rows $cnt want $((ROWS + ins)); sum $sum want $upd"
	fi
	bad=$(sqlite3 "$db" <tests/golden/sqlite_online_swap/checks.sqlite.sql | grep -v '|1$')
	[ -z "$bad" ] && ok online-swap-checks || fail online-swap-checks "$bad"
	exit $status
) || status=1

# ---- backfill of an existing column through zdm run, then its rollback -----------------
# tests/golden/sqlite_backfill_existing: the native walk runs each batch's
# backup INSERT and UPDATE in one transaction under the writer; the run stops
# before the contract phase's drop of the backup (destructive: no terminal to
# confirm it), and `zdm rollback` puts every seeded email back exactly.
(
	. tests/golden/sqlite_backfill_existing/sqlite.conf
	o=$tmp/bfx db=$tmp/run/bfx.db
	golden_case sqlite_backfill_existing "$o" "$db" || exit 1
	emails() { sqlite3 "$db" "SELECT rowid, quote(email) FROM users WHERE rowid <= $ROWS ORDER BY rowid" | cksum; }
	before=$(emails)
	start_writer "$db" "$INSERT" "$UPDATE" "$o/w.log"
	"$ZDM" run "$o/o2" --db "sqlite:$db" </dev/null >"$o/run.log" 2>&1
	rc=$?
	stop_writer
	grep -q 'stopped before step .* (drop backup table zdm_backup_users_1)' "$o/run.log" &&
		[ "$(sqlite3 "$db" "SELECT count(*) FROM users WHERE label LIKE 'user %' AND email IS NOT lower(trim(email))")" = 0 ] &&
		ok "backfill-existing-runs-to-the-backup-drop (status $rc)" ||
		fail backfill-existing-runs-to-the-backup-drop "status $rc: $(tail -n 8 "$o/run.log")"
	[ "$(wfield "$o/w.log" 6)" = 0 ] && ok backfill-existing-no-failed-write ||
		fail backfill-existing-no-failed-write "$(cat "$o/w.log")"
	"$ZDM" rollback "$o/o2" --db "sqlite:$db" --yes >"$o/rb.log" 2>&1
	expect_rc backfill-existing-rollback 0 $? "$o/rb.log" 'rolled back'
	[ "$(emails)" = "$before" ] && ok backfill-existing-rollback-restores-every-value ||
		fail backfill-existing-rollback-restores-every-value
	exit $status
) || status=1

# ---- the backup's restore as a native walk, killed and resumed -------------------------------
# The same plan over ROWS rows: after the backfill the application rewrites
# some emails; zdm rollback restores in batches with its cursor in each
# batch's transaction (plan.json rollback_pieces): kill -9 in the middle,
# then zdm rollback again resumes after the cursor; every seeded email back,
# the application's values kept, no row restored twice (a trigger counts
# every email written).
(
	big=$ROWS
	. tests/golden/sqlite_backfill_existing/sqlite.conf
	SEED="WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < $big)
	      INSERT INTO users (email, label) SELECT CASE WHEN i % 7 = 0 THEN NULL WHEN i % 11 = 0 THEN ' '
	        ELSE '  User' || i || '@Example.COM ' END, 'user ' || i FROM g"
	o=$tmp/rbk db=$tmp/run/rbk.db
	golden_case sqlite_backfill_existing "$o" "$db" || exit 1
	want=$(sqlite3 "$db" "SELECT rowid, quote(CASE WHEN rowid % 1000 = 7 THEN 'app ' || rowid ELSE email END)
	                      FROM users ORDER BY rowid" | cksum)
	"$ZDM" run "$o/o2" --db "sqlite:$db" </dev/null >"$o/run.log" 2>&1
	grep -q 'stopped before step .* (drop backup table zdm_backup_users_1)' "$o/run.log" ||
		{ fail restore-kill-forward "$(tail -n 8 "$o/run.log")"; exit 1; }
	sqlite3 "$db" "UPDATE users SET email = 'app ' || rowid WHERE rowid % 1000 = 7;
	  CREATE TABLE zdm_t_writes (id INTEGER);
	  CREATE TRIGGER zdm_t_count AFTER UPDATE OF email ON users BEGIN
	    INSERT INTO zdm_t_writes VALUES (NEW.rowid); END;"
	done_now() { sqlite3 "$db" "SELECT rows_done FROM zdm_backfills WHERE step LIKE '%/rollback/1'" 2>/dev/null; }
	"$ZDM" rollback "$o/o2" --db "sqlite:$db" --yes </dev/null >"$o/rb1.log" 2>&1 &
	zpid=$!
	echo $zpid >"$tmp/zrun.pid"
	at=
	i=0
	while [ $i -lt 2400 ] && kill -0 $zpid 2>/dev/null; do
		n=$(done_now)
		if [ "${n:-0}" -ge $((big / 10)) ] 2>/dev/null && [ "$n" -lt $((big / 2)) ]; then
			"$ZDM" status "$o/o2" --db "sqlite:$db" </dev/null >"$o/st.log" 2>&1
			kill -9 $zpid
			at=$n
			break
		fi
		sleep 0.02
		i=$((i + 1))
	done
	wait $zpid 2>/dev/null
	rm -f "$tmp/zrun.pid"
	[ -n "$at" ] || { fail restore-kill-mid-restore "never saw the restore between 10% and 50%: $(tail -n 8 "$o/rb1.log")"; exit 1; }
	ok "restore-kill-mid-restore (killed after $at of $big rows)"
	grep -q '^rollback of step [0-9]*, restore users: [0-9]* rows updated' "$o/st.log" &&
		ok restore-kill-status-shows-the-walk || fail restore-kill-status-shows-the-walk "$(cat "$o/st.log")"
	set -- $(sqlite3 "$db" "SELECT cursor, rows_done, (SELECT count(*) FROM zdm_t_writes)
	                        FROM zdm_backfills WHERE step LIKE '%/rollback/1'" | tr '|' ' ')
	[ "$2" = "$3" ] && ok "restore-kill-cursor-is-last-committed-batch (cursor $1, $2 rows restored)" ||
		fail restore-kill-cursor-is-last-committed-batch "cursor $1, rows_done $2, rows written $3"
	"$ZDM" rollback "$o/o2" --db "sqlite:$db" --yes </dev/null >"$o/rb2.log" 2>&1
	expect_rc restore-kill-rerun-finishes 0 $? "$o/rb2.log" "restore users: resuming after key $1 "
	[ "$(sqlite3 "$db" "SELECT rowid, quote(email) FROM users ORDER BY rowid" | cksum)" = "$want" ] &&
		ok restore-kill-every-value-back || fail restore-kill-every-value-back
	set -- $(sqlite3 "$db" "SELECT (SELECT count(*) FROM zdm_t_writes), (SELECT count(DISTINCT id) FROM zdm_t_writes),
	  (SELECT rows_done || ':' || starts FROM zdm_backfills WHERE step LIKE '%/rollback/1')" | tr '|' ' ')
	[ "$1" = "$2" ] && [ "$3" = "$1:2" ] && ok "restore-kill-no-row-restored-twice ($1 rows, the walk started twice)" ||
		fail restore-kill-no-row-restored-twice "rows written $1, distinct $2, walk rows_done:starts $3"
	exit $status
) || status=1

# objects DB: the SQL of every view, trigger and index but zdm's own and
# SQLite's automatic ones.
objects() {
	sqlite3 "$1" "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE type IN ('view', 'trigger', 'index')
	  AND sql IS NOT NULL AND name NOT LIKE 'zdm\_%' ESCAPE '\' ORDER BY type, name"
}
# checked NAME DB FILE: every row FILE returns ends in |1.
checked() {
	bad=$(sqlite3 "$2" <"$3" 2>&1 | grep -v '|1$')
	[ -z "$bad" ] && ok "$1" || fail "$1" "$bad"
}

# ---- objects made outside zdm, kept by zdm run's copy-swaps and by zdm rollback ---------
# tests/golden/sqlite_keep_foreign under the writer: orders (150k rows, the
# online copy) and tags (one transaction) keep the views, triggers and
# indexes SEED made, with their exact SQL; the triggers fire afterwards.
(
	. tests/golden/sqlite_keep_foreign/sqlite.conf
	o=$tmp/keep db=$tmp/run/keep.db
	golden_case sqlite_keep_foreign "$o" "$db" || exit 1
	objects "$db" >"$o/objects.base"
	start_writer "$db" "$INSERT" "$UPDATE" "$o/w.log"
	sleep 0.2
	"$ZDM" run "$o/o2" --db "sqlite:$db" >"$o/run.log" 2>&1
	expect_rc keep-foreign-runs 0 $? "$o/run.log" 'verify_post: .* checks ok'
	stop_writer
	[ "$(wfield "$o/w.log" 6)" = 0 ] && ok "keep-foreign-no-failed-write (longest wait $(wfield "$o/w.log" 8) ms)" ||
		fail keep-foreign-no-failed-write "$(cat "$o/w.log")"
	objects "$db" >"$o/objects.run"
	diff -u "$o/objects.base" "$o/objects.run" >"$o/d1" && ok keep-foreign-exact-sql ||
		fail keep-foreign-exact-sql "$(cat "$o/d1")"
	checked keep-foreign-checks "$db" tests/golden/sqlite_keep_foreign/checks.sqlite.sql
	"$ZDM" rollback "$o/o2" --db "sqlite:$db" --yes >"$o/rb.log" 2>&1
	expect_rc keep-foreign-rollback 0 $? "$o/rb.log" 'rolled back'
	objects "$db" >"$o/objects.rb"
	diff -u "$o/objects.base" "$o/objects.rb" >"$o/d2" && ok keep-foreign-rollback-exact-sql ||
		fail keep-foreign-rollback-exact-sql "$(cat "$o/d2")"
	checked keep-foreign-rollback-checks "$db" tests/golden/sqlite_keep_foreign/rollback_checks.sqlite.sql
	exit $status
) || status=1

# ---- a view or trigger made outside zdm that the change breaks: the swap stops, atomically ---
# tests/golden/drop_column drops an indexed column by a copy-swap. A view
# made by hand that selects the column stops the shell's phase script, and a
# trigger that names it stops zdm run, each naming the object; the table,
# its rows and every object are as they were.
(
	. tests/golden/drop_column/sqlite.conf
	o=$tmp/breaks db=$tmp/run/breaks.db
	golden_case drop_column "$o" "$db" || exit 1
	snap() {
		objects "$db"
		sqlite3 "$db" "SELECT sql FROM sqlite_schema WHERE name = 'users';
		  SELECT count(*), sum(length(nickname)), sum(n) FROM users"
	}
	sqlite3 -bail "$db" "CREATE VIEW nicks AS SELECT id, nickname FROM users" || exit 1
	snap >"$o/before"
	(cd "$o/o2" && sqlite3 -bail "$db" <phases/01-contract.forward.sql) >"$o/sh.log" 2>&1
	expect_rc keep-breaking-view-stops-the-shell 1 $? "$o/sh.log" 'error in view nicks: no such column: nickname'
	snap | cmp -s - "$o/before" && ok keep-breaking-view-changes-nothing ||
		fail keep-breaking-view-changes-nothing "$(snap | diff "$o/before" -)"
	sqlite3 -bail "$db" "DROP VIEW nicks; CREATE TABLE nick_log (nick TEXT);
	  CREATE TRIGGER users_nick_log AFTER UPDATE ON users BEGIN INSERT INTO nick_log VALUES (NEW.nickname); END" || exit 1
	snap >"$o/before2"
	"$ZDM" run "$o/o2" --db "sqlite:$db" --phase contract --yes >"$o/run.log" 2>&1
	expect_rc keep-breaking-trigger-stops-zdm-run 1 $? "$o/run.log" \
		'error in trigger users_nick_log: no such column: NEW.nickname'
	grep -q 'hint: that view or trigger names what this step removes' "$o/run.log" &&
		ok keep-breaking-trigger-hint || fail keep-breaking-trigger-hint "$(cat "$o/run.log")"
	snap | cmp -s - "$o/before2" && ok keep-breaking-trigger-changes-nothing ||
		fail keep-breaking-trigger-changes-nothing "$(snap | diff "$o/before2" -)"
	exit $status
) || status=1

# ---- WITHOUT ROWID tables through zdm run: walks over the primary key ---------------------
# tests/golden/sqlite_without_rowid_backfill: the native walk over (region
# COLLATE NOCASE, at REAL) with keys as JSON arrays, under the writer, to the
# deploy checkpoint; every row scored; zdm rollback restores every row
# exactly (the backup keyed by the primary key). Then
# tests/golden/sqlite_without_rowid_swap: the online copy-swap of a table
# keyed by (BLOB, integer), through the generated batches, under the writer.
(
	. tests/golden/sqlite_without_rowid_backfill/sqlite.conf
	o=$tmp/wr db=$tmp/run/wr.db
	golden_case sqlite_without_rowid_backfill "$o" "$db" || exit 1
	# the seeded columns but n (the writer's updates add to it)
	seeded() { sqlite3 "$1" "SELECT quote(region), quote(at), quote(kind), quote(payload) FROM events
	  WHERE region LIKE 'r%' ORDER BY region, at" | cksum; }
	before=$(seeded "$db")
	start_writer "$db" "$INSERT" "$UPDATE" "$o/w.log"
	sleep 0.2
	"$ZDM" run "$o/o2" --db "sqlite:$db" >"$o/run.log" 2>&1
	expect_rc without-rowid-backfill-to-checkpoint 3 $? "$o/run.log" 'keys up to \["R6",'
	stop_writer
	[ "$(wfield "$o/w.log" 6)" = 0 ] && ok without-rowid-backfill-no-failed-write ||
		fail without-rowid-backfill-no-failed-write "$(cat "$o/w.log")"
	[ "$(sqlite3 "$db" "SELECT count(*) FROM events WHERE score IS NOT length(coalesce(payload, ''))
	  OR (region LIKE 'r%' AND kind IS NOT lower(kind))")" = 0 ] &&
		ok without-rowid-backfill-every-row-right || fail without-rowid-backfill-every-row-right
	"$ZDM" rollback "$o/o2" --db "sqlite:$db" --yes >"$o/rb.log" 2>&1
	expect_rc without-rowid-backfill-rollback 0 $? "$o/rb.log" 'rolled back'
	[ "$(seeded "$db")" = "$before" ] && ok without-rowid-backfill-rollback-restores-every-value ||
		fail without-rowid-backfill-rollback-restores-every-value
	exit $status
) || status=1
(
	. tests/golden/sqlite_without_rowid_swap/sqlite.conf
	o=$tmp/ws db=$tmp/run/ws.db
	golden_case sqlite_without_rowid_swap "$o" "$db" || exit 1
	start_writer "$db" "$INSERT" "$UPDATE" "$o/w.log"
	sleep 0.2
	"$ZDM" run "$o/o2" --db "sqlite:$db" >"$o/run.log" 2>&1
	expect_rc without-rowid-swap-runs 0 $? "$o/run.log" 'verify_post: .* checks ok'
	stop_writer
	ins=$(wfield "$o/w.log" 2) upd=$(wfield "$o/w.log" 4) wf=$(wfield "$o/w.log" 6) mw=$(wfield "$o/w.log" 8)
	cnt=$(sqlite3 "$db" "$COUNT") sum=$(sqlite3 "$db" "$SUM")
	if [ "$wf" = 0 ] && [ "$cnt" = $((ROWS + ins)) ] && [ "$sum" = "$upd" ]; then
		ok "without-rowid-swap-no-failed-or-lost-write ($ins inserts, $upd updates, longest wait $mw ms)"
	else
		fail without-rowid-swap-no-failed-or-lost-write "failed $wf; rows $cnt want $((ROWS + ins)); sum $sum want $upd"
	fi
	checked without-rowid-swap-checks "$db" tests/golden/sqlite_without_rowid_swap/checks.sqlite.sql
	exit $status
) || status=1

# ---- zdm run FILE.zdm --------------------------------------------------------------------
db=$tmp/run/file.db
cp "$base" "$db"
lib=$(sqlite3 :memory: 'SELECT sqlite_version()' | cut -d. -f1,2)
(cd "$tmp/src" && "$ZDM" run 0003_note.zdm --db "sqlite:$db") >"$tmp/r1.log" 2>&1
expect_rc "file-compiles-for-sqlite@$lib-and-runs" 0 $? "$tmp/r1.log" "for sqlite@$lib"

# ---- no database file: refused, not created -------------------------------------------------
"$ZDM" status "$plan" --db "sqlite:$tmp/run/none.db" >"$tmp/n.log" 2>&1
rc=$?
[ $rc = 1 ] && [ ! -e "$tmp/run/none.db" ] && ok missing-database-not-created ||
	fail missing-database-not-created "status $rc: $(cat "$tmp/n.log")"
exit $status
