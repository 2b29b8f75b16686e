-- Incentive disbursement, Government-to-Person: the payment channel a participant chose, the incentive's
-- transfers (one row per payment), disbursement batches per channel with one item per attempt, and the
-- survey incentive recorded per participant. See docs/money.md, "Paying incentives".

-- 1. Payment channels are data: a new bank or e-wallet needs no deploy.
CREATE TABLE payment_channels (
    code text PRIMARY KEY CHECK (code ~ '^[a-z0-9_]{2,40}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    kind text NOT NULL CHECK (kind IN ('bank', 'e_wallet'))
);
INSERT INTO payment_channels VALUES
    ('bni', 'Bank Negara Indonesia', 'bank'),
    ('ovo', 'OVO', 'e_wallet'),
    ('gopay', 'GoPay', 'e_wallet'),
    ('dana', 'DANA', 'e_wallet'),
    ('linkaja', 'LinkAja', 'e_wallet'),
    ('shopeepay', 'ShopeePay', 'e_wallet');

-- 2. Where a participant is paid (one account at a time; a batch copies it onto each item it takes).
CREATE TABLE participant_payout_accounts (
    participant_id    text PRIMARY KEY REFERENCES participants (id) ON DELETE CASCADE,
    channel           text NOT NULL REFERENCES payment_channels (code),
    account_reference text NOT NULL CHECK (length(account_reference) BETWEEN 4 AND 40),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- 3. The incentive's payments: scheme 2024 one of Rp 600,000, scheme 2020 four, a month apart.
CREATE TABLE incentive_transfers (
    id             text PRIMARY KEY,
    participant_id text NOT NULL REFERENCES incentives (participant_id) ON DELETE CASCADE,
    sequence       integer NOT NULL CHECK (sequence >= 1),
    amount         bigint NOT NULL CHECK (amount > 0),
    payable_from   timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT incentive_transfers_one_per_payment UNIQUE (participant_id, sequence)
);
CREATE INDEX incentive_transfers_payable_idx ON incentive_transfers (payable_from, id);

-- Incentives recorded before this migration get their transfers now (same ids shape as the application's).
INSERT INTO incentive_transfers (id, participant_id, sequence, amount, payable_from)
SELECT 'itr_' || substr(md5(i.participant_id || ':' || n), 1, 20), i.participant_id, n, i.amount_per_payment,
       i.eligible_at + make_interval(months => n - 1)
  FROM incentives i, generate_series(1, i.payments) AS n
 WHERE i.amount_per_payment > 0;

-- 4. Batches: one channel each; `open` until every item has a result, then `completed`.
CREATE TABLE disbursement_batches (
    id           text PRIMARY KEY,
    channel      text NOT NULL REFERENCES payment_channels (code),
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'completed')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text,
    completed_at timestamptz
);
CREATE INDEX disbursement_batches_created_idx ON disbursement_batches (created_at, id);

-- One attempt to pay one transfer, with the account it was sent to and the channel's answer.
CREATE TABLE disbursement_items (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id          text NOT NULL REFERENCES disbursement_batches (id),
    transfer_id       text NOT NULL REFERENCES incentive_transfers (id),
    channel           text NOT NULL REFERENCES payment_channels (code),
    account_reference text NOT NULL,
    amount            bigint NOT NULL CHECK (amount > 0),
    status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'failed')),
    channel_reference text,
    failure_reason    text,
    result_at         timestamptz,
    CONSTRAINT disbursement_items_once_per_batch UNIQUE (batch_id, transfer_id),
    CONSTRAINT disbursement_items_result_shape CHECK (
        (status = 'pending' AND channel_reference IS NULL AND failure_reason IS NULL AND result_at IS NULL)
        OR (status = 'paid' AND channel_reference IS NOT NULL AND failure_reason IS NULL AND result_at IS NOT NULL)
        OR (status = 'failed' AND failure_reason IS NOT NULL AND channel_reference IS NULL AND result_at IS NOT NULL))
);
-- The "never twice": a transfer has at most one attempt that has not failed. So it is in at most one open
-- batch, a paid transfer is never batched again, and no transfer is ever paid twice. Failed attempts stay.
CREATE UNIQUE INDEX disbursement_items_one_live_attempt ON disbursement_items (transfer_id) WHERE status <> 'failed';
CREATE INDEX disbursement_items_batch_idx ON disbursement_items (batch_id, id);
CREATE INDEX disbursement_items_paid_idx ON disbursement_items (result_at) WHERE status = 'paid';

-- An attempt's result is written once (pending -> paid or failed) and nothing else about it ever changes.
CREATE FUNCTION disbursement_items_result_once() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status = 'pending' AND NEW.status <> 'pending'
       AND (NEW.batch_id, NEW.transfer_id, NEW.channel, NEW.account_reference, NEW.amount)
           IS NOT DISTINCT FROM (OLD.batch_id, OLD.transfer_id, OLD.channel, OLD.account_reference, OLD.amount) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'disbursement_items: only a pending attempt takes a result (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER disbursement_items_result_once BEFORE UPDATE OR DELETE ON disbursement_items
    FOR EACH ROW EXECUTE FUNCTION disbursement_items_result_once();

-- 5. The survey incentive (2 x Rp 50,000 in scheme 2024): recorded per participant, paid outside this system.
CREATE TABLE survey_incentives (
    participant_id text NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    survey         integer NOT NULL CHECK (survey >= 1),
    amount         bigint NOT NULL CHECK (amount >= 0),
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    recorded_by    text,
    PRIMARY KEY (participant_id, survey)
);
