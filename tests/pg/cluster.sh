#!/bin/sh
# cluster.sh - a throwaway PostgreSQL cluster for the tests.
#
#   tests/pg/cluster.sh start [DIR]   initdb + start on a free loopback port;
#                                     writes DIR/env (PGHOST PGPORT PGUSER PGBIN)
#   tests/pg/cluster.sh stop  [DIR]   stop the server and remove DIR
#   tests/pg/cluster.sh env   [DIR]   print DIR/env (". DIR/env" to use it)
#
# DIR defaults to $ZDM_PG_DIR, else /tmp/zdm-pg-$(id -u). The server listens on
# 127.0.0.1 only (trust auth), from port 55440 upward (ZDM_PG_PORT overrides
# the first port tried), with its unix socket in DIR and fsync off
# (ZDM_PG_EXTRA_OPTIONS, e.g. "-c fsync=on", is added last and wins; bench/
# uses it to measure with a durable server). Server
# binaries: $ZDM_PG_BINDIR, else /usr/lib/postgresql/15/bin, else
# `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin. initdb
# refuses to run as root, so as root the server runs as the `postgres` user.
set -u

cmd=${1:-}
dir=${2:-${ZDM_PG_DIR:-/tmp/zdm-pg-$(id -u)}}

die() { echo "cluster.sh: $*" >&2; exit 1; }

find_bindir() {
	if [ -n "${ZDM_PG_BINDIR:-}" ]; then
		[ -x "$ZDM_PG_BINDIR/initdb" ] && echo "$ZDM_PG_BINDIR"
		return
	fi
	for d in /usr/lib/postgresql/15/bin \
	         "$(pg_config --bindir 2>/dev/null)" \
	         "$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n | tail -n 1)"; do
		[ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ] &&
			{ echo "$d"; return 0; }
	done
	return 1
}

# Runs a server command as the cluster's owner.
as_owner() {
	if [ "$(id -u)" = 0 ]; then
		if command -v runuser >/dev/null 2>&1; then
			runuser -u postgres -- "$@"
		else
			su postgres -s /bin/sh -c '"$0" "$@"' "$@"
		fi
	else
		"$@"
	fi
}

port_busy() {
	# Anything answering on the port (a PostgreSQL or not) makes it busy.
	"$bindir/pg_isready" -q -h 127.0.0.1 -p "$1" -t 1 >/dev/null 2>&1
	[ $? -ne 2 ]
}

start() {
	bindir=$(find_bindir) || die "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found; install postgresql-15"
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user to own the cluster"
	fi
	if [ -f "$dir/env" ]; then
		. "$dir/env"
		"$bindir/pg_isready" -q -h "$PGHOST" -p "$PGPORT" -t 2 && { echo "$dir"; return 0; }
		stop_cluster
	fi
	mkdir -p "$dir" || die "cannot create $dir"
	chmod 700 "$dir"
	[ "$(id -u)" = 0 ] && chown postgres: "$dir"
	as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
		--locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; die "initdb failed"; }
	printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$dir/hba"
	[ "$(id -u)" = 0 ] && chown postgres: "$dir/hba"
	as_owner cp "$dir/hba" "$dir/data/pg_hba.conf"

	port=${ZDM_PG_PORT:-55440}
	last=$((port + 60))
	while [ "$port" -le "$last" ]; do
		if ! port_busy "$port"; then
			if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
				-o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir' \
				    -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
				    -c max_connections=60 -c log_min_messages=warning \
				    -c log_lock_waits=on -c deadlock_timeout=500ms ${ZDM_PG_EXTRA_OPTIONS:-}" \
				start >"$dir/pg_ctl.log" 2>&1; then
				cat >"$dir/env" <<EOF
PGHOST=127.0.0.1; export PGHOST
PGPORT=$port; export PGPORT
PGUSER=postgres; export PGUSER
PGDATABASE=postgres; export PGDATABASE
PGBIN=$bindir; export PGBIN
EOF
				echo "$dir"
				return 0
			fi
			# Lost a race for the port, or a real failure: look at the log.
			grep -q 'could not bind\|Address already in use' "$dir/server.log" 2>/dev/null ||
				{ cat "$dir/pg_ctl.log" "$dir/server.log" >&2 2>/dev/null; die "server did not start"; }
		fi
		port=$((port + 1))
	done
	die "no free port in ${ZDM_PG_PORT:-55440}..$last"
}

stop_cluster() {
	if [ -d "$dir/data" ]; then
		bindir=${bindir:-$(find_bindir)} || bindir=
		[ -n "$bindir" ] &&
			as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1
	fi
	case $dir in
	/|"") die "refusing to remove '$dir'" ;;
	esac
	rm -rf "$dir"
}

case $cmd in
start) start ;;
stop) stop_cluster ;;
env) cat "$dir/env" || die "no cluster in $dir (start one first)" ;;
*) echo "usage: $0 start|stop|env [DIR]" >&2; exit 2 ;;
esac
