/**
 * {@link io.webhookd.store.jdbc.JdbcSubscriptionStore}: subscriptions, health, activity, delivery
 * history, admin state and alert claims in H2 (embedded) or PostgreSQL, with secrets encrypted at
 * rest and the schema migrated by Flyway.
 */
@NullMarked
package io.webhookd.store.jdbc;

import org.jspecify.annotations.NullMarked;
