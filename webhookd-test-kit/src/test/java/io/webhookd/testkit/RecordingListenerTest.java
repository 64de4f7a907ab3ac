package io.webhookd.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.webhookd.Health;
import io.webhookd.spi.DeliveryResult;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RecordingListenerTest {

  private final RecordingListener listener = new RecordingListener();

  @Test
  @DisplayName("records every event in order and answers queries by type and subscription")
  void recordsEvents() {
    DeliveryResult ok = DeliveryResult.response(200, Map.of(), "", Duration.ZERO);
    listener.started("a");
    listener.batchStarted("a", "b1", 3);
    listener.batchDelivered("a", "b1", 3, ok);
    listener.started("b");
    listener.healthChanged("b", Health.HEALTHY, Health.UNHEALTHY);

    assertThat(listener.events())
        .containsExactly(
            new RecordingListener.Started("a"),
            new RecordingListener.BatchStarted("a", "b1", 3),
            new RecordingListener.BatchDelivered("a", "b1", 3, ok),
            new RecordingListener.Started("b"),
            new RecordingListener.HealthChanged("b", Health.HEALTHY, Health.UNHEALTHY));
    assertThat(listener.events(RecordingListener.Started.class)).hasSize(2);
    assertThat(listener.eventsFor("a")).hasSize(3);
    assertThat(listener.healthChanges("b")).singleElement().extracting(RecordingListener.HealthChanged::to).isEqualTo(Health.UNHEALTHY);
    assertThat(listener.deliveredMessageCount("a")).isEqualTo(3);
  }

  @Test
  @DisplayName("await returns an event heard later on another thread, and fails listing what was heard")
  void awaitsEvents() {
    CompletableFuture<Void> later = CompletableFuture.runAsync(() -> listener.stopped("a", "closing"));

    RecordingListener.Stopped stopped =
        listener.await(RecordingListener.Stopped.class, e -> e.subscriptionId().equals("a"), Duration.ofSeconds(30));

    assertThat(stopped.reason()).isEqualTo("closing");
    later.join();
    assertThatThrownBy(() -> listener.await(RecordingListener.Started.class, e -> true, Duration.ofMillis(100)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("Started")
        .hasMessageContaining("closing");
  }
}
