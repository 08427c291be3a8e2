#!/usr/bin/env bash
# Installs (when missing) and starts a local PostgreSQL 15 with the pgvector extension for
# whybot's tests and benchmarks, then prints the TEST_DATABASE_URL to use.
#
# Debian bookworm ships no pgvector binary package, so pgvector is built from Debian trixie's
# source package (0.8.x) against bookworm's postgresql-server-dev-15, with upstream's compiler
# flags (Debian's only patch drops -march=native, which a portable package needs and a build
# for this machine does not). Idempotent: a second run
# only (re)starts the server. Needs root for apt; the server itself runs as the postgres user.
#
#   eval "$(bash deploy/postgres.sh)"   # exports TEST_DATABASE_URL
#
# Settings: WHYBOT_PG_DIR (data folder, default /var/tmp/whybot-pg), WHYBOT_PG_PORT (55432).
set -euo pipefail

PGVER=15
PGBIN=/usr/lib/postgresql/$PGVER/bin
DATA=${WHYBOT_PG_DIR:-/var/tmp/whybot-pg}
PORT=${WHYBOT_PG_PORT:-55432}
log() { echo "postgres.sh: $*" >&2; }

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=
apt_update() { [ -n "$apt_updated" ] || { sudo_ apt-get update -qq >&2; apt_updated=1; }; }

if [ ! -x "$PGBIN/postgres" ]; then
	log "installing postgresql-$PGVER"
	apt_update
	sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-$PGVER" >&2
fi

if [ ! -f "/usr/share/postgresql/$PGVER/extension/vector.control" ]; then
	log "building pgvector from Debian trixie's source package"
	src=/etc/apt/sources.list.d/whybot-trixie-src.sources
	if [ ! -f "$src" ]; then
		# the mirror apt already uses
		mirror=$({ grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources || true; } | awk '{print $2}' | grep -v security | head -1 || true)
		mirror=${mirror:-http://deb.debian.org/debian}
		sudo_ tee "$src" >/dev/null <<SRC
Types: deb-src
URIs: ${mirror%/}
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
		apt_updated=
	fi
	apt_update
	sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-server-dev-$PGVER" build-essential dpkg-dev >&2
	work=$(mktemp -d) && chmod 755 "$work"
	(cd "$work" && apt-get source -qq --download-only pgvector >&2 && dpkg-source -x --no-check --skip-patches pgvector_*.dsc src >&2)
	make -s -C "$work/src" PG_CONFIG="$PGBIN/pg_config" >&2
	sudo_ make -s -C "$work/src" PG_CONFIG="$PGBIN/pg_config" install >&2
	rm -rf "$work"
fi

as_pg() { if [ "$(id -un)" = postgres ]; then "$@"; elif [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }

if [ ! -f "$DATA/PG_VERSION" ]; then
	log "initialising a cluster in $DATA"
	sudo_ mkdir -p "$DATA"
	sudo_ chown postgres:postgres "$DATA"
	as_pg "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
	cat <<CONF | as_pg tee -a "$DATA/postgresql.conf" >/dev/null
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DATA'
max_connections = 300
shared_buffers = 2GB
maintenance_work_mem = 512MB
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
fi

# Settings added since clusters were first made here: a search index is built by the leader
# and one worker per other core (more processes than cores only contend), and the shared
# buffers are mapped with huge pages when the kernel has them (PostgreSQL's advice for large
# shared_buffers: a search walks thousands of pages, and 4 kB pages cost a TLB miss each).
cores=$(nproc)
for setting in "max_parallel_maintenance_workers = $((cores > 1 ? cores - 1 : 0))" "huge_pages = try"; do
	grep -q "^${setting%% =*} =" "$DATA/postgresql.conf" || echo "$setting" | as_pg tee -a "$DATA/postgresql.conf" >/dev/null
done

if ! as_pg "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
	# as root, reserve the huge pages the server's shared memory needs, where the kernel lets
	# us and they take at most a quarter of the memory; without them it uses normal pages
	pages=$(as_pg "$PGBIN/postgres" -D "$DATA" -C shared_memory_size_in_huge_pages 2>/dev/null || echo 0)
	have=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
	mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
	if [ "$(id -u)" = 0 ] && [ "$pages" -gt "$have" ] && [ $((pages * 2048 * 4)) -le "${mem_kb:-0}" ] &&
		echo "$pages" >/proc/sys/vm/nr_hugepages 2>/dev/null; then
		log "reserved $(cat /proc/sys/vm/nr_hugepages) huge pages of the $pages the shared buffers need"
	fi
	log "starting PostgreSQL on 127.0.0.1:$PORT"
	as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 start >/dev/null
fi

psql_() { as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DATA" -p "$PORT" -U postgres "$@"; }
if ! psql_ -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'whybot_test'" | grep -q 1; then
	psql_ -d postgres -c "CREATE DATABASE whybot_test"
fi
psql_ -d whybot_test -c "CREATE EXTENSION IF NOT EXISTS vector"
log "pgvector $(psql_ -d whybot_test -tAc "SELECT extversion FROM pg_extension WHERE extname = 'vector'") ready"
echo "export TEST_DATABASE_URL='postgres://postgres@127.0.0.1:$PORT/whybot_test?sslmode=disable'"
