package io.webhookd.testkit;

import io.webhookd.spi.Batcher;
import java.time.Duration;

class SizeOrAgeBatcherTest extends BatcherContract {
  @Override
  protected Batcher createBatcher() {
    return Batcher.sizeOrAge(10, Duration.ofSeconds(1).toNanos());
  }
}
