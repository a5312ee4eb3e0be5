# Install (if needed) and start a throw-away PostgreSQL cluster on 127.0.0.1:54329.
# Sets DIGESTBOT_TEST_POSTGRES_URL. Sourced by .ci/run; usable by developers as root too.

PG_PORT=54329
PG_DATA=/tmp/digestbot-pg

start_postgres() {
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    local bin
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    if ! su postgres -c "$bin/pg_ctl -D $PG_DATA status" >/dev/null 2>&1; then
        rm -rf "$PG_DATA"
        install -d -o postgres -g postgres "$PG_DATA"
        su postgres -c "$bin/initdb -D $PG_DATA -A trust -U postgres --no-sync" >/dev/null 2>&1 || { echo "initdb failed" >&2; return 1; }
        su postgres -c "$bin/pg_ctl -D $PG_DATA -l $PG_DATA/server.log -o '-p $PG_PORT -k /tmp -c listen_addresses=127.0.0.1' -w start" >/dev/null
    fi
    su postgres -c "psql -h 127.0.0.1 -p $PG_PORT -tAc \"SELECT 1 FROM pg_database WHERE datname='digestbot_test'\"" | grep -q 1 \
        || su postgres -c "createdb -h 127.0.0.1 -p $PG_PORT digestbot_test"
    DIGESTBOT_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/digestbot_test"
}
