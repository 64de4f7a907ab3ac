package com.example.host;

import io.webhookd.spi.SubscriptionStore;
import io.webhookd.testkit.SubscriptionStoreContract;

/** The host's own store keeps every promise of the SPI. */
class MapSubscriptionStoreContractTest extends SubscriptionStoreContract {
  @Override
  protected SubscriptionStore createStore() {
    return new MapSubscriptionStore();
  }
}
