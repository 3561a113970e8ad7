#!/bin/sh
# examples/demo.sh - `make demo`: the headline migration compiled for
# PostgreSQL and for SQLite, then run for real on a small SQLite database.
#
# Compiles examples/headline/0002_email_normalized.zdm (its history,
# 0001_users.zdm, sits beside it) for postgres@15 and for sqlite into
# zdm-out/0002_email_normalized/, shows the two plans one after the other,
# then makes zdm-out/demo/demo.db (the history run with `zdm run`, 2000 users
# seeded), runs the migration on it with `zdm run --db sqlite:...` (it stops
# at the deploy checkpoint; the demo then names the contract phase, as an
# operator would once the new application is deployed) and shows the schema
# and a few rows before and after. No server; a few seconds.
# Needs the zdm binary (ZDM, default ./zdm) and the sqlite3 shell (to seed and
# to show the schema).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
ZDM=${ZDM:-./zdm}
case $ZDM in /*) ;; *) ZDM=$top/$ZDM ;; esac
src=examples/headline/0002_email_normalized.zdm
hist=examples/headline/0001_users.zdm
out=${ZDM_DEMO_OUT:-zdm-out} # tests/examples/run points it at a scratch directory
base=$out/0002_email_normalized
work=$out/demo

[ -x "$ZDM" ] || { echo "demo: no zdm binary at $ZDM (run: make)" >&2; exit 2; }
command -v sqlite3 >/dev/null 2>&1 ||
	{ echo "demo: needs the sqlite3 shell (sudo apt-get install -y sqlite3)" >&2; exit 2; }

rule() { printf '\n== %s ==\n\n' "$1"; }
# The plan table of a plan.md (the first table under a heading naming the plan).
plan_table() {
	awk '/^#/ && tolower($0) ~ /plan/ { want = 1 }
		want && /^\|/ { print; seen = 1; next } seen { exit }' "$1"
}
schema() {
	sqlite3 "$1" "SELECT sql || ';' FROM sqlite_schema WHERE name NOT LIKE 'zdm\_%' ESCAPE '\'
		AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND sql IS NOT NULL ORDER BY type DESC, name"
}

rule "The migration: $src (history: $hist)"
cat "$src"

for t in postgres@15 sqlite; do
	rule "zdm compile $src --target $t --out $base/$t"
	rm -rf "$base/$t"
	"$ZDM" compile "$src" --target "$t" --out "$base/$t"
	echo "The plan for $t ($base/$t/plan.md):"
	echo
	plan_table "$base/$t/plan.md"
done

rule "A SQLite database with the history: $work/demo.db"
rm -rf "$work" && mkdir -p "$work"
"$ZDM" compile "$hist" --target sqlite --out "$work/0001_users" >/dev/null
: >"$work/demo.db" # an empty file is an empty SQLite database
"$ZDM" run "$work/0001_users" --db "sqlite:$work/demo.db"
sqlite3 "$work/demo.db" "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 2000)
	INSERT INTO users (email, name, created_at)
	SELECT '  User' || i || '@Example.COM ', 'user ' || i, '2024-01-01' FROM g"
echo "2000 users seeded. The schema before:"
echo
schema "$work/demo.db"

rule "zdm run $base/sqlite --db sqlite:$work/demo.db"
rc=0
"$ZDM" run "$base/sqlite" --db "sqlite:$work/demo.db" || rc=$?
[ "$rc" = 3 ] || { echo "demo: zdm run exited with $rc (3, stopped at the checkpoint, was expected)" >&2; exit 1; }
echo
echo "(Here the application that writes email_normalized would be deployed.)"

rule "zdm run $base/sqlite --db sqlite:$work/demo.db --phase contract"
"$ZDM" run "$base/sqlite" --db "sqlite:$work/demo.db" --phase contract

rule "zdm status $base/sqlite --db sqlite:$work/demo.db"
"$ZDM" status "$base/sqlite" --db "sqlite:$work/demo.db"

rule "The schema after"
schema "$work/demo.db"
echo
sqlite3 -header -column "$work/demo.db" "SELECT id, email, email_normalized FROM users WHERE id <= 3"

rule "Next"
cat <<MSG
  The plans are in $base/{postgres@15,sqlite}/ (plan.md first).
  The same run on PostgreSQL:   zdm run $base/postgres@15 --db postgres://...
  Undo it from wherever it is:  zdm rollback $base/sqlite --db sqlite:$work/demo.db --yes
MSG
