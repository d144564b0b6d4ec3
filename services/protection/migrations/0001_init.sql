-- What protection knows about customers, fed by the customer service's events.
-- A customer not (yet) here cannot be claimed: NOT_FOUND (eventual consistency,
-- usually milliseconds after CustomerCreated). A ContractSigned that arrives
-- first creates the row with present = false, formal = true.
CREATE TABLE customers (
    customer_id        text PRIMARY KEY,
    name               text        NOT NULL DEFAULT '',
    -- Sales region (falls back to the administrative region): picks the policy
    -- and the reviewers.
    region             text        NOT NULL DEFAULT '',
    admin_region       text        NOT NULL DEFAULT '',
    industry           text        NOT NULL DEFAULT '',
    level              text        NOT NULL DEFAULT '',
    present            boolean     NOT NULL DEFAULT false,
    formal             boolean     NOT NULL DEFAULT false,
    formal_contract_id text,
    -- Kept for reference; the pool listing derives "since" and "last owner"
    -- from the latest claim so it is right even before a timer fires.
    in_pool_since      timestamptz,
    last_owner_id      text        NOT NULL DEFAULT '',
    last_follow_up_at  timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customers_region_industry ON customers (region, industry) WHERE present AND NOT formal;

-- One row per claim: the whole aggregate. Scalar columns for what SQL filters
-- on, ``extra`` for the rest (pending requests, warnings sent, ownership spans).
-- ``deadline`` is the claim's next lapse (expiry, rejection lapse or idle rule),
-- so reads can treat a claim past it as ended before the scheduler settles it.
CREATE TABLE claims (
    id                 text PRIMARY KEY,
    customer_id        text        NOT NULL,
    owner_id           text        NOT NULL,
    owner_department   text        NOT NULL DEFAULT '',
    region             text        NOT NULL DEFAULT '',
    customer_level     text        NOT NULL DEFAULT '',
    stage              text        NOT NULL,
    claimed_at         timestamptz NOT NULL,
    submitted_at       timestamptz NOT NULL,
    from_pool          boolean     NOT NULL DEFAULT false,
    expires_at         timestamptz,
    expiry_set_at      timestamptz,
    stage_started_at   timestamptz,
    last_follow_up_at  timestamptz,
    idle_deadline      timestamptz,
    rejection_reason   text,
    end_reason         text,
    ended_at           timestamptz,
    cooldown_until     timestamptz,
    contract_id        text,
    deadline           timestamptz,
    version            integer     NOT NULL,
    extra              jsonb       NOT NULL DEFAULT '{}'::jsonb
);
-- At most one live claim per customer. FORMAL is live (after-sales holds it and
-- nobody may claim it again); a claim past its deadline stays live until it is
-- settled, which every claim transaction does before inserting the next one.
CREATE UNIQUE INDEX claims_one_live_per_customer ON claims (customer_id) WHERE stage <> 'ENDED';
CREATE INDEX claims_by_customer ON claims (customer_id, claimed_at DESC, id DESC);
CREATE INDEX claims_live_by_owner ON claims (owner_id, claimed_at, id) WHERE stage <> 'ENDED';
CREATE INDEX claims_live_by_department ON claims (owner_department, claimed_at, id)
    WHERE stage <> 'ENDED';
CREATE INDEX claims_review_queue ON claims (region, submitted_at, id)
    WHERE stage = 'PENDING_REVIEW';

-- A rep who released a customer cannot claim it again until ``until``.
CREATE TABLE release_cooldowns (
    rep_id       text        NOT NULL,
    customer_id  text        NOT NULL,
    until        timestamptz NOT NULL,
    PRIMARY KEY (rep_id, customer_id)
);

-- Pool claims per rep per China calendar day.
CREATE TABLE pool_claim_counts (
    rep_id   text    NOT NULL,
    day      date    NOT NULL,
    claims   integer NOT NULL,
    PRIMARY KEY (rep_id, day)
);

-- Ownership history: one line per ownership change, both names on a transfer.
CREATE TABLE ownership_events (
    seq            bigserial PRIMARY KEY,
    customer_id    text        NOT NULL,
    claim_id       text        NOT NULL,
    at             timestamptz NOT NULL,
    action         text        NOT NULL,
    from_owner_id  text        NOT NULL DEFAULT '',
    to_owner_id    text        NOT NULL DEFAULT '',
    actor_id       text        NOT NULL DEFAULT '',
    reason         text        NOT NULL DEFAULT '',
    stage          text        NOT NULL DEFAULT ''
);
CREATE INDEX ownership_events_by_customer ON ownership_events (customer_id, seq);

-- Claim timers, worked by every replica's scheduler with FOR UPDATE SKIP LOCKED.
-- A row made stale by a later change is left in place: firing re-checks with
-- the claim and does nothing.
CREATE TABLE timers (
    claim_id      text        NOT NULL,
    name          text        NOT NULL,
    due_at        timestamptz NOT NULL,
    kind          text        NOT NULL,
    lead_seconds  bigint      NOT NULL DEFAULT 0,
    fired         boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (claim_id, name, due_at)
);
CREATE INDEX timers_due ON timers (due_at) WHERE NOT fired;
