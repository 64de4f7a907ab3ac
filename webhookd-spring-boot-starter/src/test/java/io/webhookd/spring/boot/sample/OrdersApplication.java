package io.webhookd.spring.boot.sample;

import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import io.webhookd.Webhookd;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.stereotype.Service;

/**
 * A sample Spring Boot application that delivers its {@code orders} topic to a partner's webhook.
 * Its only webhookd code is {@link PartnerWebhooks}: the starter auto-configures the engine from
 * {@code spring.kafka.bootstrap-servers} (and, for a webhook on this machine, {@code
 * webhookd.http.allow-private-destinations=true}).
 */
@SpringBootApplication
public class OrdersApplication {
  public static void main(String[] args) {
    SpringApplication.run(OrdersApplication.class, args);
  }

  /** Registers partners' webhooks with the auto-configured engine. */
  @Service
  public static class PartnerWebhooks {
    private final Webhookd webhookd;

    public PartnerWebhooks(Webhookd webhookd) {
      this.webhookd = webhookd;
    }

    /** Big orders of {@code topic} go to {@code url}. */
    public Subscription register(String partner, String url, String topic) {
      return webhookd.subscribe(
          SubscriptionSpec.builder().name(partner).webhookUrl(url).source(topic, "value.amount > `100`").build());
    }
  }
}
