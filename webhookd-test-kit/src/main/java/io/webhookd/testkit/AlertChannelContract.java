package io.webhookd.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.webhookd.spi.Alert;
import io.webhookd.spi.AlertChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What every {@link AlertChannel} must do: the clauses of the interface's Javadoc. The engine calls
 * {@code send} from a background thread and retries an alert whose future failed, so a channel
 * must never throw from {@code send}, must complete its future (normally once the alert is on its
 * way, exceptionally when it could not be sent) and must be thread-safe.
 *
 * <p>A channel's test extends this class and supplies {@link #createChannel()} and what arrived at
 * the far end ({@link #received()}: one text per alert, such as a mail's subject and body); to have
 * the failure clause checked, it overrides {@link #breakChannel()} to make sends fail (stop the
 * mail server, say).
 *
 * <pre>{@code
 * class SmtpAlertChannelContractTest extends AlertChannelContract {
 *   @RegisterExtension GreenMailExtension mail = new GreenMailExtension(ServerSetupTest.SMTP);
 *
 *   protected AlertChannel createChannel() { return SmtpAlertChannel.builder().host("127.0.0.1")...build(); }
 *   protected List<String> received() { ... subject and body of each message of mail.getReceivedMessages() ... }
 *   protected void breakChannel() { mail.stop(); }
 * }
 * }</pre>
 */
public abstract class AlertChannelContract {

  /** How long a test waits for an alert to be sent or to arrive. */
  protected static final Duration AWAIT = Duration.ofSeconds(30);

  /** The channel under test: fresh for each test, closed after it. */
  protected AlertChannel channel;

  /** A new channel; called once before each test. */
  protected abstract AlertChannel createChannel();

  /**
   * What arrived at the far end so far, one text per alert (for mail: subject and body), in the
   * order it arrived. An alert that went to several recipients counts once per copy.
   */
  protected abstract List<String> received();

  /**
   * Makes every following send fail (stop the server the channel sends to). The default does not
   * know how: the clause that needs it is skipped.
   */
  protected void breakChannel() {
    Assumptions.abort("this channel's test does not say how to make it fail (breakChannel)");
  }

  @BeforeEach
  void createChannelUnderTest() {
    channel = createChannel();
  }

  @AfterEach
  void closeChannelUnderTest() {
    if (channel != null) {
      channel.close();
    }
  }

  @Test
  @DisplayName("every kind of alert is sent: the future completes normally and the alert arrives, naming the subscription and what happened")
  void everyKindIsSent() {
    for (Alert.Kind kind : Alert.Kind.values()) {
      String name = "orders-" + kind.wireName();
      CompletableFuture<Void> sent = channel.send(alert(kind, name, "s-" + kind.wireName()));
      assertThat(sent).as("send(%s)", kind).succeedsWithin(AWAIT);
      awaitReceived(text -> text.contains(name), name);
    }
  }

  @Test
  @DisplayName("an alert without a last response, last success or consumer lag is sent too")
  void optionalFieldsMayBeAbsent() {
    Alert bare = new Alert(Alert.Kind.UNHEALTHY, "s-bare", "bare-subscription", "https://hooks.example.com/***", List.of("ops@example.com"),
        Instant.parse("2026-11-29T10:15:30Z"), null, null, null, null, "retrying every 5 minutes");

    assertThat(channel.send(bare)).succeedsWithin(AWAIT);

    awaitReceived(text -> text.contains("bare-subscription"), "bare-subscription");
  }

  @Test
  @DisplayName("is thread-safe: alerts sent from several threads at once are all sent and all arrive")
  void concurrentSends() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<CompletableFuture<Void>>> sent = new ArrayList<>();
    try {
      for (int i = 0; i < 8; i++) {
        String name = "concurrent-" + i;
        sent.add(pool.submit(() -> channel.send(alert(Alert.Kind.UNHEALTHY, name, "s-c" + name))));
      }
      for (Future<CompletableFuture<Void>> f : sent) {
        assertThat(f.get(AWAIT.toSeconds(), TimeUnit.SECONDS)).succeedsWithin(AWAIT);
      }
    } finally {
      pool.shutdownNow();
    }
    for (int i = 0; i < 8; i++) {
      String name = "concurrent-" + i;
      awaitReceived(text -> text.contains(name), name);
    }
  }

  @Test
  @DisplayName("when the alert cannot be sent, send does not throw and its future completes exceptionally (so the engine retries it)")
  void failureCompletesExceptionally() {
    breakChannel();

    AtomicReference<CompletableFuture<Void>> sent = new AtomicReference<>();
    assertThatCode(() -> sent.set(channel.send(alert(Alert.Kind.UNHEALTHY, "unsendable", "s-x")))).doesNotThrowAnyException();

    Awaitility.await().atMost(AWAIT).dontCatchUncaughtExceptions().until(() -> sent.get().isDone());
    assertThat(sent.get()).isCompletedExceptionally();
  }

  @Test
  @DisplayName("close is idempotent")
  void closeIsIdempotent() {
    assertThatCode(() -> {
      channel.close();
      channel.close();
    }).doesNotThrowAnyException();
  }

  /** An alert with every field set. */
  protected static Alert alert(Alert.Kind kind, String subscriptionName, String subscriptionId) {
    return new Alert(kind, subscriptionId, subscriptionName, "https://hooks.example.com/in?token=***", List.of("ops@example.com"),
        Instant.parse("2026-11-29T10:15:30Z"), 503, "Service Unavailable", Instant.parse("2026-11-29T09:00:00Z"), 42L,
        "retrying every 5 minutes");
  }

  private void awaitReceived(java.util.function.Predicate<String> matching, String what) {
    Awaitility.await("an alert about " + what + " to arrive").atMost(AWAIT)
        .until(() -> received().stream().anyMatch(matching));
  }
}
