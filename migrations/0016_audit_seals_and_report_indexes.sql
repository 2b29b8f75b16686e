-- The audit trail becomes tamper-evident (domain/audit_chain.py): the worker seals committed audit rows into a hash
-- chain, in the order it meets them. Writers do not change: they insert audit rows as before and never wait for the
-- sealer, and the sealer never blocks them (it reads committed rows and appends seals, one sealer at a time).
CREATE TABLE audit_seals (
    seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- No foreign key on purpose: the audit log's own triggers refuse a TRUNCATE (a key would refuse it first, with
    -- another error), and a seal whose row vanished is exactly what the verification reports.
    audit_id      bigint NOT NULL,
    previous_hash bytea NOT NULL CHECK (length(previous_hash) = 32),
    hash          bytea NOT NULL CHECK (length(hash) = 32),
    -- The highest audit id sealed so far (this seal included): where the next sealer may start looking, once this
    -- seal is older than any transaction can be.
    high_water    bigint NOT NULL,
    sealed_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT audit_seals_one_per_row UNIQUE (audit_id)
);
CREATE INDEX audit_seals_sealed_at_idx ON audit_seals (sealed_at);

CREATE FUNCTION audit_seals_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_seals is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_seals_append_only BEFORE UPDATE OR DELETE ON audit_seals
    FOR EACH ROW EXECUTE FUNCTION audit_seals_refuse_change();
CREATE TRIGGER audit_seals_no_truncate BEFORE TRUNCATE ON audit_seals
    FOR EACH STATEMENT EXECUTE FUNCTION audit_seals_refuse_change();

-- The audit log's filters (GET /v1/programme/audit), newest first.
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id);
CREATE INDEX audit_log_action_idx ON audit_log (action, id);

-- The summary report (GET /v1/programme/reports/summary) reads each figure through a range index on the time it
-- happened, never a scan of the whole table.
CREATE INDEX ledger_entries_created_idx ON ledger_entries (created_at, kind);
CREATE INDEX audit_log_action_at_idx ON audit_log (action, at);
CREATE INDEX statement_lines_created_idx ON statement_lines (created_at, kind);
CREATE INDEX enrollments_completed_idx ON enrollments (completed_at) WHERE completed_at IS NOT NULL;
CREATE INDEX certificates_issued_idx ON certificates (issued_at);
CREATE INDEX incentives_eligible_idx ON incentives (eligible_at);
