/**
 * The JSON documents of webhookd's REST API and of its stores, mapped with Jackson 2: the
 * subscription document, {@code WebhookStatus}, {@code WebhookAdmin} and the admin request,
 * activity events, health snapshots and validation errors. Used by the example server and the JDBC
 * store; an application that keeps subscriptions as JSON may use it too. It is its own module so
 * that webhookd-core's API (packages {@code io.webhookd} and {@code io.webhookd.spi}) has no
 * Jackson type.
 */
@NullMarked
package io.webhookd.json;

import org.jspecify.annotations.NullMarked;
