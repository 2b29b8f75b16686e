-- The append-only audit trail: who did what to which entity, before and after, in which request.
-- Every later feature writes here in the same transaction as its state change.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_type  text NOT NULL CHECK (actor_type IN ('partner_client', 'programme_client', 'system', 'public')),
    actor_id    text,
    partner_id  text,
    action      text NOT NULL CHECK (action <> ''),
    entity_type text NOT NULL CHECK (entity_type <> ''),
    entity_id   text NOT NULL CHECK (entity_id <> ''),
    before      jsonb,
    after       jsonb,
    request_id  text
);

CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, id);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- Append-only is enforced by the database, not by convention: whatever role the application connects
-- as, an UPDATE, DELETE or TRUNCATE of the audit trail fails.
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();

CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
