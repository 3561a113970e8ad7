# tests/runtime/rollback_walks.sh - sourced by tests/runtime/run (its helpers,
# its server): `zdm rollback` running a rollback's batched loops as native
# walks (plan.json rollback_pieces), killed and interrupted in the middle.
#
#   rbkill    the backfill of existing columns (backfill_existing, with its
#             backup tables) over KROWS rows (1M by default) run under the
#             old application's writer, then the application rewrites some
#             backfilled rows; zdm rollback natively, under the same writer,
#             kill -9 in the middle of the name restore (zdm status showing
#             the rollback walk's progress just before): the cursor equals
#             the rows restored; zdm rollback again resumes after the cursor
#             (a second start of the walk, the run recorded as resumed at its
#             step; a row lock held for 2 s on the next row to restore makes
#             that batch time out and be retried) and finishes; every old
#             value is back where the row held the backfilled one, the
#             application's values stand elsewhere, no row was restored
#             twice, the writer never failed, and the schema is the original
#             one
#   rbmove    the int -> bigint case (alter_type_int_bigint) run to its end
#             (the swap done), then zdm rollback, kill -9 in the middle of
#             the reverse move's fill: `zdm run` is then refused (the
#             rollback is unfinished; zdm status says to finish it); the
#             rerun of the rollback resumes the fill at its
#             cursor and swaps back; score is int again with every value, and
#             each row was filled once (the column comes back at the end of
#             the table, so the schema is compared by its checks, not a dump)
#   rbrename  the rename case (rename_column) run to its end, then zdm
#             rollback with SIGINT in the middle of the reverse fill: the
#             batch in progress commits, status 3, the rerun resumes and
#             finishes; fullname is back with every name
#
# Every row a walk writes is counted by a statement trigger that records
# the rows zdm's own session (application_name zdm) updates: a batch that
# does not commit takes its record with it.

count_writes() { # DB TABLE: records every row zdm's session updates in zdm_t_writes
	scalar "$1" "CREATE TABLE zdm_t_writes (id bigint);
		CREATE FUNCTION zdm_t_count() RETURNS trigger LANGUAGE plpgsql AS
		  \$\$BEGIN
		    IF current_setting('application_name') = 'zdm' THEN
		      INSERT INTO zdm_t_writes SELECT id FROM zdm_t_new;
		    END IF;
		    RETURN NULL;
		  END\$\$;
		CREATE TRIGGER zdm_t_count AFTER UPDATE ON $2 REFERENCING NEW TABLE AS zdm_t_new
		  FOR EACH STATEMENT EXECUTE FUNCTION zdm_t_count()" >/dev/null
}
walk_done() { scalar "$1" "SELECT rows_done FROM zdm.backfills WHERE step = '$2'" 2>/dev/null; }
# rb_stop DB PLAN WALK SIGNAL LOW HIGH LOG: zdm rollback in the background,
# SIGNAL once the walk's rows_done is in [LOW, HIGH) (zdm status taken just
# before into LOG.status); sets rb_at (rows done then, empty: never seen) and rb_rc.
rb_stop() {
	"$ZDM" rollback "$2" --db "dbname=$1" --yes </dev/null >"$7" 2>&1 &
	zpid=$!
	echo $zpid >"$tmp/zrun.pid"
	rb_at=
	i=0
	while [ $i -lt 2400 ] && kill -0 $zpid 2>/dev/null; do
		n=$(walk_done "$1" "$3")
		if [ "${n:-0}" -ge "$5" ] 2>/dev/null && [ "$n" -lt "$6" ]; then
			"$ZDM" status "$2" --db "dbname=$1" </dev/null >"$7.status" 2>&1
			kill "-$4" $zpid
			rb_at=$n
			break
		fi
		sleep 0.05
		i=$((i + 1))
	done
	wait $zpid
	rb_rc=$?
	rm -f "$tmp/zrun.pid"
}

# ---- rbkill: the backup restore killed and resumed ----------------------------------------
rk=zdm_rt_rk_$$
new_db "$rk"
psql_q -d "$rk" -f "$tmp/bx/0001_items/forward.sql" >"$tmp/rk0.log" 2>&1 &&
	scalar "$rk" "INSERT INTO items (name, status)
	              SELECT 'seed item ' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'kept' END
	                FROM generate_series(1, $KROWS) g" >>"$tmp/rk0.log" 2>&1 &&
	scalar "$rk" "ANALYZE items" >>"$tmp/rk0.log" 2>&1 || fail rbkill-setup "$(clip 20 "$tmp/rk0.log")"
