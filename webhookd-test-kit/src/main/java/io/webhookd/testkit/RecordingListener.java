package io.webhookd.testkit;

import static java.util.Objects.requireNonNull;

import io.webhookd.Health;
import io.webhookd.spi.DeliveryResult;
import io.webhookd.spi.SubscriptionListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A {@link SubscriptionListener} that records every event, in the order they were heard, for tests
 * to query. Recording is cheap and never blocks for long, so it is safe on consumer threads.
 *
 * <pre>{@code
 * RecordingListener events = new RecordingListener();
 * ... Webhookd.builder().listener(events) ...
 * events.await(RecordingListener.HealthChanged.class,
 *     e -> e.to() == Health.UNHEALTHY, Duration.ofSeconds(30));
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class RecordingListener implements SubscriptionListener {

  /** One recorded event. */
  public sealed interface Event
      permits Started,
          Stopped,
          BatchStarted,
          BatchDelivered,
          BatchFailed,
          BatchAbandoned,
          HealthChanged {
    /** The subscription the event is about. */
    String subscriptionId();
  }

  /** {@link SubscriptionListener#started}. */
  public record Started(String subscriptionId) implements Event {}

  /** {@link SubscriptionListener#stopped}. */
  public record Stopped(String subscriptionId, String reason) implements Event {}

  /** {@link SubscriptionListener#batchStarted}. */
  public record BatchStarted(String subscriptionId, String batchId, int size) implements Event {}

  /** {@link SubscriptionListener#batchDelivered}. */
  public record BatchDelivered(String subscriptionId, String batchId, int size, DeliveryResult result)
      implements Event {}

  /** {@link SubscriptionListener#batchFailed}. */
  public record BatchFailed(
      String subscriptionId, String batchId, int attempt, DeliveryResult result, long retryInMillis)
      implements Event {}

  /** {@link SubscriptionListener#batchAbandoned}. */
  public record BatchAbandoned(String subscriptionId, String batchId, String reason) implements Event {}

  /** {@link SubscriptionListener#healthChanged}. */
  public record HealthChanged(String subscriptionId, Health from, Health to) implements Event {}

  private final List<Event> events = new ArrayList<>();

  /** A listener that has heard nothing yet. */
  public RecordingListener() {}

  @Override
  public void started(String subscriptionId) {
    record(new Started(subscriptionId));
  }

  @Override
  public void stopped(String subscriptionId, String reason) {
    record(new Stopped(subscriptionId, reason));
  }

  @Override
  public void batchStarted(String subscriptionId, String batchId, int size) {
    record(new BatchStarted(subscriptionId, batchId, size));
  }

  @Override
  public void batchDelivered(String subscriptionId, String batchId, int size, DeliveryResult result) {
    record(new BatchDelivered(subscriptionId, batchId, size, result));
  }

  @Override
  public void batchFailed(
      String subscriptionId, String batchId, int attempt, DeliveryResult result, long retryInMillis) {
    record(new BatchFailed(subscriptionId, batchId, attempt, result, retryInMillis));
  }

  @Override
  public void batchAbandoned(String subscriptionId, String batchId, String reason) {
    record(new BatchAbandoned(subscriptionId, batchId, reason));
  }

  @Override
  public void healthChanged(String subscriptionId, Health from, Health to) {
    record(new HealthChanged(subscriptionId, from, to));
  }

  private void record(Event e) {
    synchronized (events) {
      events.add(e);
      events.notifyAll();
    }
  }

  /** Every event so far, oldest first. */
  public List<Event> events() {
    synchronized (events) {
      return List.copyOf(events);
    }
  }

  /** Every event of one type so far, oldest first. */
  public <T extends Event> List<T> events(Class<T> type) {
    requireNonNull(type, "type");
    return events().stream().filter(type::isInstance).map(type::cast).toList();
  }

  /** Every event about one subscription so far, oldest first. */
  public List<Event> eventsFor(String subscriptionId) {
    requireNonNull(subscriptionId, "subscriptionId");
    return events().stream().filter(e -> e.subscriptionId().equals(subscriptionId)).toList();
  }

  /** Every event of one type about one subscription so far, oldest first. */
  public <T extends Event> List<T> events(String subscriptionId, Class<T> type) {
    return events(type).stream().filter(e -> e.subscriptionId().equals(subscriptionId)).toList();
  }

  /** The health changes of a subscription so far, oldest first. */
  public List<HealthChanged> healthChanges(String subscriptionId) {
    return events(subscriptionId, HealthChanged.class);
  }

  /** The sum of the sizes of a subscription's delivered batches (a batch retried and delivered counts once). */
  public int deliveredMessageCount(String subscriptionId) {
    return events(subscriptionId, BatchDelivered.class).stream().mapToInt(BatchDelivered::size).sum();
  }

  /**
   * Waits for the first event of {@code type} that matches {@code condition}, recorded before or
   * during the wait.
   *
   * @throws AssertionError when none arrives within {@code timeout}, listing what was recorded
   */
  public <T extends Event> T await(Class<T> type, Predicate<? super T> condition, Duration timeout) {
    requireNonNull(type, "type");
    requireNonNull(condition, "condition");
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (events) {
      while (true) {
        for (Event e : events) {
          if (type.isInstance(e) && condition.test(type.cast(e))) {
            return type.cast(e);
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError(
              "timed out after "
                  + timeout.toMillis()
                  + " ms waiting for a matching "
                  + type.getSimpleName()
                  + "; recorded: "
                  + events);
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(events, left);
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
          throw new AssertionError("interrupted while waiting for " + type.getSimpleName(), ex);
        }
      }
    }
  }

  /** Forgets every recorded event. */
  public void clear() {
    synchronized (events) {
      events.clear();
    }
  }

  @Override
  public String toString() {
    return "RecordingListener" + events();
  }
}
