package io.webhookd.spring.boot;

import static java.util.Objects.requireNonNull;

import io.webhookd.AdminStatus;
import io.webhookd.Health;
import io.webhookd.Webhookd;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.common.Node;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * The actuator's {@code webhookd} health: DOWN when Kafka does not answer (or the store cannot be
 * read), UP otherwise, with the number of healthy, unhealthy and inactive subscriptions and the
 * names of the unhealthy ones in the details.
 *
 * <p>An unhealthy subscription (a webhook that keeps failing) does not make the application DOWN:
 * that is the receiver's trouble, and restarting this application would not mend it; its batch
 * keeps being retried. Read the {@code unhealthy} count, or alert on it.
 *
 * <p>Thread-safe. It keeps one Kafka admin client, closed with the bean.
 */
public class WebhookdHealthIndicator extends AbstractHealthIndicator implements AutoCloseable {
  private final Webhookd webhookd;
  private final Admin admin;
  private final Duration kafkaTimeout;

  /**
   * @param webhookd the engine whose subscriptions are counted
   * @param kafkaProperties the engine's Kafka client properties: what an admin client accepts of
   *     them (bootstrap servers, security) is used to reach the cluster
   * @param kafkaTimeout how long to wait for Kafka to describe its cluster
   */
  public WebhookdHealthIndicator(Webhookd webhookd, Map<String, ?> kafkaProperties, Duration kafkaTimeout) {
    super("webhookd health check failed");
    this.webhookd = requireNonNull(webhookd, "webhookd");
    this.kafkaTimeout = requireNonNull(kafkaTimeout, "kafkaTimeout");
    Map<String, Object> config = new LinkedHashMap<>();
    kafkaProperties.forEach(
        (k, v) -> {
          if (AdminClientConfig.configNames().contains(k)) {
            config.put(k, v);
          }
        });
    int timeoutMs = (int) Math.max(1, kafkaTimeout.toMillis());
    config.put(AdminClientConfig.CLIENT_ID_CONFIG, "webhookd-health");
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
    this.admin = Admin.create(config);
  }

  @Override
  protected void doHealthCheck(org.springframework.boot.health.contributor.Health.Builder builder) throws Exception {
    Map<String, Object> kafka = new LinkedHashMap<>();
    boolean kafkaUp;
    try {
      DescribeClusterResult cluster =
          admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) kafkaTimeout.toMillis()));
      Collection<Node> nodes = cluster.nodes().get(kafkaTimeout.toMillis() + 500, TimeUnit.MILLISECONDS);
      kafka.put("reachable", !nodes.isEmpty());
      kafka.put("brokers", nodes.size());
      kafkaUp = !nodes.isEmpty();
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      kafka.put("reachable", false);
      kafka.put("error", cause.getClass().getSimpleName() + ": " + cause.getMessage());
      kafkaUp = false;
    }

    AdminStatus status = webhookd.adminStatus();
    Map<Health, Integer> counts = new EnumMap<>(Health.class);
    for (Health h : Health.values()) {
      counts.put(h, 0);
    }
    List<String> unhealthy = new ArrayList<>();
    for (AdminStatus.Webhook w : status.webhooks()) {
      counts.merge(w.health(), 1, Integer::sum);
      if (w.health() == Health.UNHEALTHY) {
        unhealthy.add(w.name() + " (" + w.id() + ")");
      }
    }
    Map<String, Integer> subscriptions = new LinkedHashMap<>();
    counts.forEach((h, n) -> subscriptions.put(h.wireName(), n));

    builder.status(kafkaUp ? Status.UP : Status.DOWN);
    builder.withDetail("kafka", kafka);
    builder.withDetail("online", status.state().online());
    builder.withDetail("subscriptions", subscriptions);
    if (!unhealthy.isEmpty()) {
      builder.withDetail("unhealthy", unhealthy);
    }
  }

  /** Closes the admin client. */
  @Override
  public void close() {
    admin.close(Duration.ofSeconds(5));
  }
}
