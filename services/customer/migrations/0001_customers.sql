-- Trigram and btree_gin operator classes live in public so every schema shares them.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE SEQUENCE customer_code_seq;

CREATE TABLE customers (
    id                   uuid        PRIMARY KEY,
    code                 text        NOT NULL UNIQUE,
    name                 text        NOT NULL,
    normalized_name      text        NOT NULL,
    -- Search keys (domain.normalize.search_keys): 2-character grams of the
    -- normalised name, pinyin initials and their grams, Latin words.
    name_bigrams         text[]      NOT NULL,
    pinyin_initials      text        NOT NULL DEFAULT '',
    initials_bigrams     text[]      NOT NULL DEFAULT '{}',
    latin                text        NOT NULL DEFAULT '',
    legal_form           text,
    credit_code          text,
    address              text        NOT NULL,
    industry             text        NOT NULL,
    mobile               text,
    landline             text,
    email                text,
    fax                  text,
    country              text,
    region               text,
    website              text,
    level                text,
    introduction         text        NOT NULL,
    registered_by        text        NOT NULL,
    department           text        NOT NULL DEFAULT '',
    sales_region         text        NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    archived             boolean     NOT NULL DEFAULT false,
    archived_reason      text,
    last_contact_at      timestamptz,
    next_contact_at      timestamptz,
    last_follow_up_id    uuid,
    last_deal_at         timestamptz,
    customer_value_fen   bigint      NOT NULL DEFAULT 0,
    abc_class            text,
    vip                  boolean     NOT NULL DEFAULT false,
    formal               boolean     NOT NULL DEFAULT false,
    -- Owner read model, fed by protection events (empty until they arrive).
    owner_id             text,
    owner_department     text,
    ownership_stage      text        NOT NULL DEFAULT 'in_pool',
    ownership_expires_at timestamptz,
    claim_id             text,
    ownership_version    bigint      NOT NULL DEFAULT 0,
    version              bigint      NOT NULL DEFAULT 1
);

-- Duplicate keys: the unique indexes are the race-safe check.
CREATE UNIQUE INDEX customers_normalized_name_key ON customers (normalized_name);
CREATE UNIQUE INDEX customers_credit_code_key ON customers (credit_code)
    WHERE credit_code IS NOT NULL;
-- Collision search.
CREATE INDEX customers_name_prefix ON customers (normalized_name text_pattern_ops);
CREATE INDEX customers_name_bigrams ON customers USING gin (name_bigrams);
CREATE INDEX customers_initials_bigrams ON customers USING gin (initials_bigrams);
-- Lists and the reminder list.
CREATE INDEX customers_owner ON customers (owner_id, next_contact_at) WHERE owner_id IS NOT NULL;
CREATE INDEX customers_registrar_due ON customers (registered_by, next_contact_at)
    WHERE next_contact_at IS NOT NULL;

-- Customer phone numbers (mobile and landline, normalised): one customer per number.
-- Contacts' phones are deliberately not here: a contact may work for several customers.
CREATE TABLE customer_phones (
    phone       text PRIMARY KEY,
    customer_id uuid NOT NULL REFERENCES customers (id)
);
CREATE INDEX customer_phones_customer ON customer_phones (customer_id);

CREATE TABLE customer_contacts (
    id          uuid        PRIMARY KEY,
    customer_id uuid        NOT NULL REFERENCES customers (id),
    name        text        NOT NULL,
    title       text,
    mobile      text,
    phone       text,
    email       text,
    birthday    date,
    notes       text,
    created_at  timestamptz NOT NULL,
    created_by  text        NOT NULL
);
CREATE INDEX customer_contacts_customer ON customer_contacts (customer_id, id);

CREATE TABLE follow_ups (
    id              uuid        PRIMARY KEY,
    customer_id     uuid        NOT NULL REFERENCES customers (id),
    contact_id      uuid        REFERENCES customer_contacts (id),
    channel         text        NOT NULL,
    notes           text        NOT NULL,
    outcome         text,
    occurred_at     timestamptz NOT NULL,
    next_contact_at timestamptz,
    author_id       text        NOT NULL
);
CREATE INDEX follow_ups_customer ON follow_ups (customer_id, id);

CREATE TABLE customer_audit (
    id          uuid        PRIMARY KEY,
    customer_id uuid        NOT NULL,
    actor_id    text        NOT NULL,
    at          timestamptz NOT NULL,
    action      text        NOT NULL,
    changes     jsonb       NOT NULL DEFAULT '[]'
);
CREATE INDEX customer_audit_customer ON customer_audit (customer_id, id);
