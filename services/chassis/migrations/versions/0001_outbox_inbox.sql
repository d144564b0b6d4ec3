-- Events written in the business transaction, published by the relay after commit.
CREATE TABLE outbox (
    seq          bigserial PRIMARY KEY,
    event_id     uuid        NOT NULL UNIQUE,
    routing_key  text        NOT NULL,
    body         bytea       NOT NULL,
    headers      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- One row per (consumer, message) already handled: the de-duplication key,
-- inserted in the same transaction as the handler's effect.
CREATE TABLE inbox (
    consumer     text        NOT NULL,
    message_id   text        NOT NULL,
    event_type   text        NOT NULL DEFAULT '',
    handled_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);
CREATE INDEX inbox_handled_at ON inbox (handled_at);

-- Idempotent request ids for mutating RPCs: a retry returns the first answer.
CREATE TABLE idempotency (
    request_id   text        NOT NULL,
    method       text        NOT NULL,
    caller       text        NOT NULL,
    response     bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (method, caller, request_id)
);
CREATE INDEX idempotency_created_at ON idempotency (created_at);
