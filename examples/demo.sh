#!/bin/sh
# examples/demo.sh - `make demo`: the headline migration, compiled and shown.
#
# Compiles examples/headline/0002_email_normalized.zdm (its history,
# 0001_users.zdm, sits beside it) for PostgreSQL 15 into
# zdm-out/0002_email_normalized/postgres@15 and walks through the result.
# Needs only the zdm binary (ZDM, default ./zdm); no database server.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
ZDM=${ZDM:-./zdm}
src=examples/headline/0002_email_normalized.zdm
target=${TARGET:-postgres@15}
out=zdm-out/0002_email_normalized/$target

[ -x "$ZDM" ] || { echo "demo: no zdm binary at $ZDM (run: make)" >&2; exit 2; }

rule() { printf '\n== %s ==\n\n' "$1"; }
shorten() { # FILE LINES
	n=$(wc -l <"$1")
	sed -n "1,$2p" "$1"
	[ "$n" -le "$2" ] || echo "... ($((n - $2)) more lines in $1)"
}

rule "The migration: $src (history: examples/headline/0001_users.zdm)"
cat "$src"

rule "zdm compile $src --target $target --out $out"
rm -rf "$out"
"$ZDM" compile "$src" --target "$target" --out "$out"
(cd "$out" && find . -type f | sed 's|^\./||' | sort | while read -r f; do
	printf '  %-40s %5d lines\n' "$f" "$(wc -l <"$f")"
done)

rule "The plan (from $out/plan.md)"
# The first table under a heading that names the plan, else the first table.
table=$(awk '/^#/ && tolower($0) ~ /plan/ { want = 1 }
	want && /^\|/ { print; seen = 1; next } seen { exit }' "$out/plan.md")
[ -n "$table" ] || table=$(awk '/^\|/ { print; seen = 1; next } seen { exit }' "$out/plan.md")
if [ -n "$table" ]; then echo "$table"; else shorten "$out/plan.md" 40; fi

rule "The phases: deploy the application between them"
for f in "$out"/phases/*.forward.sql; do
	b=$(basename "$f" .forward.sql)
	printf '  %-16s forward: %-36s rollback: %s\n' "$b" "phases/$b.forward.sql" "phases/$b.rollback.sql"
done

rule "forward.sql: the steps (its comment lines), then its first lines"
grep -E '^-- (====|step )|^--   lock:' "$out/forward.sql" || true
echo
shorten "$out/forward.sql" 40

rule "Next"
cat <<MSG
  Everything is in $out/.
  Read plan.md: plan, forward, rollback, verification, risks, runbook.
  To run it on a database:
    psql -v ON_ERROR_STOP=1 -f $out/verify_pre.sql
    psql -v ON_ERROR_STOP=1 -f $out/forward.sql      # or phase by phase
    psql -v ON_ERROR_STOP=1 -f $out/verify_post.sql
  and, to undo it from wherever it stopped:
    psql -v ON_ERROR_STOP=1 -f $out/rollback.sql
MSG
