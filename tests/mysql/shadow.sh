#!/bin/sh
# tests/mysql/shadow.sh - the shadow-table copy run by `zdm run` (the native
# walk of backends/mysql/mysq_shadow_copy.c through runtime/backfill.c), its
# per-range check, and deadlock retries of backfill batches, on the throwaway
# MariaDB server of tests/mysql/run (SOCK and PORT say where).
#
#   forward   tests/golden/mysql_int_bigint by zdm run under the old
#             application's writer (stops at the deploy checkpoint), then
#             --phase contract with the new one: schema equal to the naive
#             ALTER's, verify_post ok, no failed or lost write; zdm rollback
#             from the end restores the base schema
#   kill      kill -9 of zdm run during the copy of ROWS_BIG rows, then zdm
#             run again: it resumes at step 03 (2 attempts, the walk started
#             twice); after the cut-over every row of the new table equals the
#             original's, and each was inserted into the shadow once (an AFTER
#             INSERT trigger on the shadow counts, in the range's transaction)
#   badcopy   a `using` whose value for one row is longer than the new type
#             holds (INSERT IGNORE would store it cut): zdm run, which checks
#             each range beside the next one, stops (1) after the range
#             holding that row with the check's message; the table is
#             untouched, the checks' record stands before the row, the shadow
#             holds the ranges up to the copy's cursor, the cut-over did not
#             run; the script's procedure (the mariadb client), which checks
#             in each range's transaction, stops at that range (ERROR 1644
#             naming the keys); once the row is fixed both finish (zdm run
#             checks that range again: the fix reached the shadow through the
#             triggers)
#   deadlock  a session that has modified more rows than a batch will, holds a
#             row of the first batch's range, and, once the batch waits for
#             it, asks for a row the batch holds: InnoDB rolls the lighter
#             transaction, the batch, back (1213); zdm says so, retries it, and
#             every row is right, each written once. Once for the backfill's
#             UPDATE walk, once for the shadow copy.
#
#   SOCK=... PORT=... ZDM=build/zdm-asan MYSQLWRITER=build/mysqlwriter sh tests/mysql/shadow.sh
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
abspath() { case $1 in /*) echo "$1" ;; *) echo "$top/$1" ;; esac; }
ZDM=$(abspath "${ZDM:-build/zdm-asan}")
W=$(abspath "${MYSQLWRITER:-build/mysqlwriter}")
ROWS_BIG=${ZDM_MYSQL_RUNTIME_ROWS:-250000}
: "${SOCK:?run through tests/mysql/run (it starts the server)}" "${PORT:?}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/zdm-myshadow.XXXXXX") || exit 2
cleanup() {
	for p in "$tmp"/*.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
status=0
ok() { echo "ok mysql-shadow/$1"; }
fail() { echo "FAIL mysql-shadow/$1"; [ -n "${2:-}" ] && echo "$2" | sed 's/^/    /' | head -30; status=1; }
expect_rc() { # NAME WANT GOT LOG [GREP]
	if [ "$3" != "$2" ]; then fail "$1" "exit status $3, want $2: $(tail -n 15 "$4")"; return 1; fi
	if [ -n "${5:-}" ] && ! grep -q "$5" "$4"; then fail "$1" "no '$5' in: $(tail -n 15 "$4")"; return 1; fi
	ok "$1"
}
my() { mariadb --no-defaults -S "$SOCK" "$@"; }
q() { my -N -B "$1" -e "$2"; }
url() { echo "mariadb://root@127.0.0.1:$PORT/$1"; }

schema() {
	my -N "$1" <<'SQL' 2>&1
SELECT 'col', TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA
  FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY 2, 3;
SELECT 'index', TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE
  FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ORDER BY 2, 3, 4;
SELECT 'trigger', TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY 2;
SQL
}

# ---- the plans ------------------------------------------------------------------------------
E=tests/golden/mysql_int_bigint
H=tests/golden/mysql_headline
mkdir -p "$tmp/ev" "$tmp/items" "$tmp/users"
cp "$E"/*.zdm "$tmp/ev/"
cp "$H/0001_users.zdm" "$tmp/users/"
cat >"$tmp/users/0002_name_len.zdm" <<'ZDM'
migration 'Store the length of each name';
assume users has 20000 rows;

alter table users add column name_len int;
backfill users set name_len = (char_length(coalesce(name, ''))) batch 5000;
ZDM
cat >"$tmp/items/0001_items.zdm" <<'ZDM'
migration 'Create items';

create table items (
    id   bigint generated always as identity primary key,
    code varchar(20) not null,
    note varchar(400),
    n    int not null default 0
);
ZDM
# A `using` that is lossy for one row: code/note longer than 300 characters.
cat >"$tmp/items/0002_code_note.zdm" <<'ZDM'
migration 'Codes carry their note';
assume items has 100k rows;

alter table items alter column code type varchar(300) using (concat(code, '/', coalesce(note, '')));
ZDM
for d in ev:0001_events:0002_score_bigint users:0001_users:0002_name_len items:0001_items:0002_code_note; do
	IFS=: read -r dir a b <<EOF
$d
EOF
	(cd "$tmp/$dir" && "$ZDM" compile $a.zdm --target mariadb@10.11 --out base &&
		"$ZDM" compile $b.zdm --target mariadb@10.11 --out plan) >>"$tmp/compile.log" 2>&1 ||
		{ fail compile "$(cat "$tmp/compile.log")"; exit 1; }
done
q mysql "DROP DATABASE IF EXISTS zdm" # the state of earlier runs on a reused server

newdb() { # DB DIR -> the base schema of DIR
	my -e "DROP DATABASE IF EXISTS \`$1\`; CREATE DATABASE \`$1\`" &&
		my "$1" <"$tmp/$2/base/forward.sql" >/dev/null
}
seed_events() { q "$1" "INSERT INTO events (kind, score) SELECT CONCAT('k', seq % 10), seq FROM seq_1_to_$2"; }
# Rows of the original (zdm_old_events after the cut-over) missing from the
# new table or different there.
differing() {
	q "$1" "SELECT count(*) FROM zdm_old_events o LEFT JOIN events e ON e.id = o.id
	  WHERE e.id IS NULL OR NOT (e.kind <=> o.kind AND e.score <=> o.score AND e.n <=> o.n)"
}
# Waits until step STEP has committed a batch and is not finished, then sends SIG.
signal_mid_step() { # DB PID SIG STEP -> sets $sent
	sent=
	i=0
	while [ $i -lt 3000 ] && kill -0 "$2" 2>/dev/null; do
		s=$(q "$1" "SELECT (SELECT count(*) FROM zdm.steps WHERE db = DATABASE() AND step = '$4'
		    AND finished_at IS NULL),
		    (SELECT count(*) FROM zdm.backfills WHERE db = DATABASE() AND step = '$4' AND rows_done > 0)" 2>/dev/null)
		if [ "$s" = "1	1" ]; then kill "-$3" "$2"; sent=yes; return; fi
		sleep 0.01
		i=$((i + 1))
	done
}

# ---- forward by zdm run under the writers, contract, rollback ---------------------------------
ROWS=0 INSERT= UPDATE= NEW_INSERT= NEW_UPDATE= COUNT= SUM=
. "$E/mysql.conf"
db=sh_fwd
newdb $db ev && seed_events $db "$ROWS" || { fail setup "cannot seed $db"; exit 1; }
schema $db >"$tmp/s.base"
newdb sh_naive ev && seed_events sh_naive "$ROWS" && my sh_naive <"$E/naive.mysql.sql" >/dev/null 2>&1 ||
	fail naive-setup
schema sh_naive >"$tmp/s.naive"
rm -f "$tmp/stop"
"$W" "$SOCK" $db "$tmp/stop" "$INSERT" "$UPDATE" "$ROWS" >"$tmp/w.old" 2>&1 &
echo $! >"$tmp/writer.pid"
sleep 0.3
"$ZDM" run "$tmp/ev/plan" --db "$(url $db)" >"$tmp/f1.log" 2>&1
expect_rc forward-stops-at-checkpoint 3 $? "$tmp/f1.log" 'stopped at the deploy checkpoint before phase contract'
grep -q 'backfill events: done' "$tmp/f1.log" && ok forward-native-copy || fail forward-native-copy "$(cat "$tmp/f1.log")"
# SWITCH=after: the old application stops before the contract phase, the new one starts after it.
touch "$tmp/stop"; wait "$(cat "$tmp/writer.pid")"; rm -f "$tmp/writer.pid"
"$ZDM" run "$tmp/ev/plan" --db "$(url $db)" --phase contract --yes >"$tmp/f2.log" 2>&1
expect_rc forward-contract-finishes 0 $? "$tmp/f2.log" 'verify_post: .* checks ok'
rm -f "$tmp/stop"
"$W" "$SOCK" $db "$tmp/stop" "$NEW_INSERT" "$NEW_UPDATE" "$ROWS" >"$tmp/w.new" 2>&1 &
echo $! >"$tmp/writer.pid"
sleep 1
touch "$tmp/stop"; wait "$(cat "$tmp/writer.pid")"; rm -f "$tmp/writer.pid"
schema $db >"$tmp/s.run"
diff -u --label naive --label zdm-run "$tmp/s.naive" "$tmp/s.run" >"$tmp/s.diff" &&
	ok forward-schema-is-naive || fail forward-schema-is-naive "$(cat "$tmp/s.diff")"
wfield() { n=$2; set -- $(grep '^inserted' "$1"); eval "echo \${$n:-x}"; }
ins=$(( $(wfield "$tmp/w.old" 2) + $(wfield "$tmp/w.new" 2) ))
upd=$(( $(wfield "$tmp/w.old" 4) + $(wfield "$tmp/w.new" 4) ))
wf=$(( $(wfield "$tmp/w.old" 6) + $(wfield "$tmp/w.new" 6) ))
cnt=$(q $db "$COUNT") sum=$(q $db "$SUM")
if [ "$wf" = 0 ] && [ "$cnt" = $((ROWS + ins)) ] && [ "$sum" = "$upd" ]; then
	ok "forward-no-failed-or-lost-write ($ins inserts, $upd updates, old writer's slowest statement $(wfield "$tmp/w.old" 8) ms)"
else
	fail forward-no-failed-or-lost-write "failed $wf; rows $cnt want $((ROWS + ins)); sum $sum want $upd;
$(cat "$tmp/w.old" "$tmp/w.new")"
fi
# The new application's scores do not fit the old type: they go before the
# type is changed back (the plan's contract rollback copies the table).
q $db "DELETE FROM events WHERE score > 2147483647"
"$ZDM" rollback "$tmp/ev/plan" --db "$(url $db)" --yes >"$tmp/rb.log" 2>&1
expect_rc rollback-from-the-end 0 $? "$tmp/rb.log" 'rollback of step 01'
schema $db >"$tmp/s.rb"
diff -u --label base --label rolled-back "$tmp/s.base" "$tmp/s.rb" >"$tmp/s.diff" &&
	ok rollback-restores-base-schema || fail rollback-restores-base-schema "$(cat "$tmp/s.diff")"

# ---- kill -9 during the copy, then the rerun resumes ---------------------------------------------
db=sh_kill
newdb $db ev && seed_events $db "$ROWS_BIG" &&
	"$ZDM" run "$tmp/ev/plan" --db "$(url $db)" --until expand >"$tmp/k0.log" 2>&1
[ $? = 3 ] || { fail kill-setup "$(cat "$tmp/k0.log")"; exit 1; }
# copies counts the inserts into the shadow per row, in the range's own transaction.
q $db "CREATE TABLE copies (id BIGINT PRIMARY KEY, n INT NOT NULL);
  CREATE TRIGGER count_copy AFTER INSERT ON zdm_new_events FOR EACH ROW
    INSERT INTO copies (id, n) VALUES (NEW.id, 1) ON DUPLICATE KEY UPDATE n = n + 1"
"$ZDM" run "$tmp/ev/plan" --db "$(url $db)" >"$tmp/k1.log" 2>&1 &
zpid=$!
echo $zpid >"$tmp/zdm.pid"
signal_mid_step $db $zpid 9 03
wait $zpid 2>/dev/null
rm -f "$tmp/zdm.pid"
if [ -z "$sent" ]; then
	fail kill-mid-copy "never saw step 03 running (raise ZDM_MYSQL_RUNTIME_ROWS)" "$(cat "$tmp/k1.log")"
else
	sleep 1 # the server ends the killed session (and its plan lock) once its range ends
	copied=$(q $db "SELECT count(*) FROM zdm_new_events")
	if [ "$copied" -gt 0 ] && [ "$copied" -lt "$ROWS_BIG" ]; then
		ok "kill-mid-copy ($copied of $ROWS_BIG rows copied when killed)"
	else
		fail kill-mid-copy "$copied of $ROWS_BIG rows copied when killed: not in the middle"
	fi
	"$ZDM" run "$tmp/ev/plan" --db "$(url $db)" >"$tmp/k2.log" 2>&1
	expect_rc kill-rerun-resumes 3 $? "$tmp/k2.log" 'resuming at step 03'
	st=$(q $db "SELECT GROUP_CONCAT(CONCAT(step, ':', attempts)) FROM zdm.steps
	  WHERE db = DATABASE() AND attempts > 1")
	starts=$(q $db "SELECT GROUP_CONCAT(CONCAT(step, ':', starts)) FROM zdm.backfills WHERE db = DATABASE()")
	[ "$st" = "03:2" ] && [ "$starts" = "03:2" ] && ok kill-state-shows-one-resumption ||
		fail kill-state-shows-one-resumption "attempts '$st' (want 03:2), walk starts '$starts' (want 03:2)"
	n=$(q $db "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM zdm_old_events)")
	[ "$n" = "$ROWS_BIG	$ROWS_BIG" ] && [ "$(differing $db)" = 0 ] && ok kill-every-row-right ||
		fail kill-every-row-right "rows new/original: $n (want $ROWS_BIG each); $(differing $db) differ"
	w=$(q $db "SELECT count(*), coalesce(max(n), 0) FROM copies")
	[ "$w" = "$ROWS_BIG	1" ] && ok kill-each-row-copied-once ||
		fail kill-each-row-copied-once "rows copied, most copies of one row: $w (want $ROWS_BIG and 1)"
fi

# ---- a copy that changes a value stops at its range -----------------------------------------------
bad_seed() { # DB: row 60000's code/note is 396 characters
	newdb "$1" items &&
		q "$1" "INSERT INTO items (code, note) SELECT CONCAT('c', seq),
		  IF(seq = 60000, REPEAT('x', 390), CONCAT('note ', seq)) FROM seq_1_to_100000"
}
items_sum() { q "$1" "SELECT count(*), sum(CRC32(CONCAT_WS('|', id, code, note, n))) FROM items"; }
db=sh_bad
bad_seed $db || { fail badcopy-setup "cannot seed $db"; exit 1; }
schema $db | grep -v zdm_ >"$tmp/b.base"
before=$(items_sum $db)
"$ZDM" run "$tmp/items/plan" --db "$(url $db)" >"$tmp/b1.log" 2>&1
expect_rc badcopy-stops 1 $? "$tmp/b1.log" 'step 03 failed: backfill items: the batch after key [0-9]* up to key [0-9]* failed its check: the rows copied into zdm_new_items differ'
schema $db | grep -v zdm_ >"$tmp/b.after"
cur=$(q $db "SELECT hi FROM zdm_cur_items WHERE id = 1")
chk=$(q $db "SELECT hi FROM zdm_cur_items WHERE id = 2")
got=$(q $db "SELECT count(*), coalesce(max(id), 0) FROM zdm_new_items")
# The copy may have gone on to its end (the cursor at its maximum) by the
# time the failed check was collected: the shadow then holds every row.
copied=$((cur - 1)); [ "$cur" = 9223372036854775807 ] && copied=100000
if cmp -s "$tmp/b.base" "$tmp/b.after" && [ "$(items_sum $db)" = "$before" ] &&
	[ "$chk" -lt 60000 ] && [ "$copied" -ge 60000 ] && [ "$got" = "$copied	$copied" ]; then
	ok "badcopy-table-untouched (checked up to key $chk, copied up to key $copied)"
else
	fail badcopy-table-untouched "checked up to $chk, cursor $cur; shadow rows/max $got; $(diff "$tmp/b.base" "$tmp/b.after")"
fi
q $db "UPDATE items SET note = 'short' WHERE id = 60000"
"$ZDM" run "$tmp/items/plan" --db "$(url $db)" >"$tmp/b2.log" 2>&1
expect_rc badcopy-rerun-after-fix 3 $? "$tmp/b2.log" 'committed batch[es]* checked before going on (the checks had passed up to key [0-9][0-9]*)'
[ "$(q $db "SELECT count(*) FROM items i JOIN zdm_old_items o ON o.id = i.id
  WHERE i.code <> CONCAT(o.code, '/', coalesce(o.note, ''))")" = 0 ] &&
	ok badcopy-rerun-every-row-right || fail badcopy-rerun-every-row-right "$(tail -n 5 "$tmp/b2.log")"
# The script's procedure (a DBA with the mariadb client) checks the same way.
db=sh_bad_script
bad_seed $db || { fail badcopy-script-setup "cannot seed $db"; exit 1; }
my $db <"$tmp/items/plan/phases/01-expand.forward.sql" >"$tmp/b3.log" 2>&1 &&
	my $db <"$tmp/items/plan/phases/02-backfill.forward.sql" >>"$tmp/b3.log" 2>&1
expect_rc badcopy-script-stops 1 $? "$tmp/b3.log" 'ERROR 1644 (45000) .*zdm: copy check failed at keys [0-9]*\.\.[0-9]* (count or checksum differs)'
my $db <"$tmp/items/plan/phases/03-validate.forward.sql" >"$tmp/b4.log" 2>&1
expect_rc badcopy-script-no-cut-over 1 $? "$tmp/b4.log" 'the copy into the shadow table has not finished'
q $db "UPDATE items SET note = 'short' WHERE id = 60000"
my $db <"$tmp/items/plan/phases/02-backfill.forward.sql" >"$tmp/b5.log" 2>&1 &&
	my $db <"$tmp/items/plan/phases/03-validate.forward.sql" >>"$tmp/b5.log" 2>&1
rc=$?
bad=$(q $db "SELECT count(*) FROM zdm_old_items o JOIN items i ON i.id = o.id
  WHERE i.code <> CONCAT(o.code, '/', coalesce(o.note, ''))")
[ $rc = 0 ] && [ "$bad" = 0 ] && [ "$(q $db 'SELECT count(*) FROM items')" = 100000 ] &&
	ok badcopy-script-resumes-after-fix || fail badcopy-script-resumes-after-fix "rc $rc, $bad rows wrong: $(tail -n 5 "$tmp/b5.log")"

# ---- deadlocks: the batch is the lighter transaction, rolled back and retried ------------------------
# The other session (a mariadb client fed through a FIFO, so its transaction
# stays open between the steps): modifies every row past key 5000 (heavier
# than any batch), takes row 3000 (inside the first batch); once zdm's batch
# waits for row 3000 (INNODB_TRX, read from another session: inside a
# transaction the session does not see it change), it asks for row 1, which
# the batch holds: a deadlock, and InnoDB rolls the lighter one, the batch,
# back. A wait past the batch's lock timeout instead only makes zdm retry, and
# the next try waits again, so the test waits for a wait.
# Runs `zdm run PLAN` against DB while the other session does that; the log
# of zdm in $tmp/dl.zdm.log, of the other session in $tmp/dl.other.log.
deadlock_run() { # DB TABLE PLAN -> $dl_rc (zdm's exit status), 1 when the session never held its rows
	rm -f "$tmp/dl.fifo"; mkfifo "$tmp/dl.fifo"
	my -N "$1" <"$tmp/dl.fifo" >"$tmp/dl.other.log" 2>&1 &
	echo $! >"$tmp/dl.pid"
	exec 7>"$tmp/dl.fifo"
	printf 'BEGIN;\nUPDATE `%s` SET n = n + 1 WHERE id > 5000;\nUPDATE `%s` SET n = n + 1 WHERE id = 3000;\n' \
		"$2" "$2" >&7
	# INNODB_TRX is a cache that the server refreshes only when it was last
	# read more than 0.1 s before: polled faster, it never changes (seen on
	# a quiet machine, where each poll took under 0.1 s).
	i=0 m=0
	while [ $i -lt 200 ] && [ "${m:-0}" -le 15000 ]; do
		sleep 0.15
		m=$(q "$1" "SELECT coalesce(max(trx_rows_modified), 0) FROM information_schema.INNODB_TRX")
		i=$((i + 1))
	done
	dl_rc=
	if [ "${m:-0}" -gt 15000 ]; then
		"$ZDM" run "$3" --db "$(url "$1")" >"$tmp/dl.zdm.log" 2>&1 &
		zpid=$!
		echo $zpid >"$tmp/zdm.pid"
		i=0 w=0
		while [ $i -lt 200 ] && [ "${w:-0}" = 0 ] && kill -0 $zpid 2>/dev/null; do
			w=$(q "$1" "SELECT count(*) FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'")
			[ "${w:-0}" = 0 ] && sleep 0.15
			i=$((i + 1))
		done
	fi
	printf 'UPDATE `%s` SET n = n + 1 WHERE id = 1;\nDO SLEEP(0.3);\nCOMMIT;\nSELECT "other session committed";\n' \
		"$2" >&7
	exec 7>&-
	wait "$(cat "$tmp/dl.pid")"; rm -f "$tmp/dl.pid"
	[ "${m:-0}" -gt 15000 ] || return 1
	wait $zpid
	dl_rc=$?
	rm -f "$tmp/zdm.pid"
}

db=sh_dl_fill
my -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db" &&
	my $db <"$tmp/users/base/forward.sql" >/dev/null &&
	q $db "INSERT INTO users (email, name) SELECT CONCAT('u', seq, '@example.com'),
	  IF(seq % 7 = 0, NULL, CONCAT('seed ', seq)) FROM seq_1_to_20000" &&
	"$ZDM" run "$tmp/users/plan" --db "$(url $db)" --until expand >"$tmp/d0.log" 2>&1
[ $? = 3 ] || { fail deadlock-fill-setup "$(cat "$tmp/d0.log")"; exit 1; }
q $db "CREATE TABLE fills (id BIGINT PRIMARY KEY, n INT NOT NULL);
  CREATE TRIGGER count_fill AFTER UPDATE ON users FOR EACH ROW
    INSERT INTO fills (id, n) SELECT NEW.id, 1 FROM DUAL WHERE NOT (OLD.name_len <=> NEW.name_len)
    ON DUPLICATE KEY UPDATE n = n + 1"
if deadlock_run $db users "$tmp/users/plan"; then
	expect_rc deadlock-fill-batch-retried 3 $dl_rc "$tmp/dl.zdm.log" \
		'backfill users: batch after key (start): deadlock (the server rolled the batch back), retry [0-9]* of'
	grep -q 'other session committed' "$tmp/dl.other.log" && ok deadlock-fill-other-session-committed ||
		fail deadlock-fill-other-session-committed "$(cat "$tmp/dl.other.log")"
	wrong=$(q $db "SELECT count(*) FROM users WHERE NOT (name_len <=> char_length(coalesce(name, '')))")
	w=$(q $db "SELECT count(*), coalesce(max(n), 0) FROM fills")
	[ "$wrong" = 0 ] && [ "$w" = "20000	1" ] && ok deadlock-fill-every-row-right-once ||
		fail deadlock-fill-every-row-right-once "$wrong rows wrong; rows written, most writes of one row: $w"
else
	fail deadlock-fill-setup "the other session never held its rows (it modified ${m:-?}): $(cat "$tmp/dl.other.log")"
fi

db=sh_dl_copy
newdb $db ev && seed_events $db 20000 &&
	"$ZDM" run "$tmp/ev/plan" --db "$(url $db)" --until expand >"$tmp/e0.log" 2>&1
[ $? = 3 ] || { fail deadlock-copy-setup "$(cat "$tmp/e0.log")"; exit 1; }
q $db "CREATE TABLE copies (id BIGINT PRIMARY KEY, n INT NOT NULL);
  CREATE TRIGGER count_copy AFTER INSERT ON zdm_new_events FOR EACH ROW
    INSERT INTO copies (id, n) VALUES (NEW.id, 1) ON DUPLICATE KEY UPDATE n = n + 1"
if deadlock_run $db events "$tmp/ev/plan"; then
	expect_rc deadlock-copy-batch-retried 3 $dl_rc "$tmp/dl.zdm.log" \
		'backfill events: batch after key (start): deadlock (the server rolled the batch back), retry [0-9]* of'
	grep -q 'other session committed' "$tmp/dl.other.log" && ok deadlock-copy-other-session-committed ||
		fail deadlock-copy-other-session-committed "$(cat "$tmp/dl.other.log")"
	n=$(q $db "SELECT (SELECT count(*) FROM events), (SELECT sum(n) FROM events)")
	w=$(q $db "SELECT count(*), coalesce(max(n), 0) FROM copies")
	[ "$n" = "20000	15002" ] && [ "$(differing $db)" = 0 ] && [ "$w" = "20000	1" ] &&
		ok deadlock-copy-every-row-right-once ||
		fail deadlock-copy-every-row-right-once "rows, sum(n): $n (want 20000, 15002); $(differing $db) differ; copies, most of one row: $w"
else
	fail deadlock-copy-setup "the other session never held its rows (it modified ${m:-?}): $(cat "$tmp/dl.other.log")"
fi

for d in sh_fwd sh_naive sh_kill sh_bad sh_bad_script sh_dl_fill sh_dl_copy; do
	q mysql "DROP DATABASE IF EXISTS $d"
done
q mysql "DROP DATABASE IF EXISTS zdm"
exit $status
