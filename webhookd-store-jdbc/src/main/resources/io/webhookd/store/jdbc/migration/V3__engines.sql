-- webhookd-store-jdbc schema, version 3: the registry of engines (GET /1/Engines).
-- Each engine writes its row when it starts and every few seconds; it deletes it when it closes.

CREATE TABLE engines (
  id             VARCHAR(100) NOT NULL PRIMARY KEY,
  host           VARCHAR(255) NOT NULL,
  started_at     TIMESTAMP WITH TIME ZONE NOT NULL,
  last_seen      TIMESTAMP WITH TIME ZONE NOT NULL,
  subscriptions  INTEGER      NOT NULL
);
CREATE INDEX engines_last_seen ON engines (last_seen);
