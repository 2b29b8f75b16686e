-- The money path: participants, their balance (a ledger with a guarded running total), vouchers,
-- enrollments (created by redemption) and what partners are owed.

CREATE TABLE participants (
    id                text PRIMARY KEY,
    programme_number  text NOT NULL UNIQUE CHECK (length(programme_number) BETWEEN 3 AND 40),
    nik_hash          bytea NOT NULL UNIQUE,          -- HMAC-SHA256 of the NIK; the NIK itself is never stored
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email             text NOT NULL CHECK (length(email) <= 320),
    phone             text NOT NULL CHECK (length(phone) <= 32),
    scheme            text NOT NULL REFERENCES schemes (code),
    accepted_at       timestamptz NOT NULL,
    status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen', 'revoked', 'completed')),
    sandbox_partner_id text REFERENCES partners (id),  -- set for a sandbox partner's test participant
    reviewed_at       timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX participants_created_idx ON participants (created_at, id);
CREATE INDEX participants_first_purchase_idx ON participants (accepted_at) WHERE status = 'active';

-- The running balance, changed only together with a ledger entry; it can never go below zero.
CREATE TABLE balances (
    participant_id text PRIMARY KEY REFERENCES participants (id),
    balance        bigint NOT NULL CONSTRAINT balances_never_negative CHECK (balance >= 0),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ledger_entries (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    participant_id text NOT NULL REFERENCES participants (id),
    kind           text NOT NULL CHECK (kind IN ('grant', 'purchase', 'refund', 'lapse')),
    amount         bigint NOT NULL CHECK (amount > 0),
    signed_amount  bigint NOT NULL CHECK (
        signed_amount = CASE WHEN kind IN ('grant', 'refund') THEN amount ELSE -amount END
    ),
    balance_after  bigint NOT NULL CHECK (balance_after >= 0),
    voucher_code   text,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_entries_participant_idx ON ledger_entries (participant_id, id);

CREATE FUNCTION ledger_entries_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_entries is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_refuse_change();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_refuse_change();

CREATE TABLE vouchers (
    code           text PRIMARY KEY,
    partner_id     text NOT NULL REFERENCES partners (id),
    course_id      text NOT NULL REFERENCES courses (id),
    schedule_id    text REFERENCES schedules (id),
    participant_id text NOT NULL REFERENCES participants (id),
    amount         bigint NOT NULL CHECK (amount > 0),
    status         text NOT NULL DEFAULT 'sold'
                   CHECK (status IN ('sold', 'redeemed', 'completed', 'expired', 'cancelled', 'fraudulent')),
    sold_at        timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    redeemed_at    timestamptz,
    closed_at      timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
-- Trainings are sequential: at most one open (sold or redeemed) voucher per participant.
CREATE UNIQUE INDEX vouchers_one_open_training_idx ON vouchers (participant_id) WHERE status IN ('sold', 'redeemed');
-- A participant cannot buy the same course twice (a refunded purchase does not count).
CREATE UNIQUE INDEX vouchers_course_once_idx ON vouchers (participant_id, course_id)
    WHERE status IN ('sold', 'redeemed', 'completed', 'fraudulent');
CREATE INDEX vouchers_due_idx ON vouchers (expires_at) WHERE status = 'sold';
CREATE INDEX vouchers_participant_idx ON vouchers (participant_id, sold_at);

CREATE TABLE enrollments (
    id            text PRIMARY KEY,
    voucher_code  text NOT NULL REFERENCES vouchers (code),
    partner_id    text NOT NULL REFERENCES partners (id),
    course_id     text NOT NULL REFERENCES courses (id),
    schedule_id   text REFERENCES schedules (id),
    participant_id text NOT NULL REFERENCES participants (id),
    learner_ref   text NOT NULL CHECK (length(learner_ref) BETWEEN 1 AND 200),
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed', 'cancelled')),
    redeemed_at   timestamptz NOT NULL,
    completed_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    -- Exactly-once redemption, whatever happens above: one enrollment per voucher.
    CONSTRAINT enrollments_one_per_voucher UNIQUE (voucher_code)
);
-- One learner account may not redeem the same course twice.
CREATE UNIQUE INDEX enrollments_learner_course_idx ON enrollments (course_id, learner_ref) WHERE status <> 'cancelled';
CREATE INDEX enrollments_partner_idx ON enrollments (partner_id, updated_at, id);

-- What a partner is owed for each redeemed voucher; rolled up into monthly statements.
CREATE TABLE settlement_lines (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id   text NOT NULL REFERENCES partners (id),
    voucher_code text NOT NULL REFERENCES vouchers (code),
    amount       bigint NOT NULL CHECK (amount > 0),
    period       text NOT NULL CHECK (period ~ '^\d{4}-\d{2}$'),
    status       text NOT NULL DEFAULT 'payable' CHECK (status IN ('payable', 'paid', 'clawed_back')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT settlement_lines_one_per_voucher UNIQUE (voucher_code)
);
CREATE INDEX settlement_lines_partner_period_idx ON settlement_lines (partner_id, period, id);
