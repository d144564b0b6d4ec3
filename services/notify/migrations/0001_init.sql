-- Notify: messages (inbox, e-mail, SMS) and their read marks; the read model kept
-- from events (customers, contacts, contracts); opt-outs, preferences,
-- campaigns, webhook subscriptions and deliveries; periodic jobs.

CREATE TABLE messages (
    id               uuid PRIMARY KEY,
    channel          text NOT NULL,
    kind             text NOT NULL,
    recipient        text NOT NULL,
    address          text NOT NULL DEFAULT '',
    subject          text NOT NULL DEFAULT '',
    body             text NOT NULL DEFAULT '',
    cause            text NOT NULL,
    supersede_key    text,
    customer_facing  boolean NOT NULL DEFAULT false,
    subject_type     text NOT NULL DEFAULT '',
    subject_id       text NOT NULL DEFAULT '',
    template_code    text NOT NULL DEFAULT '',
    params           jsonb NOT NULL DEFAULT '{}',
    campaign_id      uuid,
    status           text NOT NULL,
    created_at       timestamptz NOT NULL,
    due_at           timestamptz NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    leased_until     timestamptz,
    last_error       text NOT NULL DEFAULT '',
    provider_id      text NOT NULL DEFAULT '',
    sent_at          timestamptz,
    delivered_at     timestamptz,
    -- One message per recipient, channel and cause: a fact seen twice plans once.
    UNIQUE (recipient, channel, cause)
);
CREATE INDEX messages_due ON messages (due_at) WHERE status IN ('SCHEDULED', 'QUEUED');
CREATE INDEX messages_inbox ON messages (recipient, created_at DESC, id DESC)
    WHERE channel = 'IN_APP' AND status = 'SENT';
CREATE INDEX messages_supersede ON messages (supersede_key)
    WHERE status IN ('SCHEDULED', 'QUEUED') AND supersede_key IS NOT NULL;
CREATE INDEX messages_about ON messages (subject_type, subject_id)
    WHERE status IN ('SCHEDULED', 'QUEUED');
CREATE INDEX messages_provider ON messages (provider_id) WHERE provider_id <> '';
CREATE INDEX messages_campaign ON messages (campaign_id, status) WHERE campaign_id IS NOT NULL;
CREATE INDEX messages_status ON messages (status, channel, created_at DESC, id DESC);

CREATE TABLE inbox_reads (
    user_id     text NOT NULL,
    message_id  uuid NOT NULL REFERENCES messages (id),
    read_at     timestamptz NOT NULL,
    PRIMARY KEY (user_id, message_id)
);

CREATE TABLE customers (
    id                uuid PRIMARY KEY,
    name              text NOT NULL DEFAULT '',
    sales_region      text NOT NULL DEFAULT '',
    customer_version  bigint NOT NULL DEFAULT 0,
    owner_id          text,
    owner_name        text NOT NULL DEFAULT '',
    owner_claim_id    text,
    owner_version     bigint NOT NULL DEFAULT 0,
    signed            boolean NOT NULL DEFAULT false,
    archived          boolean NOT NULL DEFAULT false,
    last_contact_at   timestamptz,
    cadence_due_at    timestamptz
);
CREATE INDEX customers_cadence ON customers (cadence_due_at) WHERE cadence_due_at IS NOT NULL;
CREATE INDEX customers_region ON customers (sales_region, signed);

CREATE TABLE contacts (
    id               uuid PRIMARY KEY,
    customer_id      uuid NOT NULL,
    name             text NOT NULL DEFAULT '',
    mobile           text NOT NULL DEFAULT '',
    email            text NOT NULL DEFAULT '',
    birthday         date,
    reminder_due_at  timestamptz,
    greeting_due_at  timestamptz
);
CREATE INDEX contacts_customer ON contacts (customer_id);
CREATE INDEX contacts_reminder ON contacts (reminder_due_at) WHERE reminder_due_at IS NOT NULL;
CREATE INDEX contacts_greeting ON contacts (greeting_due_at) WHERE greeting_due_at IS NOT NULL;

CREATE TABLE contracts (
    id                uuid PRIMARY KEY,
    customer_id       uuid NOT NULL,
    number            text NOT NULL DEFAULT '',
    owner_id          text NOT NULL DEFAULT '',
    amount_fen        bigint NOT NULL DEFAULT 0,
    paid_fen          bigint NOT NULL DEFAULT 0,
    payment_due_date  date,
    closed            boolean NOT NULL DEFAULT false
);

CREATE TABLE opt_outs (
    address     text PRIMARY KEY,
    opted_out   boolean NOT NULL,
    reason      text NOT NULL DEFAULT '',
    changed_at  timestamptz NOT NULL
);

CREATE TABLE preferences (
    user_id  text PRIMARY KEY,
    email    text NOT NULL DEFAULT '',
    mobile   text NOT NULL DEFAULT '',
    locale   text NOT NULL DEFAULT 'zh-CN',
    kinds    jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE campaigns (
    id                 uuid PRIMARY KEY,
    name               text NOT NULL,
    channel            text NOT NULL,
    subject            text NOT NULL DEFAULT '',
    body               text NOT NULL,
    sms_template_code  text NOT NULL DEFAULT '',
    segment            jsonb NOT NULL,
    scheduled_at       timestamptz NOT NULL,
    rate_per_second    integer NOT NULL DEFAULT 0,
    status             text NOT NULL,
    recipients         bigint NOT NULL DEFAULT 0,
    materialized       boolean NOT NULL DEFAULT false,
    created_by         text NOT NULL,
    created_at         timestamptz NOT NULL,
    version            bigint NOT NULL
);
CREATE INDEX campaigns_due ON campaigns (scheduled_at) WHERE status = 'SCHEDULED';

CREATE TABLE webhook_subscriptions (
    id                    uuid PRIMARY KEY,
    url                   text NOT NULL,
    secret                text NOT NULL,
    event_types           text[] NOT NULL,
    enabled               boolean NOT NULL DEFAULT true,
    consecutive_failures  integer NOT NULL DEFAULT 0,
    disabled_reason       text NOT NULL DEFAULT '',
    created_by            text NOT NULL,
    created_at            timestamptz NOT NULL
);

CREATE TABLE webhook_deliveries (
    id                uuid PRIMARY KEY,
    subscription_id   uuid NOT NULL REFERENCES webhook_subscriptions (id),
    event_id          text NOT NULL,
    event_type        text NOT NULL,
    body              bytea NOT NULL,
    status            text NOT NULL,
    attempts          integer NOT NULL DEFAULT 0,
    last_http_status  integer NOT NULL DEFAULT 0,
    last_error        text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL,
    next_attempt_at   timestamptz NOT NULL,
    leased_until      timestamptz,
    delivered_at      timestamptz,
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'QUEUED';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (subscription_id, created_at DESC, id);

-- Periodic work (holiday greetings): one row per job, its next run.
CREATE TABLE jobs (
    name    text PRIMARY KEY,
    due_at  timestamptz NOT NULL
);
