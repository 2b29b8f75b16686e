-- Schemes (a cohort's parameters, as data), courses with their curation trail and schedules, and the
-- event outbox every later state change writes to.

CREATE TABLE schemes (
    code                             text PRIMARY KEY,
    is_default                       boolean NOT NULL DEFAULT false,
    training_balance                 bigint NOT NULL CHECK (training_balance > 0),
    incentive_amount                 bigint NOT NULL CHECK (incentive_amount >= 0),
    incentive_payments               integer NOT NULL CHECK (incentive_payments >= 0),
    survey_incentive_amount          bigint NOT NULL CHECK (survey_incentive_amount >= 0),
    survey_incentive_payments        integer NOT NULL CHECK (survey_incentive_payments >= 0),
    first_purchase_days              integer NOT NULL CHECK (first_purchase_days > 0),
    balance_deadline_month           integer NOT NULL CHECK (balance_deadline_month BETWEEN 1 AND 12),
    balance_deadline_day             integer NOT NULL CHECK (balance_deadline_day BETWEEN 1 AND 31),
    voucher_validity_days            integer NOT NULL CHECK (voucher_validity_days > 0),
    min_course_hours                 integer NOT NULL CHECK (min_course_hours > 0),
    max_daily_hours_online           integer NOT NULL CHECK (max_daily_hours_online BETWEEN 1 AND 24),
    max_daily_hours_offline          integer NOT NULL CHECK (max_daily_hours_offline BETWEEN 1 AND 24),
    webinar_capacity                 integer NOT NULL CHECK (webinar_capacity > 0),
    redemption_window_before_minutes integer NOT NULL CHECK (redemption_window_before_minutes >= 0),
    redemption_window_after_minutes  integer NOT NULL CHECK (redemption_window_after_minutes >= 0)
);
CREATE UNIQUE INDEX schemes_one_default_idx ON schemes ((true)) WHERE is_default;

INSERT INTO schemes VALUES
    ('2024', true,  3500000, 600000, 1, 50000, 2, 15, 12, 15, 30, 15, 3, 8, 150, 60, 60),
    ('2020', false, 1000000, 600000, 4, 50000, 2, 30, 12, 15, 30, 15, 3, 8, 150, 60, 60);

-- Full-text search over what a learner types: `simple` keeps Indonesian words intact (no English stemming
-- of "pemasaran" or "keuangan"); lower() folds case. Declared IMMUTABLE so it can feed a generated column.
CREATE FUNCTION course_search_vector(title text, category text, description text, competencies text[])
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('simple', coalesce(title, '')), 'A')
        || setweight(to_tsvector('simple', coalesce(array_to_string(competencies, ' '), '')), 'B')
        || setweight(to_tsvector('simple', coalesce(category, '')), 'B')
        || setweight(to_tsvector('simple', coalesce(description, '')), 'C')
$$;

CREATE TABLE courses (
    id               text PRIMARY KEY,
    partner_id       text NOT NULL REFERENCES partners (id),
    status           text NOT NULL DEFAULT 'draft'
                     CHECK (status IN ('draft', 'submitted', 'approved', 'rejected', 'suspended', 'archived')),
    title            text NOT NULL CHECK (length(title) <= 200),
    description      text NOT NULL CHECK (length(description) <= 10000),
    category         text NOT NULL CHECK (length(category) <= 100),
    format           text NOT NULL CHECK (format IN ('self_paced', 'webinar', 'offline', 'blended')),
    hours            integer NOT NULL CHECK (hours > 0),
    price            bigint NOT NULL CHECK (price > 0),
    public_price     bigint NOT NULL CHECK (public_price >= price),
    competencies     text[] NOT NULL,
    language         text NOT NULL CHECK (length(language) <= 35),
    modules          integer CHECK (modules > 0),
    -- An edit of price, hours or format of a course on sale waits here until curation decides.
    pending_revision jsonb,
    revision_submitted_at timestamptz,
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    submitted_at     timestamptz,
    approved_at      timestamptz,
    search           tsvector GENERATED ALWAYS AS (course_search_vector(title, category, description, competencies)) STORED
);
CREATE INDEX courses_partner_idx ON courses (partner_id, created_at, id);
CREATE INDEX courses_queue_idx ON courses (submitted_at, id) WHERE status = 'submitted';
CREATE INDEX courses_revision_queue_idx ON courses (revision_submitted_at, id) WHERE pending_revision IS NOT NULL;
CREATE INDEX courses_catalogue_idx ON courses (approved_at DESC, id DESC) WHERE status = 'approved';
CREATE INDEX courses_catalogue_search_idx ON courses USING gin (search) WHERE status = 'approved';

-- Every curation step a course went through, with the reasons a partner needs to fix a rejection.
CREATE TABLE course_curation_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id   text NOT NULL REFERENCES courses (id),
    action      text NOT NULL,
    from_status text NOT NULL,
    to_status   text NOT NULL,
    reasons     text[] NOT NULL DEFAULT '{}',
    revision    jsonb,
    actor_id    text,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX course_curation_events_course_idx ON course_curation_events (course_id, id);

CREATE TABLE schedules (
    id          text PRIMARY KEY,
    course_id   text NOT NULL REFERENCES courses (id),
    partner_id  text NOT NULL REFERENCES partners (id),
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL CHECK (ends_at > starts_at),
    capacity    integer NOT NULL CHECK (capacity > 0),
    seats_sold  integer NOT NULL DEFAULT 0 CHECK (seats_sold >= 0),
    location    text CHECK (length(location) <= 500),
    meeting_url text CHECK (length(meeting_url) <= 2000),
    sessions    jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- Overbooking is impossible whatever the code above does.
    CONSTRAINT schedules_not_overbooked CHECK (seats_sold <= capacity)
);
CREATE INDEX schedules_course_idx ON schedules (course_id, starts_at, id);

-- The event outbox: written in the same transaction as the change it describes; the feed and webhooks
-- read from here. partner_id NULL means a programme-only event.
CREATE TABLE events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id  text REFERENCES partners (id),
    type        text NOT NULL,
    entity_type text NOT NULL,
    entity_id   text NOT NULL,
    data        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_partner_idx ON events (partner_id, id);
