-- The compatibility layer for the incumbent programme's redeem-code API (docs/compatibility.md).

-- 1. One client_code per partner and environment, with its HMAC sign_key. The server must recompute the HMAC, so
--    the key is stored encrypted (AES-GCM under the key-encryption key, like the signing keys), never hashed.
--    Rotation keeps the client_code and moves the old key to `previous_*` until it expires.
CREATE TABLE integration_keys (
    client_code                  text PRIMARY KEY CHECK (length(client_code) BETWEEN 1 AND 64),
    partner_id                   text NOT NULL REFERENCES partners (id),
    environment                  text NOT NULL CHECK (environment IN ('sandbox', 'production')),
    sign_key_encrypted           bytea NOT NULL,
    previous_sign_key_encrypted  bytea,
    previous_sign_key_expires_at timestamptz,
    created_at                   timestamptz NOT NULL DEFAULT now(),
    updated_at                   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT integration_keys_one_per_environment UNIQUE (partner_id, environment),
    CONSTRAINT integration_keys_previous CHECK (
        (previous_sign_key_encrypted IS NULL) = (previous_sign_key_expires_at IS NULL)
    )
);

-- 2. Signed requests already received, for as long as their timestamp is inside the window: a second insert of the
--    same (client_code, timestamp, signature) fails, in whichever API process it arrives. The worker prunes them.
CREATE TABLE integration_signatures_seen (
    client_code   text NOT NULL,
    signed_at     bigint NOT NULL,
    signature     text NOT NULL CHECK (length(signature) = 40),
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (client_code, signed_at, signature)
);
CREATE INDEX integration_signatures_seen_expiry_idx ON integration_signatures_seen (expires_at);

-- 3. Which redemptions came through the compatibility layer, so that a blind retry of a commit by the same partner
--    answers with the same enrollment while anybody else's redemption of the code stays "already used".
CREATE TABLE integration_commits (
    voucher_code  text PRIMARY KEY REFERENCES vouchers (code),
    partner_id    text NOT NULL REFERENCES partners (id),
    client_code   text NOT NULL REFERENCES integration_keys (client_code),
    enrollment_id text NOT NULL REFERENCES enrollments (id),
    committed_at  timestamptz NOT NULL
);
