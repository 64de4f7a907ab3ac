package io.webhookd.it;

import io.webhookd.SubscriptionSpec;
import io.webhookd.Webhookd;
import io.webhookd.http.JdkHttpDestination;
import io.webhookd.testkit.KafkaCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** Shared helpers of the end-to-end tests. */
final class EngineFixture {
  private EngineFixture() {}

  static String topic(KafkaCluster kafka, String prefix, int partitions) {
    String t = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopic(t, partitions);
    return t;
  }

  /** An engine on the cluster, posting with the JDK transport to loopback receivers. */
  static Webhookd.Builder engine(KafkaCluster kafka) {
    return Webhookd.builder()
        .bootstrapServers(kafka.bootstrapServers())
        .destination(JdkHttpDestination.builder().allowPrivateDestinations(true).build())
        .requestTimeout(Duration.ofSeconds(5))
        .shutdownTimeout(Duration.ofSeconds(10));
  }

  /** {@code count} JSON messages {"n": i, ...} spread over partitions by key. */
  static List<ProducerRecord<String, byte[]>> jsonMessages(String topic, int from, int count) {
    List<ProducerRecord<String, byte[]>> out = new ArrayList<>(count);
    for (int i = from; i < from + count; i++) {
      String json = "{\"n\":" + i + ",\"amount\":" + (i % 200) + ",\"region\":\"" + (i % 2 == 0 ? "eu" : "us") + "\"}";
      out.add(new ProducerRecord<>(topic, "key-" + (i % 17), json.getBytes(StandardCharsets.UTF_8)));
    }
    return out;
  }

  static final String RECORD_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String RECORD_SPAN = "00f067aa0ba902b7";

  /** A JSON record carrying {@code traceparent} {@code 00-{trace}-{span}-01} and a tracestate. */
  static ProducerRecord<String, byte[]> traced(String topic, int n, String traceId, String spanId) {
    RecordHeaders h = new RecordHeaders();
    h.add("traceparent", ("00-" + traceId + "-" + spanId + "-01").getBytes(StandardCharsets.US_ASCII));
    h.add("tracestate", "rojo=00f067aa0ba902b7".getBytes(StandardCharsets.US_ASCII));
    return new ProducerRecord<>(topic, null, "k", ("{\"n\":" + n + "}").getBytes(StandardCharsets.UTF_8), h);
  }

  /** One partition's messages, batched {@code batchSize} at a time (a full batch goes at once). */
  static SubscriptionSpec tracedSpec(String url, String topic, int batchSize) {
    return SubscriptionSpec.builder().name("traced").webhookUrl(url).source(topic)
        .maxBatchSize(batchSize).maxBatchInterval(Duration.ofSeconds(batchSize == 1 ? 1 : 20))
        .retryInitialDelay(Duration.ofMillis(20)).retryMaxDelay(Duration.ofMillis(200))
        .build();
  }
}
