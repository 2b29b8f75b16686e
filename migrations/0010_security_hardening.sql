-- Security hardening (issue 13): throttles that a stranger cannot turn against a partner, per-address limits,
-- and knowing which signing key signed each certificate.

-- 1. Failed client authentications are counted per (presented client id, caller address): a flood of wrong
--    secrets from one address throttles that address only, never the partner's servers elsewhere. The worker
--    deletes rows whose window is over.
ALTER TABLE client_auth_failures DROP CONSTRAINT client_auth_failures_pkey;
ALTER TABLE client_auth_failures ADD COLUMN address text NOT NULL DEFAULT ''
    CONSTRAINT client_auth_failures_address CHECK (length(address) <= 64);
ALTER TABLE client_auth_failures ADD PRIMARY KEY (client_id, address);
CREATE INDEX client_auth_failures_window_idx ON client_auth_failures (window_started_at);

-- 2. Per-address quotas share the per-client machinery (api/auth/rate_limits.py): `client_id` holds the address.
ALTER TABLE rate_limit_windows DROP CONSTRAINT rate_limit_windows_policy_check;
ALTER TABLE rate_limit_windows ADD CONSTRAINT rate_limit_windows_policy_check
    CHECK (policy IN ('per-client', 'token', 'token-address', 'public'));

-- 3. A retired signing key leaves the JWKS once no live token can carry it, unless a certificate was signed with
--    it (certificates are verified with the JWKS for as long as they exist).
ALTER TABLE certificates ADD COLUMN signing_kid text;
UPDATE certificates
   SET signing_kid = convert_from(
           decode(rpad(translate(split_part(credential, '.', 1), '-_', '+/'),
                       (length(split_part(credential, '.', 1)) + 3) / 4 * 4, '='), 'base64'),
           'UTF8')::jsonb ->> 'kid';
CREATE INDEX certificates_signing_kid_idx ON certificates (signing_kid);
