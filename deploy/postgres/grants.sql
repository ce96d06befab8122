-- Appeal Ledger on PostgreSQL: privileges on the tables, after the owner
-- has created them (`appeals init`). Run by a superuser (or the owner) with
-- psql, connected to the database, after roles.sql and after every upgrade;
-- deploy/postgres/setup.sh does. Same psql variables as roles.sql.

\set ON_ERROR_STOP on

-- The service reads and writes every table: projections and their tracking,
-- ticket counters, calendars, tokens, audit checkpoints, the webhook outbox.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA :"schema" TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA :"schema" TO :"app";
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA :"schema" FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA :"schema" TO :"app";

-- The event log is appended to and read, never changed: no UPDATE, DELETE
-- or TRUNCATE for the service (the events are inserted, under the table
-- lock that keeps commit order equal to log order, by the owner's function
-- appeals_insert_events_locked: SECURITY DEFINER, EXECUTE for the service
-- only). Snapshots are written once each, like events.
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER
    ON :"schema".appeals_events, :"schema".appeals_snapshots FROM :"app";

-- Reporting reads everything but the secrets.
GRANT SELECT ON ALL TABLES IN SCHEMA :"schema" TO :"reporting";
REVOKE SELECT ON :"schema".api_tokens, :"schema".webhook_subscribers FROM :"reporting";

-- Refuse to finish if the service could still change the log.
SELECT set_config('appeals.setup_app', :'app', false),
       set_config('appeals.setup_schema', :'schema', false) \g /dev/null
DO $$
DECLARE
    app text := current_setting('appeals.setup_app');
    log text := format('%I.appeals_events', current_setting('appeals.setup_schema'));
BEGIN
    IF has_table_privilege(app, log, 'UPDATE, DELETE, TRUNCATE') THEN
        RAISE EXCEPTION 'the role % may still change the event log %', app, log;
    END IF;
END $$;
