#!/usr/bin/env bash
# Sets Appeal Ledger up on a PostgreSQL server with least-privilege roles
# (docs/operations.md, "PostgreSQL roles"), in three steps, each safe to run
# again (run it again after every upgrade):
#
#   1. roles.sql, as a superuser: the roles, the database, its schema and
#      the default privileges;
#   2. `appeals init` as the owner role: every table;
#   3. grants.sql, as a superuser: the service may read and write every
#      table but only INSERT and SELECT the event log; reporting reads.
#
# On a Debian server, as root:
#   sudo -u postgres env APPEALS=/opt/appeals/venv/bin/appeals \
#       /opt/appeals/src/deploy/postgres/setup.sh
#
# The superuser connection is libpq's own (PGHOST, PGPORT, PGUSER,
# PGPASSWORD; by default the local socket as the user running this). Other
# settings, with their defaults:
#   APPEALS                        the appeals command (appeals on PATH)
#   APPEALS_PG_DATABASE            appeals
#   APPEALS_PG_SCHEMA              appeals
#   APPEALS_PG_ROLE_PREFIX         appeals  (appeals_owner, appeals_app,
#                                            appeals_reporting)
#   APPEALS_PG_HOST, APPEALS_PG_PORT   where the roles connect: 127.0.0.1,
#                                      $PGPORT or 5432
#   APPEALS_OWNER_PASSWORD, APPEALS_APP_PASSWORD, APPEALS_REPORTING_PASSWORD
#                                  made at random when unset
# At the end it prints the three roles' APPEALS_DATABASE_URL values, with
# their passwords: put the app's into the service's environment file.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
appeals="${APPEALS:-appeals}"
database="${APPEALS_PG_DATABASE:-appeals}"
schema="${APPEALS_PG_SCHEMA:-appeals}"
prefix="${APPEALS_PG_ROLE_PREFIX:-appeals}"
host="${APPEALS_PG_HOST:-127.0.0.1}"
port="${APPEALS_PG_PORT:-${PGPORT:-5432}}"
owner="${prefix}_owner" app="${prefix}_app" reporting="${prefix}_reporting"

secret() { python3 -c 'import secrets; print(secrets.token_hex(24))'; }
owner_password="${APPEALS_OWNER_PASSWORD:-$(secret)}"
app_password="${APPEALS_APP_PASSWORD:-$(secret)}"
reporting_password="${APPEALS_REPORTING_PASSWORD:-$(secret)}"

url() { # role password -> postgresql://role:password@host:port/database?schema=
    python3 - "$1" "$2" "$host" "$port" "$database" "$schema" <<'PY'
import sys
from urllib.parse import quote
role, password, host, port, database, schema = sys.argv[1:]
user = f"{quote(role, safe='')}:{quote(password, safe='')}"
if host.startswith("/"):  # a unix socket's directory
    print(f"postgresql://{user}@:{port}/{quote(database, safe='')}"
          f"?host={quote(host, safe='')}&schema={schema}")
else:
    host = f"[{host}]" if ":" in host else host
    print(f"postgresql://{user}@{host}:{port}/{quote(database, safe='')}?schema={schema}")
PY
}

cd /   # the postgres user may not read the caller's directory
variables=(-v db="$database" -v schema="$schema" -v owner="$owner" -v app="$app"
           -v reporting="$reporting")

echo "1/3 roles $owner, $app, $reporting; database $database, schema $schema" >&2
psql -X -q -v ON_ERROR_STOP=1 -d "${PGDATABASE:-postgres}" "${variables[@]}" \
    -v owner_password="$owner_password" -v app_password="$app_password" \
    -v reporting_password="$reporting_password" -f "$here/roles.sql"

echo "2/3 tables, created by $owner" >&2
APPEALS_DATABASE_URL="$(url "$owner" "$owner_password")" APPEALS_CREATE_TABLES=1 \
    "$appeals" init

echo "3/3 privileges on the tables" >&2
psql -X -q -v ON_ERROR_STOP=1 -d "$database" "${variables[@]}" -f "$here/grants.sql"

echo "done. APPEALS_DATABASE_URL for each role (the service's goes into its environment file):" >&2
echo "owner=$(url "$owner" "$owner_password")"
echo "app=$(url "$app" "$app_password")"
echo "reporting=$(url "$reporting" "$reporting_password")"
