package io.webhookd.testkit;

import io.webhookd.spi.Batcher;
import java.time.Duration;

class BytesOrAgeBatcherTest extends BatcherContract {
  @Override
  protected Batcher createBatcher() {
    return Batcher.bytesOrAge(64 * 1024, 1000, Duration.ofMillis(200).toNanos());
  }
}