dump "$rk" "$tmp/schema.rk.orig"
"$PGWRITER" --db "dbname=$rk" --clients 2 --rate 100 --keys "1:$KROWS" \
	--insert "$(cat "$tmp/bx.insert")" --update "$(cat "$tmp/bx.update")" --insert-start 1000000000 \
	--duration 900 --stop-file "$tmp/rkw.stop" --ready-file "$tmp/rkw.ready" >"$tmp/rkw.json" 2>"$tmp/rkw.err" &
echo $! >"$tmp/rkw.pid"
i=0
while [ ! -f "$tmp/rkw.ready" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
rc=$(zrun "$tmp/rk1.log" run "$bx" --db "dbname=$rk" --until validate)
expect_rc rbkill-forward 3 "$rc" "$tmp/rk1.log" 'backfill items: done, [1-9][0-9]* rows updated'
# The application rewrites rows after their batch: its values must stand.
scalar "$rk" "UPDATE items SET name = 'app wrote ' || id, status = 'app', n = n + 1
              WHERE id % 1000 = 7 AND id <= $KROWS" >/dev/null
count_writes "$rk" items
rb_stop "$rk" "$bx" 04/rollback/1 9 $((KROWS / 10)) $((KROWS / 2)) "$tmp/rk2.log"
if [ -z "$rb_at" ]; then
	fail rbkill-mid-restore "never saw the name restore between 10% and 50%:" "$(clip 30 "$tmp/rk2.log")"
else
	ok "rbkill-mid-restore (killed after $rb_at of $KROWS rows)"
	grep -Eq '^rollback of step 04, restore items: [0-9]+ rows updated in [0-9]+ batches .*cursor [0-9]+ of last key [0-9]+' "$tmp/rk2.log.status" &&
		ok rbkill-status-shows-rollback-walk || fail rbkill-status-shows-rollback-walk "$(clip 30 "$tmp/rk2.log.status")"
	zdm_gone "$rk"
	set -- $(scalar "$rk" "SELECT cursor || ' ' || rows_done FROM zdm.backfills WHERE step = '04/rollback/1'") \
		"$(scalar "$rk" "SELECT count(*) FROM zdm_t_writes")"
	if [ "$2" = "$3" ] && [ "$3" -gt 0 ]; then
		ok "rbkill-cursor-is-last-committed-batch (cursor $1, $2 rows restored, $3 written)"
	else
		fail rbkill-cursor-is-last-committed-batch "cursor $1, rows_done $2, rows written $3"
	fi
	# A session holds the row lock of the next row the restore gives back for
	# 2 s: that batch times out (lock_timeout) and is retried with the plan's
	# backoff (the writer waits for that row meanwhile).
	PGAPPNAME=zdm_rowlock "$PGBIN/psql" -X -q -d "$rk" -c "BEGIN" \
		-c "SELECT i.id FROM items i JOIN zdm_backup_items_2 b ON b.zdm_key = i.id WHERE i.id > $1
		      AND i.name IS NOT DISTINCT FROM b.zdm_new_1 ORDER BY i.id LIMIT 1 FOR UPDATE OF i" \
		-c "SELECT pg_sleep(2)" -c "COMMIT" >/dev/null 2>&1 &
	echo $! >"$tmp/rowlock.pid"
	i=0
	until [ -n "$(scalar "$rk" "SELECT pid FROM pg_stat_activity WHERE application_name = 'zdm_rowlock' AND wait_event = 'PgSleep'")" ] ||
		[ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
	rc=$(zrun "$tmp/rk3.log" rollback "$bx" --db "dbname=$rk" --yes)
	wait "$(cat "$tmp/rowlock.pid")" 2>/dev/null
	rm -f "$tmp/rowlock.pid"
	expect_rc rbkill-rerun-finishes 0 "$rc" "$tmp/rk3.log" 'rolled back 4 steps'
	expect_rc rbkill-batch-lock-retried 0 "$rc" "$tmp/rk3.log" \
		"restore items: batch after key $1: lock not available, retry 1 of"
	grep -q "restore items: resuming after key $1 " "$tmp/rk3.log" && ok rbkill-rerun-resumes-at-cursor ||
		fail rbkill-rerun-resumes-at-cursor "$(clip 20 "$tmp/rk3.log")"
	st=$(scalar "$rk" "SELECT string_agg(step || ':' || starts, ' ' ORDER BY step) FROM zdm.backfills WHERE step LIKE '%/rollback/%'")
	res=$(scalar "$rk" "SELECT string_agg(coalesce(resumed_from, '-') || ':' || outcome, ',' ORDER BY run_id) FROM zdm.runs WHERE command = 'rollback'")
	if [ "$st" = "03/rollback/1:1 04/rollback/1:2" ] && [ "$res" = "-:running,04:rolled back" ]; then
		ok "rbkill-state-shows-one-resumption (the name restore started twice; the rerun resumed at 04)"
	else
		fail rbkill-state-shows-one-resumption "walk starts '$st'; rollback runs '$res'"
	fi
fi
touch "$tmp/rkw.stop"
wait "$(cat "$tmp/rkw.pid")" 2>/dev/null
rm -f "$tmp/rkw.pid"
[ "$(jnum failures "$tmp/rkw.json")" = 0 ] && ok rbkill-writer-never-failed || fail rbkill-writer-never-failed "$(cat "$tmp/rkw.json")"
# Old values back where the row still held the backfilled one; the
# application's values (the writer's renames and inserts, the rewrites
# above) where it wrote after the backfill.
bad=$(scalar "$rk" "SELECT concat_ws(', ',
	(SELECT count(*) || ' seed rows with a wrong status' FROM items WHERE id <= $KROWS AND id % 1000 <> 7
	   AND status IS DISTINCT FROM CASE WHEN id % 3 = 0 THEN NULL ELSE 'kept' END HAVING count(*) > 0),
	(SELECT count(*) || ' seed rows with a wrong name' FROM items WHERE id <= $KROWS AND id % 1000 <> 7
	   AND name IS DISTINCT FROM CASE WHEN n = 0 THEN 'seed item ' || id ELSE 'renamed ' || id END HAVING count(*) > 0),
	(SELECT count(*) || ' rewritten rows lost the application''s value' FROM items WHERE id <= $KROWS
	   AND id % 1000 = 7 AND NOT (status = 'app' AND name IN ('app wrote ' || id, 'renamed ' || id)) HAVING count(*) > 0),
	(SELECT count(*) || ' inserted rows changed' FROM items WHERE id > $KROWS
	   AND NOT (name LIKE 'old item %' AND (status IS NULL OR status = 'old')) HAVING count(*) > 0))")
[ -z "$bad" ] && ok rbkill-every-row-right || fail rbkill-every-row-right "$bad"
# Each row at most once per restore: the status restore touches the seeded
# rows with id % 3 = 0 (and the writer's inserts with no status), the name
# restore every row.
set -- $(scalar "$rk" "SELECT (SELECT count(*) FROM zdm_t_writes) || ' ' ||
	(SELECT sum(rows_done) FROM zdm.backfills WHERE step LIKE '%/rollback/%') || ' ' ||
	(SELECT count(*) FROM (SELECT id, count(*) AS c FROM zdm_t_writes GROUP BY id) x
	  WHERE c > CASE WHEN id % 3 = 0 OR id > $KROWS THEN 2 ELSE 1 END)")
if [ "$1" = "$2" ] && [ "$3" = 0 ] && [ "$1" -gt "$KROWS" ]; then
	ok "rbkill-no-row-restored-twice ($1 rows written, as the walks counted)"
else
	fail rbkill-no-row-restored-twice "rows written $1, counted by the walks $2, rows written too often $3"
fi
scalar "$rk" "DROP TRIGGER zdm_t_count ON items; DROP FUNCTION zdm_t_count(); DROP TABLE zdm_t_writes" >/dev/null
schema_is "$rk" "$tmp/schema.rk.orig" rbkill-schema-is-original
scalar postgres "DROP DATABASE IF EXISTS \"$rk\" WITH (FORCE)" >/dev/null 2>&1

# ---- rbmove: the reverse move of a retype after its swap, killed and resumed ---------------
rm1=zdm_rt_rm_$$
new_db "$rm1"
psql_q -d "$rm1" -f "$tmp/mv/0001_events/forward.sql" >"$tmp/rm0.log" 2>&1 &&
	scalar "$rm1" "INSERT INTO events (kind, score) SELECT 'seed' || (g % 10), g * 7
	               FROM generate_series(1, $ROWS) g" >>"$tmp/rm0.log" 2>&1 &&
	scalar "$rm1" "ANALYZE events" >>"$tmp/rm0.log" 2>&1 || fail rbmove-setup "$(clip 20 "$tmp/rm0.log")"
before=$(scalar "$rm1" "SELECT count(*) || ' ' || sum(score) FROM events")
zrun "$tmp/rm1.log" run "$mv" --db "dbname=$rm1" >/dev/null
rc=$(zrun "$tmp/rm2.log" run "$mv" --db "dbname=$rm1" --phase contract --yes)
expect_rc rbmove-swapped 0 "$rc" "$tmp/rm2.log" 'verify_post: ([0-9]+) of \1 checks ok'
count_writes "$rm1" events
# The step whose rollback moves the column back: the swap.
swap=$(sed -n 's/^zdm: step \([0-9]*\) (contract): swap in .*/\1/p' "$tmp/rm2.log")
rb_stop "$rm1" "$mv" "$swap/rollback/1" 9 $((ROWS / 10)) $((ROWS * 6 / 10)) "$tmp/rm3.log"
if [ -z "$rb_at" ] || [ -z "$swap" ]; then
	fail rbmove-mid-fill "never saw the reverse fill of step '$swap' between 10% and 60%:" "$(clip 30 "$tmp/rm3.log")"
else
	ok "rbmove-mid-fill (killed after $rb_at of $ROWS rows)"
	zdm_gone "$rm1"
	set -- $(scalar "$rm1" "SELECT cursor || ' ' || rows_done FROM zdm.backfills WHERE step = '$swap/rollback/1'") \
		"$(scalar "$rm1" "SELECT count(*) FROM zdm_t_writes")"
	[ "$2" = "$3" ] && ok "rbmove-cursor-is-last-committed-batch (cursor $1, $2 rows filled)" ||
		fail rbmove-cursor-is-last-committed-batch "cursor $1, rows_done $2, rows written $3"
	# A forward run now would skip the half-reversed swap: refused, and
	# zdm status says to finish the rollback.
	rc=$(zrun "$tmp/rm3f.log" run "$mv" --db "dbname=$rm1" --phase contract --yes)
	expect_rc rbmove-forward-refused-mid-rollback 1 "$rc" "$tmp/rm3f.log" \
		'the last `zdm rollback` of this plan stopped before it was done'
	zrun "$tmp/rm3s.log" status "$mv" --db "dbname=$rm1" >/dev/null
	grep -q '^next: finish the rollback' "$tmp/rm3s.log" && ok rbmove-status-says-finish-rollback ||
		fail rbmove-status-says-finish-rollback "$(clip 30 "$tmp/rm3s.log")"
	rc=$(zrun "$tmp/rm4.log" rollback "$mv" --db "dbname=$rm1" --yes)
	expect_rc rbmove-rerun-finishes 0 "$rc" "$tmp/rm4.log" 'rolled back [0-9]+ steps'
	grep -q "fill events: resuming after key $1 " "$tmp/rm4.log" && ok rbmove-rerun-resumes-at-cursor ||
		fail rbmove-rerun-resumes-at-cursor "$(clip 20 "$tmp/rm4.log")"
	starts=$(scalar "$rm1" "SELECT starts FROM zdm.backfills WHERE step = '$swap/rollback/1'")
	[ "$starts" = 2 ] && ok rbmove-state-shows-one-resumption || fail rbmove-state-shows-one-resumption "walk starts '$starts'"
	w=$(scalar "$rm1" "SELECT count(*) || ' ' || count(DISTINCT id) FROM zdm_t_writes")
	[ "$w" = "$ROWS $ROWS" ] && ok "rbmove-every-row-filled-once ($ROWS writes)" ||
		fail rbmove-every-row-filled-once "writes, distinct rows: $w; want $ROWS $ROWS"
	bad=$(psql_q -At -F '|' -d "$rm1" -f tests/golden/alter_type_int_bigint/rollback_checks.sql 2>&1 | grep -v '|t$')
	got="$(scalar "$rm1" "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'events'::regclass AND attname = 'score'") $(scalar "$rm1" "SELECT count(*) || ' ' || sum(score) FROM events")"
	[ -z "$bad" ] && [ "$got" = "integer $before" ] && ok "rbmove-score-is-int-again ($before)" ||
		fail rbmove-score-is-int-again "got '$got', want 'integer $before'" "$bad"
	scalar "$rm1" "DROP TRIGGER zdm_t_count ON events; DROP FUNCTION zdm_t_count(); DROP TABLE zdm_t_writes" >/dev/null
fi
scalar postgres "DROP DATABASE IF EXISTS \"$rm1\" WITH (FORCE)" >/dev/null 2>&1

# ---- rbrename: the reverse move of a rename after its swap, interrupted and resumed ---------
compile_case rename_column postgres@15 rn
rn=$out
rr=zdm_rt_rr_$$
new_db "$rr"
psql_q -d "$rr" -f "$tmp/rn/0001_customers/forward.sql" >"$tmp/rr0.log" 2>&1 &&
	scalar "$rr" "INSERT INTO customers (fullname, email) SELECT 'seed ' || g, 'c' || g || '@example.com'
	              FROM generate_series(1, $ROWS) g" >>"$tmp/rr0.log" 2>&1 &&
	scalar "$rr" "ANALYZE customers" >>"$tmp/rr0.log" 2>&1 || fail rbrename-setup "$(clip 20 "$tmp/rr0.log")"
zrun "$tmp/rr1.log" run "$rn" --db "dbname=$rr" >/dev/null
rc=$(zrun "$tmp/rr2.log" run "$rn" --db "dbname=$rr" --phase contract --yes)
expect_rc rbrename-swapped 0 "$rc" "$tmp/rr2.log" 'verify_post: ([0-9]+) of \1 checks ok'
swap=$(sed -n 's/^zdm: step \([0-9]*\) (contract): swap in .*/\1/p' "$tmp/rr2.log")
rb_stop "$rr" "$rn" "$swap/rollback/1" INT $((ROWS / 10)) $((ROWS * 6 / 10)) "$tmp/rr3.log"
if [ -z "$rb_at" ] || [ -z "$swap" ]; then
	fail rbrename-mid-fill "never saw the reverse fill of step '$swap' between 10% and 60%:" "$(clip 30 "$tmp/rr3.log")"
else
	expect_rc "rbrename-interrupt-stops-with-3 (at $rb_at of $ROWS rows)" 3 "$rb_rc" "$tmp/rr3.log" \
		"rollback interrupted during step $swap"
	zdm_gone "$rr"
	set -- $(scalar "$rr" "SELECT cursor || ' ' || rows_done FROM zdm.backfills WHERE step = '$swap/rollback/1'") \
		"$(scalar "$rr" "SELECT count(*) FROM customers WHERE fullname IS NOT NULL")"
	if [ "$2" = "$3" ] && grep -q "fill customers interrupted: the batches up to key $1 are committed with the cursor; \`zdm rollback\` continues" "$tmp/rr3.log"; then
		ok "rbrename-interrupt-finishes-the-batch (cursor $1, $2 rows filled)"
	else
		fail rbrename-interrupt-finishes-the-batch "cursor $1, rows_done $2, rows filled $3" "$(clip 20 "$tmp/rr3.log")"
	fi
	rc=$(zrun "$tmp/rr4.log" rollback "$rn" --db "dbname=$rr" --yes)
	expect_rc rbrename-rerun-finishes 0 "$rc" "$tmp/rr4.log" "fill customers: resuming after key $1 "
	bad=$(psql_q -At -F '|' -d "$rr" -f tests/golden/rename_column/rollback_checks.sql 2>&1 | grep -v '|t$')
	[ -z "$bad" ] && ok rbrename-fullname-is-back || fail rbrename-fullname-is-back "$bad"
fi
scalar postgres "DROP DATABASE IF EXISTS \"$rr\" WITH (FORCE)" >/dev/null 2>&1
