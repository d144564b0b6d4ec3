-- Dealers (经销商): where class A/B leads are dispatched. A dealer's user id is its id.
CREATE TABLE dealers (
    id            uuid PRIMARY KEY,
    name          text NOT NULL,
    region        text NOT NULL DEFAULT '',
    contact_name  text NOT NULL DEFAULT '',
    contact_phone text NOT NULL DEFAULT '',
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL
);
CREATE INDEX dealers_region_idx ON dealers (region, id);

-- Call-center leads (DOMAIN 1.6). Never deleted: there is no DELETE path at all.
CREATE TABLE leads (
    id                  uuid PRIMARY KEY,
    name                text NOT NULL,
    normalized_name     text NOT NULL,
    name_bigrams        text[] NOT NULL DEFAULT '{}',
    pinyin_initials     text NOT NULL DEFAULT '',
    initials_bigrams    text[] NOT NULL DEFAULT '{}',
    gender              text NOT NULL,
    province            text NOT NULL,
    city                text NOT NULL,
    product_of_interest text NOT NULL,
    expected_purchase   text NOT NULL,
    mobile              text,
    landline            text,
    address             text,
    postcode            text,
    email               text,
    remarks             text,
    lead_class          text,
    -- The class requires dispatch (A/B by default), fixed at creation.
    class_requires_dispatch boolean NOT NULL DEFAULT false,
    status              text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'dispatched')),
    dealer_id           uuid REFERENCES dealers (id),
    dispatched_by       text,
    dispatched_at       timestamptz,
    created_by          text NOT NULL,
    created_at          timestamptz NOT NULL
);
CREATE INDEX leads_name_bigrams_idx ON leads USING gin (name_bigrams);
CREATE INDEX leads_pinyin_initials_idx ON leads (pinyin_initials text_pattern_ops);
CREATE INDEX leads_initials_bigrams_idx ON leads USING gin (initials_bigrams);
CREATE INDEX leads_normalized_name_idx ON leads (normalized_name text_pattern_ops);
CREATE INDEX leads_mobile_idx ON leads (mobile) WHERE mobile IS NOT NULL;
CREATE INDEX leads_landline_idx ON leads (landline) WHERE landline IS NOT NULL;
CREATE INDEX leads_created_by_idx ON leads (created_by, id);
CREATE INDEX leads_dispatched_by_idx ON leads (dispatched_by, id) WHERE dispatched_by IS NOT NULL;
CREATE INDEX leads_dealer_idx ON leads (dealer_id, id) WHERE dealer_id IS NOT NULL;
CREATE INDEX leads_awaiting_dispatch_idx ON leads (id)
    WHERE class_requires_dispatch AND dealer_id IS NULL;

-- One row per normalised phone number: the unique key refuses a second lead with
-- the same number even when two agents save at the same instant.
CREATE TABLE lead_phones (
    phone   text PRIMARY KEY,
    lead_id uuid NOT NULL REFERENCES leads (id)
);

-- Columns of the customer record that signing and classification maintain
-- (created by 0001; repeated here so this revision states what it relies on).
ALTER TABLE customers ADD COLUMN IF NOT EXISTS formal boolean NOT NULL DEFAULT false;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS last_deal_at timestamptz;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS customer_value_fen bigint NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS abc_class text;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS vip boolean NOT NULL DEFAULT false;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS vip_basis text;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS vip_nominated boolean NOT NULL DEFAULT false;

-- Contract numbers "<prefix>-<year>-<seq>": one sequence, never reused.
CREATE SEQUENCE contract_number_seq;

CREATE TABLE contracts (
    id                  uuid PRIMARY KEY,
    number              text NOT NULL UNIQUE,
    customer_id         uuid NOT NULL REFERENCES customers (id),
    status              text NOT NULL DEFAULT 'reserved'
        CHECK (status IN ('reserved', 'draft', 'signed', 'fulfilled', 'breached', 'cancelled')),
    contract_type       text NOT NULL DEFAULT '',
    signing_date        date,
    payment_method      text NOT NULL DEFAULT '',
    buyer               text NOT NULL DEFAULT '',
    extras_and_promises text[] NOT NULL DEFAULT '{}',
    main_terms          text NOT NULL DEFAULT '',
    start_date          date,
    end_date            date,
    signatory           text NOT NULL DEFAULT '',
    amount_fen          bigint NOT NULL DEFAULT 0,
    premium_amount_fen  bigint NOT NULL DEFAULT 0,
    deposit_fen         bigint NOT NULL DEFAULT 0,
    payment_due_date    date,
    delivery_due_date   date,
    paid_fen            bigint NOT NULL DEFAULT 0,
    delivered           boolean NOT NULL DEFAULT false,
    created_by          text NOT NULL,
    created_at          timestamptz NOT NULL,
    signed_by           text,
    signed_at           timestamptz,
    closed_at           timestamptz,
    -- Timer: the instant the next unmet due date passes (end of that date in
    -- company time); set while the contract is signed, NULL otherwise.
    next_due_at         timestamptz,
    version             bigint NOT NULL DEFAULT 1
);
CREATE INDEX contracts_customer_idx ON contracts (customer_id, id);
CREATE INDEX contracts_due_idx ON contracts (next_due_at) WHERE status = 'signed';

CREATE TABLE contract_lines (
    contract_id    uuid NOT NULL REFERENCES contracts (id),
    position       integer NOT NULL,
    product        text NOT NULL,
    quantity       bigint NOT NULL CHECK (quantity > 0),
    unit_price_fen bigint NOT NULL CHECK (unit_price_fen >= 0),
    amount_fen     bigint NOT NULL,
    premium        boolean NOT NULL DEFAULT false,
    PRIMARY KEY (contract_id, position)
);

CREATE TABLE payments (
    id          uuid PRIMARY KEY,
    contract_id uuid NOT NULL REFERENCES contracts (id),
    method      text NOT NULL,
    paid_on     date NOT NULL,
    amount_fen  bigint NOT NULL CHECK (amount_fen > 0),
    handler     text NOT NULL,
    account     text NOT NULL DEFAULT '',
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL
);
CREATE INDEX payments_contract_idx ON payments (contract_id, id);

CREATE TABLE deliveries (
    id           uuid PRIMARY KEY,
    contract_id  uuid NOT NULL REFERENCES contracts (id),
    delivered_on date NOT NULL,
    description  text NOT NULL DEFAULT '',
    complete     boolean NOT NULL DEFAULT false,
    recorded_by  text NOT NULL,
    recorded_at  timestamptz NOT NULL
);
CREATE INDEX deliveries_contract_idx ON deliveries (contract_id, id);
