-- Gateway: the people who sign in, their failed and successful sign-ins (for
-- throttling), and the console's sessions (refresh cookies).

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    username       text NOT NULL,
    password_hash  text NOT NULL,
    display_name   text NOT NULL,
    roles          text[] NOT NULL DEFAULT '{}',
    sales_region   text NOT NULL DEFAULT '',
    department     text NOT NULL DEFAULT '',
    -- The org unit above the sales region: a large region for a large-region
    -- key-account department, 'hq' for HQ roles.
    org_unit       text NOT NULL DEFAULT '',
    disabled       boolean NOT NULL DEFAULT false,
    version        bigint NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    password_changed_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_username ON users (username);

CREATE TABLE login_attempts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username   text NOT NULL,
    client     text NOT NULL,
    succeeded  boolean NOT NULL,
    at         timestamptz NOT NULL
);
CREATE INDEX login_attempts_username ON login_attempts (username, at);
CREATE INDEX login_attempts_client ON login_attempts (client, at) WHERE NOT succeeded;

CREATE TABLE sessions (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id),
    -- sha256 of the refresh secret: a stolen table does not give live cookies.
    refresh_hash  bytea NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    last_used_at  timestamptz NOT NULL,
    revoked_at    timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;
CREATE INDEX sessions_expires ON sessions (expires_at);
