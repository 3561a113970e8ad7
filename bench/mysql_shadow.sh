#!/bin/sh
# bench/mysql_shadow.sh - zdm's shadow-table plan against pt-online-schema-change
# (issue 6): the same copy-only change (bench/mysql/0002_email_300.zdm, a
# VARCHAR(60) -> VARCHAR(300) that crosses the 255-byte length prefix) on a
# table of ROWS rows, on a throwaway MariaDB 10.11 with durable settings, under
# a steady writer (build/mybench: 4 sessions offering 500 transactions a second
# in total, open loop, updates and some inserts). Prints a markdown report.
#
#   sh bench/mysql_shadow.sh [ROWS]        (make bench-mysql-shadow; ROWS default 2000000)
#
# Knobs (environment):
#   BENCH_VARIANTS    what to run, in order (default "zdm ptosc"):
#                     zdm    the compiled plan, every phase (ZDM_MODE says how);
#                     ptosc  pt-online-schema-change --alter "MODIFY ..." --execute
#   ZDM_MODE          run: `zdm run DIR --db mysql://root@localhost/DB?socket=SOCK --yes`;
#                     client: each phases/*.forward.sql with the mariadb client
#                     (default run)
#   ZDM_RUN_FLAGS     more `zdm run` flags for ZDM_MODE=run (e.g. "--batch-ms 50-100")
#   BENCH_RATE        offered transactions a second, all sessions (default 500)
#   BENCH_CLIENTS     writer sessions (default 4)
#   BENCH_INSERT_PCT  percent of transactions that insert (default 20)
#   BENCH_SETTLE      seconds the writer runs before and after the change (default 5)
#   BENCH_MY_OPTIONS  extra server options (default: a 1G buffer pool)
#   BENCH_OUT         report and logs (default build/bench/mysql-shadow-<ROWS>)
#   ZDM, MYBENCH      the binaries (default ./zdm, build/mybench)
#
# The server is durable (innodb_flush_log_at_trx_commit=1, doublewrite on; no
# binary log, so sync_binlog does not apply), on a free loopback port with its
# own datadir, and stopped at the end. Each variant gets a freshly seeded
# database. Per variant: total time of the change, the writers' slowest
# transaction and p99 (from its scheduled start), committed throughput against
# the offered rate over the change, failed writer transactions, lost writes
# (count(*) = seeded + inserted, sum(n) = updated) and the longest stretch
# with no commit. Nothing asserts the numbers; the script fails only when
# something did not run or a write was lost. docs/benchmarks.md, "MySQL shadow
# table", says how to read them.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
abspath() { case $1 in /*) echo "$1" ;; *) echo "$top/$1" ;; esac; }
ROWS=${1:-2000000}
case $ROWS in ''|*[!0-9]*) echo "usage: $0 [ROWS]" >&2; exit 2 ;; esac
ZDM=$(abspath "${ZDM:-./zdm}")
MYBENCH=$(abspath "${MYBENCH:-build/mybench}")
VARIANTS=${BENCH_VARIANTS:-zdm ptosc}
MODE=${ZDM_MODE:-run}
RATE=${BENCH_RATE:-500}
CLIENTS=${BENCH_CLIENTS:-4}
INSERT_PCT=${BENCH_INSERT_PCT:-20}
SETTLE=${BENCH_SETTLE:-5}
MY_OPTIONS=${BENCH_MY_OPTIONS:---innodb-buffer-pool-size=1G}
OUT=$(abspath "${BENCH_OUT:-build/bench/mysql-shadow-$ROWS}")
ALTER="MODIFY COLUMN email VARCHAR(300) NOT NULL"
for b in "$ZDM" "$MYBENCH"; do
	[ -x "$b" ] || { echo "bench: $b is missing (make zdm build/mybench)" >&2; exit 2; }
done
case $MODE in run|client) ;; *) echo "bench: ZDM_MODE is run or client" >&2; exit 2 ;; esac
case " $VARIANTS " in *" ptosc "*)
	command -v pt-online-schema-change >/dev/null ||
		{ echo "bench: no pt-online-schema-change (apt-get install -y percona-toolkit)" >&2; exit 2; } ;;
esac
MARIADBD=$(command -v mariadbd 2>/dev/null || echo /usr/sbin/mariadbd)
[ -x "$MARIADBD" ] || { echo "bench: no mariadbd (apt-get install -y mariadb-server)" >&2; exit 2; }

rm -rf "$OUT"
mkdir -p "$OUT"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/zdm-myshadow.XXXXXX")
sock=$tmp/mysqld.sock
spid='' wpid=''
cleanup() {
	[ -z "$wpid" ] || { touch "$tmp/stop"; wait "$wpid" 2>/dev/null || true; }
	[ -z "$spid" ] || { kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true; }
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { printf '%s\n' "$*" >&2; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
my() { mariadb --no-defaults -S "$sock" -u root "$@"; }

port=$((20000 + $$ % 20000))
while grep -qi ":$(printf '%04X' $port) " /proc/net/tcp 2>/dev/null; do port=$((port + 1)); done
mariadb-install-db --no-defaults --datadir="$tmp/data" --user="$(id -un)" \
	--auth-root-authentication-method=normal >"$OUT/install.log" 2>&1
# shellcheck disable=SC2086 # MY_OPTIONS is a list of options
"$MARIADBD" --no-defaults --datadir="$tmp/data" --socket="$sock" --port=$port \
	--bind-address=127.0.0.1 --user="$(id -un)" --skip-grant-tables --skip-log-bin \
	--character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
	--innodb-flush-log-at-trx-commit=1 --innodb-doublewrite=1 $MY_OPTIONS \
	--pid-file="$tmp/mysqld.pid" >"$OUT/server.log" 2>&1 &
spid=$!
i=0
until mariadb-admin --no-defaults -S "$sock" ping >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -le 300 ] && kill -0 "$spid" 2>/dev/null || { say "bench: the server did not start"; cat "$OUT/server.log" >&2; exit 1; }
	sleep 0.1
done
say "bench: MariaDB $(my -N -e 'SELECT version()') on $sock"

# The plan, compiled once (the history's first file creates the table).
mkdir -p "$OUT/src"
cp bench/mysql/0001_accounts.zdm bench/mysql/0002_email_300.zdm "$OUT/src/"
(cd "$OUT/src" &&
	"$ZDM" compile 0001_accounts.zdm --target mariadb@10.11 --out ../base &&
	"$ZDM" compile 0002_email_300.zdm --target mariadb@10.11 --out ../plan) >"$OUT/compile.log" 2>&1 ||
	{ say "bench: zdm compile failed"; cat "$OUT/compile.log" >&2; exit 1; }

seed() {
	my -e "DROP DATABASE IF EXISTS \`$1\`; CREATE DATABASE \`$1\`"
	my "$1" <"$OUT/base/forward.sql" >/dev/null
	done_rows=0
	while [ $done_rows -lt "$ROWS" ]; do
		n=$((ROWS - done_rows)); [ $n -le 1000000 ] || n=1000000
		# Explicit ids: an INSERT ... SELECT reserves auto-increment values in
		# growing blocks and leaves the rest of the last one unused, so the next
		# chunk would start past a gap the writer's updates then fall into.
		my "$1" -e "INSERT INTO accounts (id, email, name) SELECT seq + $done_rows,
			CONCAT('user', seq + $done_rows, '@example.com'), CONCAT('name ', seq) FROM seq_1_to_$n"
		done_rows=$((done_rows + n))
	done
	my "$1" -e "ANALYZE TABLE accounts" >/dev/null
}

# Every variant starts from the same server state: the seed's dirty pages
# written out and the dropped database of the variant before purged.
# Without this the second variant ran while the page cleaner was still
# flushing the seed (and the first variant's leftovers): the same zdm run
# took 30.5 s first and 38.6 s second, pt-online-schema-change 27.7 s first
# and 27.0 s second.
quiesce() {
	my -e "SET GLOBAL innodb_max_dirty_pages_pct_lwm = 0, GLOBAL innodb_max_dirty_pages_pct = 0"
	i=0
	while [ $i -lt 600 ]; do
		dirty=$(my -N -e "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS
			WHERE VARIABLE_NAME = 'INNODB_BUFFER_POOL_PAGES_DIRTY'")
		hist=$(my -N -e "SELECT count FROM information_schema.INNODB_METRICS WHERE NAME = 'trx_rseg_history_len'")
		[ "${dirty:-1}" -le 100 ] && [ "${hist:-1}" -le 1000 ] && break
		sleep 0.5
		i=$((i + 1))
	done
	my -e "SET GLOBAL innodb_max_dirty_pages_pct = DEFAULT, GLOBAL innodb_max_dirty_pages_pct_lwm = DEFAULT"
	say "bench: quiet after $((i / 2)) s (dirty pages ${dirty:-?}, history ${hist:-?})"
}

change() { # VARIANT DB LOG
	case $1 in
	zdm)
		if [ "$MODE" = run ]; then
			# The plan stops (3) at its deploy checkpoint before contract:
			# the application is the same here, so contract follows at once.
			rc=0
			# shellcheck disable=SC2086 # ZDM_RUN_FLAGS is a list of flags
			"$ZDM" run "$OUT/plan" --db "mysql://root@localhost/$2?socket=$sock" --yes \
				${ZDM_RUN_FLAGS:-} >"$3" 2>&1 || rc=$?
			[ $rc = 3 ] && { "$ZDM" run "$OUT/plan" --db "mysql://root@localhost/$2?socket=$sock" \
				--phase contract --yes >>"$3" 2>&1 || rc=$?; [ $rc = 3 ] && rc=0; }
			return $rc
		else
			for f in "$OUT"/plan/phases/*.forward.sql; do
				echo "-- $f" >>"$3"
				my "$2" <"$f" >>"$3" 2>&1 || return 1
			done
		fi ;;
	ptosc)
		pt-online-schema-change --alter "$ALTER" --execute --recursion-method=none \
			--no-check-unique-key-change --progress=time,5 \
			"S=$sock,u=root,D=$2,t=accounts" >"$3" 2>&1 ;;
	*) say "bench: unknown variant $1"; return 1 ;;
	esac
}

report=$OUT/report.md
{
	echo "| variant | rows | total s | slowest ms | p99 ms | committed/offered | failed | lost | longest no-commit ms |"
	echo "|---|---|---|---|---|---|---|---|---|"
} >"$report"
status=0
for v in $VARIANTS; do
	db=bench_$v
	say "bench: $v: seeding $ROWS rows"
	seed "$db"
	quiesce
	rm -f "$tmp/stop"
	"$MYBENCH" "$sock" "$db" accounts "$tmp/stop" "$RATE" "$CLIENTS" "$ROWS" "$INSERT_PCT" \
		"$OUT/$v.tx" >"$OUT/$v.writer" 2>"$OUT/$v.writer.err" &
	wpid=$!
	sleep "$SETTLE"
	t0=$(now_ms)
	say "bench: $v: the change starts"
	ok=yes
	change "$v" "$db" "$OUT/$v.log" || { ok=no; status=1; say "bench: $v failed: $OUT/$v.log"; tail -5 "$OUT/$v.log" >&2; }
	t1=$(now_ms)
	sleep "$SETTLE"
	touch "$tmp/stop"
	wait "$wpid" || status=1
	wpid=
	start=$(sed -n 's/^start //p' "$OUT/$v.writer")
	# shellcheck disable=SC2046 # the writer's totals line, split into words
	set -- $(grep '^inserted' "$OUT/$v.writer")
	ins=$2 upd=$4
	cnt=$(my -N "$db" -e "SELECT count(*) FROM accounts")
	sum=$(my -N "$db" -e "SELECT coalesce(sum(n), 0) FROM accounts")
	lost=$(( (ROWS + ins - cnt) + (upd - sum) ))
	[ "$lost" = 0 ] || { status=1; say "bench: $v: lost writes: $cnt rows (expected $((ROWS + ins))), sum $sum (expected $upd)"; }
	typ=$(my -N "$db" -e "SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'accounts' AND COLUMN_NAME = 'email'")
	[ "$typ" = "varchar(300)" ] || { ok=no; status=1; say "bench: $v: email is $typ, not varchar(300)"; }
	w0=$((t0 - start)) w1=$((t1 - start))
	# shellcheck disable=SC2046 # the analysis line, split into words
	set -- $(sort -n -k2 "$OUT/$v.tx" | awk -v W0=$w0 -v W1=$w1 -f bench/mysql/analyse.awk)
	offered=$2 committed=$4 failed=$6 stall=$8
	awk -v W0=$w0 -v W1=$w1 '$1 >= W0 && $1 <= W1 { print $2 - $1 }' "$OUT/$v.tx" | sort -n >"$OUT/$v.lat"
	n=$(wc -l <"$OUT/$v.lat")
	p99=$(sed -n "$(( n * 99 / 100 > 0 ? n * 99 / 100 : 1 ))p" "$OUT/$v.lat")
	max=$(tail -n 1 "$OUT/$v.lat")
	secs=$(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.1f", (b - a) / 1000 }')
	pct=$(awk -v c="$committed" -v o="$offered" 'BEGIN { printf "%.0f%%", o ? 100 * c / o : 0 }')
	label=$v; [ "$v" = zdm ] && label="zdm ($MODE${ZDM_RUN_FLAGS:+ $ZDM_RUN_FLAGS})"; [ $ok = yes ] || label="$label (FAILED)"
	printf '| %s | %s | %s | %.0f | %.0f | %s (%s/%s) | %s | %s | %s |\n' "$label" "$ROWS" "$secs" \
		"${max:-0}" "${p99:-0}" "$pct" "$committed" "$offered" "$failed" "$lost" "$stall" >>"$report"
	# zdm's state goes too, so a variant named twice runs its plan afresh.
	my -e "DROP DATABASE \`$db\`; DROP DATABASE IF EXISTS zdm"
done
echo
cat "$report"
echo
echo "Offered: $RATE tx/s from $CLIENTS sessions ($INSERT_PCT% inserts); logs in $OUT."
exit $status
