-- Monthly partner statements (domain/statements.py): settlement lines become append-only statement lines, each on
-- one statement per partner per calendar month in Asia/Jakarta; a clawback is a new negative line, never an edit.

-- 1. Where the programme pays a partner (filled in by programme:finance; shown in the disbursement file).
ALTER TABLE partners
    ADD COLUMN bank_name           text CHECK (length(bank_name) BETWEEN 1 AND 100),
    ADD COLUMN bank_account_number text CHECK (bank_account_number ~ '^[0-9A-Za-z-]{4,40}$'),
    ADD COLUMN bank_account_name   text CHECK (length(bank_account_name) BETWEEN 1 AND 200);

-- 2. A period the programme closed: no statement of it is ever opened again.
CREATE TABLE statement_periods (
    period     text PRIMARY KEY CHECK (period ~ '^\d{4}-(0[1-9]|1[0-2])$'),
    closed_at  timestamptz NOT NULL DEFAULT now(),
    closed_by  text
);

CREATE TABLE statements (
    id                    text PRIMARY KEY,
    partner_id            text NOT NULL REFERENCES partners (id),
    period                text NOT NULL CHECK (period ~ '^\d{4}-(0[1-9]|1[0-2])$'),
    status                text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'paid')),
    -- Frozen at close (NULL while open: an open statement's totals are summed from its lines when read).
    total_payable         bigint,
    total_clawed_back     bigint,
    total_carried_forward bigint,
    net                   bigint,
    line_count            integer,
    closed_at             timestamptz,
    paid_at               timestamptz,
    payment_reference     text CHECK (length(payment_reference) BETWEEN 1 AND 200),
    created_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT statements_one_per_partner_period UNIQUE (partner_id, period),
    CONSTRAINT statements_closed_are_frozen CHECK (
        (status = 'open') = (closed_at IS NULL) AND (status = 'open') = (net IS NULL)
        AND (net IS NULL OR net = total_payable - total_clawed_back + total_carried_forward)
    ),
    CONSTRAINT statements_paid_have_reference CHECK (
        (status = 'paid') = (paid_at IS NOT NULL) AND (status = 'paid') = (payment_reference IS NOT NULL)
    )
);
CREATE INDEX statements_period_idx ON statements (period, status, partner_id);
CREATE INDEX statements_unpaid_idx ON statements (period, partner_id) WHERE status = 'closed';

CREATE TABLE statement_lines (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    statement_id text NOT NULL REFERENCES statements (id),
    partner_id   text NOT NULL REFERENCES partners (id),
    kind         text NOT NULL CHECK (kind IN ('payable', 'clawback', 'carried_forward')),
    voucher_code text REFERENCES vouchers (code),
    amount       bigint NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT statement_lines_sign CHECK (
        (kind = 'payable' AND amount > 0 AND voucher_code IS NOT NULL)
        OR (kind = 'clawback' AND amount < 0 AND voucher_code IS NOT NULL)
        OR (kind = 'carried_forward' AND amount <> 0 AND voucher_code IS NULL)
    )
);
-- A voucher is owed once and clawed back at most once, whatever retries or repeated moves happen above.
CREATE UNIQUE INDEX statement_lines_one_payable_idx ON statement_lines (voucher_code) WHERE kind = 'payable';
CREATE UNIQUE INDEX statement_lines_one_clawback_idx ON statement_lines (voucher_code) WHERE kind = 'clawback';
CREATE INDEX statement_lines_statement_idx ON statement_lines (statement_id, id);
CREATE INDEX statement_lines_partner_idx ON statement_lines (partner_id, kind);

-- 3. Lines are append-only (a sandbox reset, which says so with SET LOCAL prakerja.sandbox_reset = 'on', excepted),
--    and only an open statement takes a line: once closed, its totals can never drift from its lines.
CREATE FUNCTION statement_lines_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('prakerja.sandbox_reset', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'statement_lines is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER statement_lines_append_only BEFORE UPDATE OR DELETE ON statement_lines
    FOR EACH ROW EXECUTE FUNCTION statement_lines_refuse_change();
CREATE TRIGGER statement_lines_no_truncate BEFORE TRUNCATE ON statement_lines
    FOR EACH STATEMENT EXECUTE FUNCTION statement_lines_refuse_change();

CREATE FUNCTION statement_lines_only_on_open() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT status FROM statements WHERE id = NEW.statement_id) IS DISTINCT FROM 'open' THEN
        RAISE EXCEPTION 'statement % is not open', NEW.statement_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER statement_lines_only_on_open BEFORE INSERT ON statement_lines
    FOR EACH ROW EXECUTE FUNCTION statement_lines_only_on_open();

-- 4. The open statement a new line goes on: the partner's statement of `wanted_period`, opened if need be, or, when
--    that period (or this partner's statement of it) is already closed, of the first later period that is open.
--    Writers hold a shared advisory lock on the period until they commit; closing takes it exclusively, so a close
--    waits for in-flight lines and no line can land on a statement after its totals were frozen. Writers do not
--    block each other. Each statement below runs on a fresh snapshot (READ COMMITTED), so after the lock is granted
--    the function sees a close that committed while it waited.
CREATE FUNCTION statement_period_lock_key(period text) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT hashtextextended('prakerja.statement_period:' || period, 0) $$;

CREATE FUNCTION open_statement_for(wanted_partner text, wanted_period text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    p text := wanted_period;
    found_id text;
    found_status text;
BEGIN
    LOOP
        PERFORM pg_advisory_xact_lock_shared(statement_period_lock_key(p));
        IF NOT EXISTS (SELECT 1 FROM statement_periods WHERE period = p) THEN
            INSERT INTO statements (id, partner_id, period)
            VALUES ('stm_' || left(replace(gen_random_uuid()::text, '-', ''), 20), wanted_partner, p)
            ON CONFLICT (partner_id, period) DO NOTHING;
            SELECT id, status INTO found_id, found_status FROM statements WHERE partner_id = wanted_partner AND period = p;
            IF found_status = 'open' THEN
                RETURN found_id;
            END IF;
        END IF;
        p := to_char(to_date(p || '-01', 'YYYY-MM-DD') + interval '1 month', 'YYYY-MM');
    END LOOP;
END;
$$;

-- 5. The settlement lines written so far become statement lines of their (UTC-derived) period, which stays open;
--    a line that was clawed back in place gets its clawback line now. Then the old table goes: one money path.
INSERT INTO statements (id, partner_id, period, created_at)
SELECT 'stm_' || left(replace(gen_random_uuid()::text, '-', ''), 20), partner_id, period, min(created_at)
  FROM settlement_lines GROUP BY partner_id, period;
INSERT INTO statement_lines (statement_id, partner_id, kind, voucher_code, amount, created_at)
SELECT s.id, l.partner_id, 'payable', l.voucher_code, l.amount, l.created_at
  FROM settlement_lines l JOIN statements s ON s.partner_id = l.partner_id AND s.period = l.period
 ORDER BY l.id;
INSERT INTO statement_lines (statement_id, partner_id, kind, voucher_code, amount, created_at)
SELECT s.id, l.partner_id, 'clawback', l.voucher_code, -l.amount, l.updated_at
  FROM settlement_lines l JOIN statements s ON s.partner_id = l.partner_id AND s.period = l.period
 WHERE l.status = 'clawed_back'
 ORDER BY l.id;
DROP TABLE settlement_lines;
