-- The events feed and signed webhooks (issue 15).
--
-- Feed: a sequence hands out ids in the order transactions *start* writing, not the order they commit, so a
-- reader that pages by id alone can skip a lower id that commits after it moved past. Each event therefore
-- records the id of the transaction that wrote it (xid8, never wraps); the feed serves only events whose
-- transaction is older than the oldest one still running (pg_snapshot_xmin), ordered by (xid, id). Every
-- transaction that could still commit an event has an xid at or above that horizon, so nothing can appear
-- behind a cursor once it has been handed out.
-- The public id is drawn per row (a volatile default), for the rows that already exist too.
ALTER TABLE events
    ADD COLUMN public_id text NOT NULL DEFAULT 'evt_' || replace(gen_random_uuid()::text, '-', ''),
    ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE events ADD CONSTRAINT events_public_id_key UNIQUE (public_id);
CREATE INDEX events_feed_idx ON events (partner_id, xid, id);
DROP INDEX events_partner_idx;  -- the feed index serves every per-partner read; one index less per event written

-- A partner's webhook endpoints. The signing secret is stored encrypted (AES-GCM under the key-encryption key,
-- the endpoint id as associated data); after a rotation the previous secret keeps signing until it expires.
CREATE TABLE webhook_endpoints (
    id                          text PRIMARY KEY,
    partner_id                  text NOT NULL REFERENCES partners (id),
    url                         text NOT NULL CHECK (length(url) <= 2000),
    event_types                 text[] NOT NULL DEFAULT '{}',
    status                      text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'failing', 'disabled')),
    secret_encrypted            bytea NOT NULL,
    previous_secret_encrypted   bytea,
    previous_secret_expires_at  timestamptz,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_partner_idx ON webhook_endpoints (partner_id, created_at, id);

-- One row per (endpoint, event) to deliver: the queue the delivery workers claim with SKIP LOCKED. A claim
-- moves next_attempt_at forward by a lease, so a worker that dies mid-call leaves the row due again later.
CREATE TABLE webhook_deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id     text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id        bigint NOT NULL REFERENCES events (id),
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    CONSTRAINT webhook_deliveries_once UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

-- The delivery log a partner reads: every HTTP attempt with its outcome (the response body truncated).
CREATE TABLE webhook_attempts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id     bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    endpoint_id     text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    attempt         integer NOT NULL,
    attempted_at    timestamptz NOT NULL,
    status_code     integer,
    latency_ms      integer NOT NULL,
    error           text CHECK (length(error) <= 500),
    response_body   text CHECK (length(response_body) <= 2048),
    next_attempt_at timestamptz
);
CREATE INDEX webhook_attempts_endpoint_idx ON webhook_attempts (endpoint_id, id DESC);

-- Fan-out in the writing transaction: an event becomes one delivery per matching endpoint of its partner, and
-- the workers hear about it when (and only if) that transaction commits. `ping` goes to one endpoint only and
-- is queued by the test endpoint itself.
CREATE FUNCTION queue_webhook_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_deliveries (endpoint_id, event_id)
    SELECT w.id, NEW.id FROM webhook_endpoints w
     WHERE w.partner_id = NEW.partner_id AND w.status <> 'disabled'
       AND (cardinality(w.event_types) = 0 OR NEW.type = ANY (w.event_types));
    IF FOUND THEN
        PERFORM pg_notify('webhook_deliveries', '');
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER events_queue_webhook_deliveries AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.partner_id IS NOT NULL AND NEW.type <> 'ping') EXECUTE FUNCTION queue_webhook_deliveries();
