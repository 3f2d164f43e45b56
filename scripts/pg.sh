#!/usr/bin/env bash
# A throwaway PostgreSQL on a Unix socket in a directory of its own, for the
# tests and the demo.  PostgreSQL refuses to run as root, so as root the
# cluster belongs to the "postgres" user (created by Debian's package).
#
#   scripts/pg.sh start DIR     initdb into DIR/data (if needed) and start it;
#                               prints the libpq conninfo on stdout
#   scripts/pg.sh stop DIR      stop it (fast shutdown)
#   scripts/pg.sh kill DIR      stop it at once (immediate shutdown)
#   scripts/pg.sh conninfo DIR  print the conninfo
set -eu

pg_bindir() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$d" ] || [ ! -x "$d/initdb" ]; then
		echo "pg.sh: no PostgreSQL server found (apt-get install postgresql)" >&2
		exit 1
	fi
	echo "$d"
}

# Runs a command as the cluster's owner.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: pg.sh start|stop|kill|conninfo DIR" >&2; exit 2; }
owner=$(id -un)
[ "$(id -u)" -eq 0 ] && owner=postgres

case "$cmd" in
start)
	bin=$(pg_bindir)
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres "$dir"
		chmod 755 "$dir"
	fi
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as_owner "$bin/initdb" -D "$dir/data" -A trust -U "$owner" \
		    --no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
		    { cat "$dir/initdb.log" >&2; exit 1; }
	fi
	as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
	    -o "-k $dir -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50" \
	    start >/dev/null || { cat "$dir/postgres.log" >&2; exit 1; }
	echo "host=$dir user=$owner dbname=postgres"
	;;
stop)
	bin=$(pg_bindir)
	[ -f "$dir/data/postmaster.pid" ] || exit 0
	as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
	;;
kill)
	bin=$(pg_bindir)
	[ -f "$dir/data/postmaster.pid" ] || exit 0
	as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop >/dev/null
	;;
conninfo)
	dir=$(cd "$dir" && pwd)
	echo "host=$dir user=$owner dbname=postgres"
	;;
*)
	echo "usage: pg.sh start|stop|kill|conninfo DIR" >&2
	exit 2
	;;
esac
