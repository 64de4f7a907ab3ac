-- The sample application's own schema, migrated by Spring Boot's Flyway beside webhookd's tables.
CREATE TABLE orders (id BIGINT PRIMARY KEY, customer VARCHAR(100) NOT NULL, amount INT NOT NULL);
