-- An idempotent request's first step in one round trip (api/http/idempotency.py): take the transaction-scoped
-- advisory lock of its (client, key) without waiting, then look up the response stored for that key.
--
-- The lookup must see everything committed before the lock was taken: a twin request that held the lock has
-- committed its stored response by the time the lock is free. A VOLATILE function takes a fresh snapshot for
-- each query it runs (under READ COMMITTED, the request transaction's level), so the SELECT below sees what was
-- committed after `pg_try_advisory_xact_lock` returned; a single statement doing both would not (its snapshot
-- is taken before the lock).
CREATE FUNCTION idempotency_claim(
    lock_key bigint,
    claimed_client_id text,
    claimed_key text,
    OUT locked boolean,
    OUT request_fingerprint text,
    OUT status_code integer,
    OUT content_type text,
    OUT response_body bytea
) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    locked := pg_try_advisory_xact_lock(lock_key);
    SELECT k.request_fingerprint, k.status_code, k.content_type, k.response_body
      INTO request_fingerprint, status_code, content_type, response_body
      FROM idempotency_keys k
     WHERE k.client_id = claimed_client_id AND k.key = claimed_key;
END
$$;
