-- Per-client request quotas (api/rate_limits.py).

-- 1. A client's own requests-per-minute quota; NULL means the deployment's RATE_LIMIT_PER_MINUTE.
ALTER TABLE oauth_clients ADD COLUMN rate_limit_per_minute integer
    CONSTRAINT oauth_clients_rate_limit CHECK (rate_limit_per_minute BETWEEN 1 AND 1000000);

-- 2. How much of a client's quota the API processes have leased in each fixed one-minute window. Every lease
--    is one INSERT ... ON CONFLICT DO UPDATE that never lets `granted` pass `quota`, so the processes together
--    accept at most the quota. `client_id` is the presented id at the token endpoint, hence no foreign key.
CREATE TABLE rate_limit_windows (
    client_id    text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 128),
    policy       text NOT NULL CHECK (policy IN ('per-client', 'token')),
    window_start timestamptz NOT NULL,
    quota        integer NOT NULL CHECK (quota > 0),
    granted      integer NOT NULL CHECK (granted >= 0),
    last_lease   integer NOT NULL CHECK (last_lease >= 0),
    PRIMARY KEY (client_id, policy, window_start)
);
-- The worker forgets past windows in batches, oldest first.
CREATE INDEX rate_limit_windows_start_idx ON rate_limit_windows (window_start);
