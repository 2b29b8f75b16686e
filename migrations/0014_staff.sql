-- Programme staff: the people who use the internal portal. The API owns them, so no portal (or forged portal
-- request) can act beyond a staff member's role: the token exchange reads the role here and grants only its scopes.
-- Passwords are Argon2id hashes; the TOTP secret is encrypted with the key-encryption key (AES-GCM).
CREATE TABLE staff (
    id text PRIMARY KEY,
    email text NOT NULL,
    name text NOT NULL,
    role text NOT NULL CHECK (role IN ('curator', 'partner_manager', 'support', 'finance', 'auditor', 'admin')),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    password_hash text NOT NULL,
    totp_secret_encrypted bytea NOT NULL,
    -- The last TOTP time step accepted: a code is good once (RFC 6238 §5.2).
    totp_last_step bigint,
    failed_logins integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX staff_email_key ON staff (lower(email));

-- A staff login: an opaque token (stored as its SHA-256) that the portal client, and only that client,
-- exchanges for short-lived access tokens acting for the staff member (RFC 8693).
CREATE TABLE staff_sessions (
    id text PRIMARY KEY,
    staff_id text NOT NULL REFERENCES staff (id),
    client_id text NOT NULL REFERENCES oauth_clients (client_id),
    token_sha256 bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);

-- A staff member acting through the portal is the author of what they do; the portal client they acted
-- through (the access token's `act` claim) is recorded beside them.
ALTER TABLE audit_log ADD COLUMN acting_client_id text;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_actor_type_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_actor_type_check
    CHECK (actor_type IN ('partner_client', 'programme_client', 'system', 'public', 'staff'));
