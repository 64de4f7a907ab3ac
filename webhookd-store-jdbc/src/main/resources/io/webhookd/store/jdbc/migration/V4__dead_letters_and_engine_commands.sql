-- webhookd-store-jdbc schema, version 4: dead letters, and commands between engines sharing the
-- store. Runs on H2 2.x and PostgreSQL 12+ through two placeholders the store sets per database:
--   webhookd_ids_collate: COLLATE "C" on PostgreSQL, so that ids compare and sort byte by byte,
--     as Java's String order does, whatever the database's collation; empty on H2 (binary already)
--   webhookd_large_text: TEXT on PostgreSQL, CHARACTER LARGE OBJECT on H2 (whose VARCHAR stops
--     at 1,000,000 characters, less than a large Kafka message once encrypted)

-- One row per dead-lettered message. message is the wire format's message object, encrypted by the
-- application like the subscriptions' secrets (enc:v1:<key id>:..., the subscription id and the
-- dead letter id as associated data): it is the customer's data, kept here past Kafka's retention.
CREATE TABLE dead_letters (
  id               VARCHAR(64) ${webhookd_ids_collate} NOT NULL PRIMARY KEY,
  subscription_id  VARCHAR(64)  NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
  topic            VARCHAR(255) NOT NULL,
  kafka_partition  INTEGER      NOT NULL,
  kafka_offset     BIGINT       NOT NULL,
  kafka_timestamp  TIMESTAMP WITH TIME ZONE NOT NULL,
  message          ${webhookd_large_text} NOT NULL,
  status_code      INTEGER,
  error            VARCHAR,
  attempts         INTEGER      NOT NULL,
  batch_id         VARCHAR(200) NOT NULL,
  reason           VARCHAR(32)  NOT NULL,
  dead_lettered_at TIMESTAMP WITH TIME ZONE NOT NULL
);
-- a subscription's page is a range scan of this index (subscription_id = ? AND id > ? ORDER BY id)
CREATE INDEX dead_letters_by_subscription ON dead_letters (subscription_id, id);
-- retention by age
CREATE INDEX dead_letters_by_time ON dead_letters (dead_lettered_at);

-- No foreign key: a command outlives nothing it needs (it expires), and removeCommands prunes it.
CREATE TABLE engine_commands (
  id              VARCHAR(64)  NOT NULL PRIMARY KEY,
  subscription_id VARCHAR(64)  NOT NULL,
  kind            VARCHAR(32)  NOT NULL,
  argument        VARCHAR,
  created_at      TIMESTAMP WITH TIME ZONE NOT NULL,
  expires_at      TIMESTAMP WITH TIME ZONE NOT NULL,
  result          VARCHAR
);
CREATE INDEX engine_commands_created ON engine_commands (created_at, id);
