package io.webhookd.testkit;

import io.webhookd.spi.Retrier;
import java.time.Duration;

class FixedRetrierTest extends RetrierContract {
  @Override
  protected Retrier createRetrier() {
    return Retrier.fixed(Duration.ofSeconds(30));
  }

  @Override
  protected Duration maxDelay() {
    return Duration.ofSeconds(30);
  }
}
