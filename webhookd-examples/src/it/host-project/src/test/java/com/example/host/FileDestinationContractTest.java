package com.example.host;

import io.webhookd.spi.WebhookDestination;
import io.webhookd.testkit.WebhookDestinationContract;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/** A destination that is not HTTP passes what every destination must do. */
class FileDestinationContractTest extends WebhookDestinationContract {
  @TempDir Path outbox;

  @Override
  protected WebhookDestination createDestination() {
    return new FileDestination(outbox);
  }

  @Override
  protected URI deliverableUrl() {
    return URI.create("file:/outbox/orders");
  }

  @Override
  protected List<byte[]> deliveredBodies() {
    return FileDestination.batchFiles(outbox).stream().map(FileDestinationContractTest::read).toList();
  }

  private static byte[] read(Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
