-- Idempotency keys (API.md, Conventions): the response of each keyed mutation, stored in the same
-- transaction as its side effects, so a retry with the same key replays it instead of acting twice.
-- Scoped to the calling client; kept at least 24 hours, then deleted by the retention worker.
CREATE TABLE idempotency_keys (
    client_id           text NOT NULL,
    key                 text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_fingerprint text NOT NULL,          -- sha256 of method, path, query and canonical JSON body
    method              text NOT NULL,
    path                text NOT NULL,
    status_code         integer NOT NULL CHECK (status_code BETWEEN 200 AND 599),
    content_type        text NOT NULL,
    response_body       bytea NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
