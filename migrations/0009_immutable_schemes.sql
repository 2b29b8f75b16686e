-- A scheme's parameters never change once published: different parameters are a new scheme (a new code),
-- as 2020 and 2024 are. Vouchers, balances and rules of a cohort keep meaning what they meant when sold, and
-- every API process may keep the schemes it has read (api/services/schemes.py) without ever going stale.
-- Only which scheme is the default for new enrolments may move.
CREATE FUNCTION schemes_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'scheme % cannot be deleted: participants and vouchers refer to it', OLD.code
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF (to_jsonb(NEW) - 'is_default') IS DISTINCT FROM (to_jsonb(OLD) - 'is_default') THEN
        RAISE EXCEPTION 'scheme % is immutable: publish different parameters as a new scheme code', OLD.code
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER schemes_immutable BEFORE UPDATE OR DELETE ON schemes
    FOR EACH ROW EXECUTE FUNCTION schemes_immutable();
