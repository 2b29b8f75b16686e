-- 1. A refunded voucher later flagged as fraud no longer counts as "the course was bought": the money
--    went back, so a second purchase of the course (made after the refund) must not collide with it.
ALTER TABLE vouchers ADD COLUMN refunded_at timestamptz;
UPDATE vouchers SET refunded_at = closed_at WHERE status IN ('expired', 'cancelled');
DROP INDEX vouchers_course_once_idx;
CREATE UNIQUE INDEX vouchers_course_once_idx ON vouchers (participant_id, course_id)
    WHERE status IN ('sold', 'redeemed', 'completed') OR (status = 'fraudulent' AND refunded_at IS NULL);

-- 2. The sandbox test clock: each sandbox partner's requests (and the worker's sweeps of its vouchers)
--    run at wall-clock time plus this offset.
CREATE TABLE sandbox_clocks (
    partner_id     text PRIMARY KEY REFERENCES partners (id),
    offset_seconds bigint NOT NULL DEFAULT 0 CHECK (offset_seconds >= 0),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- 3. Sandbox reset: the ledger stays append-only, except that a sandbox partner's own test participants
--    may be deleted, and only by a transaction that says so (SET LOCAL prakerja.sandbox_reset = 'on').
CREATE OR REPLACE FUNCTION ledger_entries_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('prakerja.sandbox_reset', true) = 'on'
       AND EXISTS (SELECT 1 FROM participants p WHERE p.id = OLD.participant_id AND p.sandbox_partner_id IS NOT NULL)
    THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'ledger_entries is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
