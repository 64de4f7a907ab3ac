package io.webhookd.internal;

import io.webhookd.AdminState;
import io.webhookd.AdminStatus;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.SubscriptionStatus;
import io.webhookd.spi.AlertChannel;
import io.webhookd.spi.RowFilterPolicy;
import io.webhookd.spi.SubscriptionListener;
import io.webhookd.spi.SubscriptionStore;
import io.webhookd.spi.WebhookDestination;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** The engine behind {@link io.webhookd.Webhookd}. (Being written.) */
public final class Engine implements AutoCloseable {
  public record Config(
      Map<String, Object> kafka,
      @Nullable WebhookDestination destination,
      @Nullable SubscriptionStore store,
      List<SubscriptionListener> listeners,
      @Nullable AlertChannel alertChannel,
      @Nullable Object meterRegistry,
      RowFilterPolicy rowFilterPolicy,
      Duration requestTimeout,
      Duration shutdownTimeout,
      Duration storePollInterval,
      Duration alertMinInterval,
      Duration alertReminderInterval,
      int activityLimit) {}

  public static Engine start(Config config) {
    throw new UnsupportedOperationException("not yet");
  }

  public Subscription subscribe(SubscriptionSpec spec, @Nullable String owner) {
    throw new UnsupportedOperationException();
  }

  public Subscription update(String id, SubscriptionSpec spec, long expectedVersion) {
    throw new UnsupportedOperationException();
  }

  public boolean unsubscribe(String id) {
    throw new UnsupportedOperationException();
  }

  public Optional<Subscription> get(String id) {
    throw new UnsupportedOperationException();
  }

  public List<Subscription> list() {
    throw new UnsupportedOperationException();
  }

  public Optional<SubscriptionStatus> status(String id) {
    throw new UnsupportedOperationException();
  }

  public AdminState setOnline(boolean online, String message) {
    throw new UnsupportedOperationException();
  }

  public AdminStatus adminStatus() {
    throw new UnsupportedOperationException();
  }

  public boolean isRunning(String id) {
    return false;
  }

  @Override
  public void close() {}
}
