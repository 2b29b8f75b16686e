-- Partners, their OAuth clients, the token signing keys, and what token issuance must remember.

CREATE TABLE partners (
    id            text PRIMARY KEY,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind          text NOT NULL CHECK (kind IN ('platform', 'provider')),
    contact_email text NOT NULL CHECK (length(contact_email) BETWEEN 3 AND 320),
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX partners_created_idx ON partners (created_at, id);

CREATE TABLE oauth_clients (
    client_id                   text PRIMARY KEY,
    partner_id                  text REFERENCES partners (id),
    name                        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    environment                 text NOT NULL CHECK (environment IN ('sandbox', 'production')),
    scopes                      text[] NOT NULL CHECK (cardinality(scopes) > 0),
    status                      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    secret_hash                 text NOT NULL,
    previous_secret_hash        text,
    previous_secret_expires_at  timestamptz,
    jwks                        jsonb,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    -- The second wall behind domain/clients.py: a partner client never holds a programme scope,
    -- a programme client holds nothing else.
    CONSTRAINT oauth_clients_partner_scopes CHECK (
        CASE WHEN partner_id IS NULL
             THEN array_to_string(scopes, ' ') ~ '^programme:[a-z]+( programme:[a-z]+)*$'
             ELSE array_to_string(scopes, ' ') !~ '(^| )programme:'
        END
    ),
    CONSTRAINT oauth_clients_previous_secret CHECK (
        (previous_secret_hash IS NULL) = (previous_secret_expires_at IS NULL)
    )
);
CREATE INDEX oauth_clients_partner_idx ON oauth_clients (partner_id, created_at, client_id);

-- Keys that sign access tokens and certificates. The private part is encrypted (AES-GCM) with the
-- key-encryption key from settings; the public JWK stays listed after rotation.
CREATE TABLE signing_keys (
    kid                   text PRIMARY KEY,
    algorithm             text NOT NULL CHECK (algorithm = 'ES256'),
    public_jwk            jsonb NOT NULL,
    private_key_encrypted bytea NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    retired_at            timestamptz
);
CREATE UNIQUE INDEX signing_keys_one_active_idx ON signing_keys ((true)) WHERE retired_at IS NULL;

-- RFC 7523: a client assertion's jti may be used once; the primary key refuses a replay.
CREATE TABLE client_assertion_jtis (
    client_id  text NOT NULL,
    jti        text NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX client_assertion_jtis_expiry_idx ON client_assertion_jtis (expires_at);

-- RFC 7009: revoked access tokens, until they would have expired anyway.
CREATE TABLE revoked_tokens (
    jti        text PRIMARY KEY,
    client_id  text NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX revoked_tokens_expiry_idx ON revoked_tokens (expires_at);

-- Failed client authentications per presented client id, in fixed windows; shared by all API processes.
CREATE TABLE client_auth_failures (
    client_id        text PRIMARY KEY,
    window_started_at timestamptz NOT NULL,
    failures         integer NOT NULL CHECK (failures >= 0)
);
