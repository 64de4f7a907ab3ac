package com.example.boot;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.webhookd.Subscription;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.KafkaExtension;
import io.webhookd.testkit.WebhookReceiver;
import io.webhookd.testkit.WithKafka;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.actuate.endpoint.IndicatedHealthDescriptor;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The application, end to end on the test kit's broker, under Spring Boot's JUnit. */
@WithKafka
@SpringBootTest
@DirtiesContext // closes the application (and its engine) while the kit's broker still runs
class PartnerWebhooksApplicationTest {

  @DynamicPropertySource
  static void kafka(DynamicPropertyRegistry registry) {
    registry.add("spring.kafka.bootstrap-servers", () -> KafkaExtension.shared(1).bootstrapServers());
  }

  @Autowired PartnerWebhooksApplication.Partners partners;
  @Autowired HealthEndpoint health;
  @Autowired MeterRegistry meters;

  @Test
  void deliversAnOrderToThePartner(KafkaCluster kafka) {
    kafka.createTopic("orders", 1);
    try (WebhookReceiver partner = WebhookReceiver.start()) {
      Subscription sub = partners.register("acme", partner.url().toString(), "orders");

      kafka.produce("orders", List.of(new ProducerRecord<>("orders", "customer-7", "{\"amount\":120}".getBytes(UTF_8))));

      assertThat(partner.awaitDeliveredCount(1, Duration.ofSeconds(60))).singleElement()
          .satisfies(m -> assertThat(m.key()).isEqualTo("customer-7"));
      await().atMost(Duration.ofSeconds(30)).until(() ->
          meters.find("webhookd.messages.delivered").tag("subscription", sub.id()).counter() != null
              && meters.find("webhookd.messages.delivered").tag("subscription", sub.id()).counter().count() == 1.0);
      IndicatedHealthDescriptor webhookd = (IndicatedHealthDescriptor) health.healthForPath("webhookd");
      assertThat(webhookd.getStatus()).isEqualTo(Status.UP);
      assertThat(webhookd.getDetails().get("subscriptions")).isEqualTo(Map.of("healthy", 1, "unhealthy", 0, "inactive", 0));
    }
  }
}
