package io.webhookd.spring.boot.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.webhookd.Subscription;
import io.webhookd.spring.boot.TestKafka;
import io.webhookd.testkit.ReceivedMessage;
import io.webhookd.testkit.WebhookReceiver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.actuate.endpoint.IndicatedHealthDescriptor;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The sample application with what this module's tests have on the class path: the starter, the
 * actuator, JDBC with an in-memory H2 DataSource and Spring Boot's Flyway (the application's own
 * {@code orders} table). Properties: {@code spring.kafka.bootstrap-servers}, {@code
 * webhookd.http.allow-private-destinations} (the webhook listens on 127.0.0.1) and, because there
 * is a DataSource, the store's encryption key. (webhookd-examples builds a sample application
 * with the starter alone and just the first two.) Also run on the kafka-clients Spring Boot
 * manages: see the POM's {@code boot-managed-kafka-clients} execution.
 */
@SpringBootTest(
    classes = OrdersApplication.class,
    properties = {
      "webhookd.http.allow-private-destinations=true",
      "webhookd.store.encryption-key=q2bW1nY0nB1mCkz8m6mYV3kNlq4m0dKX0cJ4q2bW1nY=",
      // only so that this test can read the health details; not needed to deliver
      "management.endpoint.health.show-details=always"
    })
// closes the application (and its engine) after this class, while the broker still runs
@DirtiesContext
class OrdersApplicationTest {
  static WebhookReceiver partner;

  @DynamicPropertySource
  static void kafka(DynamicPropertyRegistry registry) {
    registry.add("spring.kafka.bootstrap-servers", TestKafka::bootstrapServers);
  }

  @BeforeAll
  static void startPartner() {
    partner = WebhookReceiver.start();
  }

  @AfterAll
  static void stopPartner() {
    partner.close();
  }

  @Autowired OrdersApplication.PartnerWebhooks webhooks;
  @Autowired HealthEndpoint health;
  @Autowired MeterRegistry meters;
  @Autowired JdbcTemplate jdbc;

  @Test
  @DisplayName("a message produced to the topic reaches the partner's webhook, and the meters and the health show it")
  void deliversEndToEnd() {
    String expectedClients = System.getProperty("webhookd.test.expectedKafkaClients");
    if (expectedClients != null) {
      // (not AppInfoParser.getVersion(): the broker's jars on the class path carry a
      // kafka-version.properties of their own)
      assertThat(KafkaConsumer.class.getProtectionDomain().getCodeSource().getLocation().getPath())
          .as("the jar of the Kafka consumer")
          .endsWith("/kafka-clients-" + expectedClients + ".jar");
    }
    String topic = "orders-" + UUID.randomUUID();
    TestKafka.createTopic(topic);
    Subscription sub = webhooks.register("partner-a", partner.url().toString(), topic);

    TestKafka.produce(topic, "customer-7", "{\"amount\":120}");
    TestKafka.produce(topic, "customer-8", "{\"amount\":5}");

    List<ReceivedMessage> delivered = partner.awaitDeliveredCount(1, Duration.ofSeconds(60));
    assertThat(delivered).extracting(ReceivedMessage::key).containsExactly("customer-7");

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              assertThat(meters.find("webhookd.messages.delivered").tag("subscription", sub.id()).counters())
                  .isNotEmpty()
                  .allSatisfy(c -> assertThat(c.count()).isEqualTo(1.0));
              assertThat(meters.find("webhookd.messages.filtered").counters()).isNotEmpty();
            });

    IndicatedHealthDescriptor webhookd = (IndicatedHealthDescriptor) health.healthForPath("webhookd");
    assertThat(webhookd.getStatus()).isEqualTo(Status.UP);
    assertThat(webhookd.getDetails()).containsEntry("online", true);
    assertThat(webhookd.getDetails().get("kafka")).isEqualTo(Map.of("reachable", true, "brokers", 1));
    assertThat(webhookd.getDetails().get("subscriptions"))
        .isEqualTo(Map.of("healthy", 1, "unhealthy", 0, "inactive", 0));
    assertThat(health.health().getStatus()).isEqualTo(Status.UP);
  }

  @Test
  @DisplayName("subscriptions live in the application's DataSource, beside its own Flyway-migrated tables, with a history of their own")
  void storeSharesTheApplicationsDataSource() {
    Subscription sub = webhooks.register("partner-b", partner.url().toString(), "orders-" + UUID.randomUUID());

    assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM subscriptions WHERE id = ?", Integer.class, sub.id())).isEqualTo(1);
    assertThat(jdbc.queryForList("SELECT \"description\" FROM \"flyway_schema_history\" WHERE \"version\" IS NOT NULL", String.class))
        .containsExactly("orders");
    assertThat(jdbc.queryForList("SELECT \"description\" FROM \"webhookd_schema_history\" WHERE \"version\" <> '0'", String.class))
        .containsExactly("webhookd schema", "Encrypt webhook urls", "engines", "dead letters and engine commands");
    assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM orders", Integer.class)).isZero();
  }
}
