/**
 * The webhookd server: configuration from {@code WEBHOOKD_*} variables and flags ({@link
 * io.webhookd.server.Main}), an embedded single-node Kafka broker for the quick start, the REST
 * API of DESIGN.md on Javalin, API-key authorization with per-client topic policies and row
 * filters, Prometheus metrics and health checks. Nothing here is a library API: the classes are
 * package-private, the entry point is {@code java -jar webhookd-server.jar}.
 */
@NullMarked
package io.webhookd.server;

import org.jspecify.annotations.NullMarked;
