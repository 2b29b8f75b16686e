-- Learning progress on enrollments: attendance per session, the final assessment, certificates with
-- their signed credential, and the once-only incentive eligibility.

CREATE TABLE attendance (
    enrollment_id text NOT NULL REFERENCES enrollments (id),
    sequence      integer NOT NULL CHECK (sequence > 0),
    attended_at   timestamptz NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (enrollment_id, sequence)
);

ALTER TABLE enrollments
    ADD COLUMN assessment_score integer CHECK (assessment_score BETWEEN 0 AND 100),
    ADD COLUMN assessed_at timestamptz,
    ADD CONSTRAINT enrollments_assessment_whole CHECK ((assessment_score IS NULL) = (assessed_at IS NULL));

CREATE TABLE certificates (
    id                uuid PRIMARY KEY,
    enrollment_id     text NOT NULL REFERENCES enrollments (id),
    partner_id        text NOT NULL REFERENCES partners (id),
    number            text NOT NULL CHECK (length(number) BETWEEN 1 AND 64),
    issued_at         timestamptz NOT NULL,
    url               text CHECK (length(url) <= 2000),
    status            text NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'revoked')),
    revoked_at        timestamptz,
    revocation_reason text,
    credential        text NOT NULL,
    verification_url  text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT certificates_one_per_enrollment UNIQUE (enrollment_id),
    CONSTRAINT certificates_number_per_partner UNIQUE (partner_id, number)
);

-- At most one incentive per participant: the primary key is the "exactly once".
CREATE TABLE incentives (
    participant_id     text PRIMARY KEY REFERENCES participants (id),
    enrollment_id      text NOT NULL REFERENCES enrollments (id),
    scheme             text NOT NULL REFERENCES schemes (code),
    amount_per_payment bigint NOT NULL CHECK (amount_per_payment >= 0),
    payments           integer NOT NULL CHECK (payments >= 0),
    eligible_at        timestamptz NOT NULL DEFAULT now()
);
