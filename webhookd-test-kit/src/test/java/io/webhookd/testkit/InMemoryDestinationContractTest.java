package io.webhookd.testkit;

import io.webhookd.spi.WebhookDestination;
import java.net.URI;
import java.util.List;

/** The kit's fake keeps the promises of every destination. */
class InMemoryDestinationContractTest extends WebhookDestinationContract {
  private InMemoryDestination fake;

  @Override
  protected WebhookDestination createDestination() {
    fake = InMemoryDestination.create();
    return fake;
  }

  @Override
  protected URI deliverableUrl() {
    return URI.create("https://in-memory.example/hook");
  }

  @Override
  protected List<byte[]> deliveredBodies() {
    return fake.exchanges().stream().filter(e -> e.result().isSuccess()).map(e -> e.request().body()).toList();
  }
}
