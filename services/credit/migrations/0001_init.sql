-- Credit: profiles (with their contracts' facts), level changes and their
-- timers, assessments, holds, the audit of credit-information reads.

CREATE TABLE profiles (
    customer_id        uuid PRIMARY KEY,
    name               text NOT NULL DEFAULT '',
    sales_region       text NOT NULL DEFAULT '',
    customer_level     text NOT NULL DEFAULT '',
    customer_version   bigint NOT NULL DEFAULT 0,
    designated         boolean NOT NULL DEFAULT false,
    downgraded_at      timestamptz,
    terms_since        timestamptz,
    level              text NOT NULL DEFAULT 'UNRATED',
    rated_at           timestamptz,
    rated_with         jsonb,
    amount_level       text NOT NULL DEFAULT 'UNRATED',
    open_change_id     uuid,
    review_at          timestamptz,
    -- Derived at every save, for the credit check (one row) and listings.
    key_account        boolean NOT NULL DEFAULT false,
    effective_level    text NOT NULL DEFAULT 'UNRATED',
    exposure_fen       bigint NOT NULL DEFAULT 0,
    trailing_amount_fen bigint NOT NULL DEFAULT 0,
    fulfilment_rate_bp integer NOT NULL DEFAULT -1,
    settled_contracts  integer NOT NULL DEFAULT 0,
    version            bigint NOT NULL
);
CREATE INDEX profiles_review ON profiles (review_at) WHERE review_at IS NOT NULL;
CREATE INDEX profiles_key_accounts ON profiles (sales_region, customer_id) WHERE key_account;

CREATE TABLE profile_contracts (
    customer_id   uuid NOT NULL REFERENCES profiles (customer_id),
    contract_id   uuid NOT NULL,
    amount_fen    bigint,
    signed_on     date,
    paid_fen      bigint NOT NULL DEFAULT 0,
    paid_version  bigint NOT NULL DEFAULT 0,
    fulfilled_at  timestamptz,
    breached_at   timestamptz,
    cancelled_at  timestamptz,
    PRIMARY KEY (customer_id, contract_id)
);

CREATE TABLE level_changes (
    id                 uuid PRIMARY KEY,
    customer_id        uuid NOT NULL,
    sales_region       text NOT NULL,
    trigger            text NOT NULL,
    from_level         text NOT NULL,
    to_level           text NOT NULL,
    ends_key_account   boolean NOT NULL,
    assessment_id      uuid,
    score_centi        integer NOT NULL DEFAULT 0,
    step               text NOT NULL,
    status             text NOT NULL,
    opened_at          timestamptz NOT NULL,
    step_started_at    timestamptz,
    step_due_at        timestamptz NOT NULL,
    chain_due_at       timestamptz NOT NULL,
    signing_extended   boolean NOT NULL DEFAULT false,
    overran            boolean NOT NULL DEFAULT false,
    closed_at          timestamptz,
    closed_at_step     text,
    rejection_reason   text NOT NULL DEFAULT '',
    trail              jsonb NOT NULL DEFAULT '[]',
    fired              jsonb NOT NULL DEFAULT '[]',
    version            bigint NOT NULL
);
-- At most one open change per customer.
CREATE UNIQUE INDEX level_changes_open ON level_changes (customer_id) WHERE status = 'OPEN';
CREATE INDEX level_changes_listing ON level_changes (sales_region, status, step_due_at, id);

CREATE TABLE change_timers (
    change_id  uuid NOT NULL REFERENCES level_changes (id),
    kind       text NOT NULL,
    step       text NOT NULL,
    due_at     timestamptz NOT NULL,
    PRIMARY KEY (change_id, kind, step, due_at)
);
CREATE INDEX change_timers_due ON change_timers (due_at);

CREATE TABLE assessments (
    id              uuid PRIMARY KEY,
    customer_id     uuid NOT NULL,
    sales_region    text NOT NULL,
    started_by      text NOT NULL,
    started_at      timestamptz NOT NULL,
    status          text NOT NULL,
    documents       jsonb NOT NULL DEFAULT '[]',
    basic           jsonb,
    scores          jsonb,
    score_centi     integer NOT NULL DEFAULT 0,
    proposed_level  text NOT NULL DEFAULT 'UNRATED',
    change_id       uuid,
    completed_at    timestamptz,
    version         bigint NOT NULL
);
-- At most one assessment in progress per customer.
CREATE UNIQUE INDEX assessments_draft ON assessments (customer_id) WHERE status = 'DRAFT';

CREATE TABLE holds (
    id               uuid PRIMARY KEY,
    customer_id      uuid NOT NULL,
    order_reference  text NOT NULL,
    amount_fen       bigint NOT NULL,
    reasons          text[] NOT NULL,
    requested_by     text NOT NULL,
    created_at       timestamptz NOT NULL,
    sales_region     text NOT NULL,
    status           text NOT NULL,
    decided_by       text NOT NULL DEFAULT '',
    decided_at       timestamptz,
    note             text NOT NULL DEFAULT '',
    version          bigint NOT NULL,
    UNIQUE (customer_id, order_reference)
);
CREATE INDEX holds_listing ON holds (sales_region, status, created_at, id);

CREATE TABLE profile_reads (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reader_id     text NOT NULL,
    reader_roles  text[] NOT NULL,
    customer_id   uuid NOT NULL,
    purpose       text NOT NULL,
    method        text NOT NULL,
    read_at       timestamptz NOT NULL
);
CREATE INDEX profile_reads_time ON profile_reads (read_at DESC, id DESC);
CREATE INDEX profile_reads_customer ON profile_reads (customer_id, read_at DESC);
CREATE INDEX profile_reads_reader ON profile_reads (reader_id, read_at DESC);
