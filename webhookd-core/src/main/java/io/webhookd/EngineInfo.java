package io.webhookd;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * An engine as the shared store knows it: what {@code GET /1/Engines} lists. Each engine writes its
 * own entry when it starts and every few seconds while it runs, and removes it when it closes; an
 * engine that died stops updating {@link #lastSeen()}. Immutable.
 *
 * @param id the engine's id ({@link Webhookd#engineId()})
 * @param host the host name of its process
 * @param startedAt when it started
 * @param lastSeen when it last wrote this entry
 * @param subscriptions how many subscriptions it ran then
 */
public record EngineInfo(String id, String host, Instant startedAt, Instant lastSeen, int subscriptions) {
  public EngineInfo {
    requireNonNull(id, "id");
    requireNonNull(host, "host");
    requireNonNull(startedAt, "startedAt");
    requireNonNull(lastSeen, "lastSeen");
    if (subscriptions < 0) {
      throw new IllegalArgumentException("subscriptions must not be negative, was " + subscriptions);
    }
  }
}
