-- Appeal Ledger on PostgreSQL: the database, its schema and three roles with
-- the least privilege each needs (docs/operations.md, "PostgreSQL roles").
-- Run by a superuser with psql; deploy/postgres/setup.sh does, with the
-- variables below. Safe to run again: what exists is kept, passwords reset.
--
--   owner      owns the schema and creates the tables (`appeals init`, an
--              upgrade, `appeals projections rebuild`); the service never
--              runs as it
--   app        the service (`appeals serve`, the projection worker, the
--              scheduler, the webhook outbox, `appeals tokens ...`): reads
--              and writes every table, but may only INSERT and SELECT the
--              event log (deploy/postgres/grants.sql takes the rest away)
--   reporting  read-only: SELECT on the log and the views, never the
--              token digests or the webhook secrets
--
-- psql variables: db, schema, owner, app, reporting, owner_password,
-- app_password, reporting_password.

\set ON_ERROR_STOP on

SELECT format('CREATE ROLE %I LOGIN', name)
  FROM unnest(ARRAY[:'owner', :'app', :'reporting']) AS name
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = name)
\gexec
ALTER ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
ALTER ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
ALTER ROLE :"reporting" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'reporting_password';
-- Long reports must not hold the database up; the service sets its own.
ALTER ROLE :"reporting" SET default_transaction_read_only = on;
ALTER ROLE :"reporting" SET statement_timeout = '5min';
-- The service appends under an EXCLUSIVE lock on the log; autovacuum's
-- analysis of the log (eventsourcing asks for it every 1% of new rows)
-- holds a lock that one conflicts with, and is cancelled only when a waiting
-- session's deadlock check runs, deadlock_timeout after it began to wait:
-- every command stalls that long, a second by default (docs/operations.md).
ALTER ROLE :"app" SET deadlock_timeout = '100ms';

SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0',
              :'db', :'owner', 'UTF8')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')
\gexec
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"app", :"reporting";

\connect :"db"

-- Nobody but the owner creates anything here (PostgreSQL 14 and older let
-- every role create tables in the public schema).
REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS :"schema" AUTHORIZATION :"owner";
ALTER SCHEMA :"schema" OWNER TO :"owner";
REVOKE ALL ON SCHEMA :"schema" FROM PUBLIC;
GRANT USAGE ON SCHEMA :"schema" TO :"app", :"reporting";

-- Tables the owner creates later (a view rebuilt into a fresh copy, a new
-- release's tables) are the service's to read and write, and the reporting
-- role's to read; grants.sql then narrows the event log to INSERT, SELECT.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA :"schema"
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA :"schema"
  GRANT SELECT ON TABLES TO :"reporting";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA :"schema"
  GRANT USAGE, SELECT ON SEQUENCES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA :"schema"
  GRANT EXECUTE ON FUNCTIONS TO :"app";
