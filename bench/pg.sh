# bench/pg.sh - sourced by the PostgreSQL benchmarks: starts their throwaway
# server, durable as in production (the test clusters run with fsync,
# synchronous_commit and full_page_writes off, which flatters every commit
# and every checkpoint). BENCH_PG_OPTIONS overrides the options.
#
#   bench_pg_start CLUSTER_DIR LOG   starts it and sources its env (PGBIN, ...)
bench_pg_start() {
	ZDM_PG_EXTRA_OPTIONS=${BENCH_PG_OPTIONS--c fsync=on -c synchronous_commit=on -c full_page_writes=on}
	export ZDM_PG_EXTRA_OPTIONS
	sh tests/pg/cluster.sh start "$1" >"$2" 2>&1 ||
		{ cat "$2" >&2; echo "bench: cannot start PostgreSQL" >&2; exit 2; }
	. "$1/env"
	PGOPTIONS='-c statement_timeout=0'
	export PGOPTIONS
}
