#!/bin/sh
# bench/compile.sh - compile time and peak memory of zdm on big migrations.
#
#   ZDM=./zdm sh bench/compile.sh          (make bench)
#
#   BENCH_STATEMENTS  the sizes to try (default "250 500 1000 2000 4000")
#   BENCH_OUT         where the table goes too (default build/bench/compile.md)
#
# For each size N it writes a history of N/10 tables (0001, create table) and
# a migration of N statements (0002): ten changes per table - nullable and
# defaulted ADD COLUMNs, a backfill, SET NOT NULL, CREATE [UNIQUE] INDEX, a
# DROP INDEX of an index the history made - and times
# `zdm compile 0002_big.zdm --target postgres@15` (which replays the history
# too) with /usr/bin/time -v: wall clock, max RSS, and the output's size.
# Nothing asserts the numbers.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
ZDM=${ZDM:-./zdm}
case $ZDM in /*) ;; *) ZDM=$top/$ZDM ;; esac
SIZES=${BENCH_STATEMENTS:-250 500 1000 2000 4000}
OUT=${BENCH_OUT:-build/bench/compile.md}
case $OUT in /*) ;; *) OUT=$top/$OUT ;; esac
[ -x "$ZDM" ] || { echo "bench: no zdm at $ZDM (make zdm)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/zdm-bench-compile.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

gen() { # N DIR
	awk -v n="$1" -v dir="$2" 'BEGIN {
		tables = int(n / 10); if (tables < 1) tables = 1
		h = dir "/0001_base.zdm"; m = dir "/0002_big.zdm"
		print "migration '\''Benchmark baseline: " tables " tables'\'';" > h
		for (t = 1; t <= tables; t++) {
			printf "\ncreate table t%d (\n    id bigint generated always as identity primary key,\n", t > h
			printf "    name text not null,\n    n int not null default 0,\n    created_at timestamptz not null default (now())\n);\n", t > h
			printf "create index t%d_created on t%d (created_at);\n", t, t > h
		}
		print "migration '\''Benchmark: " n " statements'\'';" > m
		for (t = 1; t <= tables; t++) printf "assume t%d has 1M rows;\n", t > m
		k = 0
		for (t = 1; t <= tables && k < n; t++) {
			s[1] = sprintf("alter table t%d add column a text;", t)
			s[2] = sprintf("alter table t%d add column b int not null default 0;", t)
			s[3] = sprintf("alter table t%d add column c varchar(40);", t)
			s[4] = sprintf("backfill t%d set a = (lower(name)) batch 5000;", t)
			s[5] = sprintf("alter table t%d alter column a set not null;", t)
			s[6] = sprintf("create unique index t%d_a on t%d (a);", t, t)
			s[7] = sprintf("create index t%d_b on t%d (b) where (b > 0);", t, t)
			s[8] = sprintf("create index t%d_lower on t%d ((lower(c)));", t, t)
			s[9] = sprintf("drop index t%d_created;", t)
			s[10] = sprintf("create index t%d_n_created on t%d (n, created_at desc);", t, t)
			for (i = 1; i <= 10 && k < n; i++) { print s[i] > m; k++ }
		}
	}'
}

say() { printf '%s\n' "$*" >&2; }
rows=
for n in $SIZES; do
	d=$tmp/n$n
	mkdir -p "$d"
	gen "$n" "$d"
	if ! (cd "$d" && /usr/bin/time -v "$ZDM" compile 0002_big.zdm --target postgres@15 --out out) \
		>"$d/stdout" 2>"$d/time"; then
		cat "$d/stdout" "$d/time" | head -20 >&2
		exit 1
	fi
	wall=$(sed -n 's/.*Elapsed (wall clock).*): //p' "$d/time" |
		awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f\n", s }')
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$d/time")
	user=$(sed -n 's/.*User time (seconds): //p' "$d/time")
	steps=$(grep -c '^-- step ' "$d/out/forward.sql" || true)
	size=$(du -sk "$d/out" | cut -f1)
	say "$(printf '%5d statements: %6s s wall, %6s s user, max RSS %7s KB, %5d steps, output %6s KB' \
		"$n" "$wall" "$user" "$rss" "$steps" "$size")"
	rows="$rows| $n | $((n / 10)) | $steps | $wall | $user | $rss | $size |
"
done

mkdir -p "$(dirname "$OUT")"
{
	echo "zdm compile --target postgres@15, $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)),"
	echo "$(date -u +%Y-%m-%d), bench/compile.sh"
	echo
	echo "| statements | history tables | steps | wall s | user s | max RSS KB | output KB |"
	echo "|---:|---:|---:|---:|---:|---:|---:|"
	printf '%s' "$rows"
} >"$OUT"
echo
cat "$OUT"
echo
echo "# written to $OUT"
