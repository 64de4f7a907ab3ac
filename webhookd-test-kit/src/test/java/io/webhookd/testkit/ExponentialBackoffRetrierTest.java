package io.webhookd.testkit;

import io.webhookd.spi.Retrier;
import java.time.Duration;

class ExponentialBackoffRetrierTest extends RetrierContract {
  @Override
  protected Retrier createRetrier() {
    return Retrier.exponentialBackoff(Duration.ofMillis(500), Duration.ofMinutes(5));
  }

  @Override
  protected Duration maxDelay() {
    return Duration.ofMinutes(5);
  }
}
