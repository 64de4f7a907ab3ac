-- An application's own first migration, where Flyway looks by default (classpath:db/migration):
-- ApplicationFlywayTest migrates it beside webhookd's schema on one DataSource.
CREATE TABLE orders (id BIGINT PRIMARY KEY, amount INT NOT NULL);
