package io.webhookd.testkit;

import io.webhookd.spi.SubscriptionStore;

class InMemorySubscriptionStoreTest extends SubscriptionStoreContract {
  @Override
  protected SubscriptionStore createStore() {
    return SubscriptionStore.inMemory();
  }
}
