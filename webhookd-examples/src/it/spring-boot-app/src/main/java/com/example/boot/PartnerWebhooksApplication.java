package com.example.boot;

import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.Webhookd;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.stereotype.Service;

/** An application that sends its orders to partners' webhooks through the auto-configured engine. */
@SpringBootApplication
public class PartnerWebhooksApplication {
  public static void main(String[] args) {
    SpringApplication.run(PartnerWebhooksApplication.class, args);
  }

  /** Registers a partner's webhook for a topic. */
  @Service
  public static class Partners {
    private final Webhookd webhookd;

    public Partners(Webhookd webhookd) {
      this.webhookd = webhookd;
    }

    public Subscription register(String partner, String url, String topic) {
      return webhookd.subscribe(SubscriptionSpec.builder().name(partner).webhookUrl(url).source(topic).build());
    }
  }
}
