-- The charts' read model, kept from crm.protection.events.v1.* and the customer
-- service's CustomerCreated, CustomerUpdated (archiving, region) and FollowUpLogged
-- (services/gateway/entrypoints/chart_events.py); never from another service's
-- tables. Each message is handled once (the chassis's inbox table, consumer
-- GATEWAY_SERVICE_NAME); every table is also keyed so that the same fact applied
-- twice counts once, and claim states carry the claim's version so an older
-- state arriving late changes no current value.
-- Days (``day`` columns) are calendar days at GATEWAY_CHART_UTC_OFFSET_HOURS.

-- One row per customer heard of: its sales region and the row every change of
-- the customer locks first (so its pool history is recomputed by one writer).
CREATE TABLE chart_customers (
    customer_id   text PRIMARY KEY,
    sales_region  text NOT NULL DEFAULT '',
    created_at    timestamptz
);

-- Each claim's latest state (highest version): the claims-expiring chart.
-- stage: pending_review, rejected, potential, intention, formal, ended.
CREATE TABLE chart_claims (
    claim_id          text PRIMARY KEY,
    customer_id       text NOT NULL,
    owner_id          text NOT NULL DEFAULT '',
    owner_department  text NOT NULL DEFAULT '',
    owner_name        text NOT NULL DEFAULT '',
    sales_region      text NOT NULL DEFAULT '',
    stage             text NOT NULL,
    expires_at        timestamptz,
    version           bigint NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX chart_claims_live_expiry ON chart_claims (expires_at)
    WHERE stage IN ('pending_review', 'rejected', 'potential', 'intention');

-- What each customer's events said about whether it may be in the public pool
-- (services/gateway/domain/charts.py, pool_changes): kind 'claim' (flag: a claim
-- protects it; ordered by claim id, then version; CustomerCreated is ('', 0):
-- unprotected, before every claim), 'presence' (flag: not archived; ordered by the
-- customer's version), 'formal' (flag: formal, for good). In the pool: unprotected,
-- present, not formal, as protection lists its pool.
CREATE TABLE chart_pool_facts (
    customer_id   text   NOT NULL,
    kind          text   NOT NULL,
    claim_id      text   NOT NULL,
    version       bigint NOT NULL,
    at            timestamptz NOT NULL,
    sales_region  text   NOT NULL,
    flag          boolean NOT NULL,
    PRIMARY KEY (customer_id, kind, claim_id, version)
);

-- The pool's size per sales region as changes per day (entries minus exits, from
-- every customer's facts above): the size at the end of day D is the sum of
-- the deltas up to D.
CREATE TABLE chart_pool_days (
    sales_region  text   NOT NULL,
    day           date   NOT NULL,
    delta         bigint NOT NULL,
    PRIMARY KEY (sales_region, day)
);
CREATE INDEX chart_pool_days_by_day ON chart_pool_days (day);

-- When a customer reached a funnel stage: 'created' (claim_id ''), and per claim
-- 'potential', 'intention', 'formal' (a formal customer nobody held: claim_id '').
-- The earliest time seen wins.
CREATE TABLE chart_stages (
    customer_id   text NOT NULL,
    claim_id      text NOT NULL,
    stage         text NOT NULL,
    sales_region  text NOT NULL DEFAULT '',
    reached_at    timestamptz NOT NULL,
    day           date NOT NULL,
    PRIMARY KEY (customer_id, claim_id, stage)
);
CREATE INDEX chart_stages_by_day ON chart_stages (day, stage);

-- What each person did, once per thing done: kind 'claim' (ref: the claim),
-- 'promotion' (ref: the claim promoted, counted for its owner), 'follow_up'
-- (ref: the follow-up, counted for its author on the day it happened).
CREATE TABLE chart_activity (
    kind     text NOT NULL,
    ref_id   text NOT NULL,
    user_id  text NOT NULL,
    at       timestamptz NOT NULL,
    day      date NOT NULL,
    PRIMARY KEY (kind, ref_id)
);
CREATE INDEX chart_activity_by_day ON chart_activity (day, user_id);
