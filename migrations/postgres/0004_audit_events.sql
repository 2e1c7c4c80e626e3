-- The audit trail when it is kept in the database (`audit.table: true`): one
-- row per event, in the order they were recorded. Rows can be added, never
-- changed or removed through SQL: an operator who must prune old rows drops
-- the trigger for that maintenance and says so.

CREATE TABLE audit_events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         BIGINT NOT NULL,
    action     TEXT   NOT NULL,
    client_id  TEXT   NOT NULL,
    method     TEXT   NOT NULL,
    peer       TEXT,
    request_id TEXT,
    outcome    TEXT   NOT NULL,
    detail     TEXT   NOT NULL
);

CREATE INDEX audit_events_by_client ON audit_events (client_id, id);

CREATE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;

CREATE TRIGGER audit_events_append_only
BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
