-- What a producer's business transaction writes next to its outbox rows.
CREATE TABLE writes (
    id           bigserial   PRIMARY KEY,
    aggregate_id text        NOT NULL
);

-- What a consumer's handler does, once per event (the inbox guarantees it).
CREATE TABLE effects (
    id           bigserial   PRIMARY KEY,
    consumer     text        NOT NULL,
    aggregate_id text        NOT NULL,
    message_id   text        NOT NULL,
    amount       bigint      NOT NULL DEFAULT 0,
    handled_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
