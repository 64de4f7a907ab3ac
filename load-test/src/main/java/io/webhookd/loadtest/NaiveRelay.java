package io.webhookd.loadtest;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The naive baseline the bench compares webhookd with: one KafkaConsumer, {@code poll}, POST the
 * records as one batch of the same wire format (signed the same way) with {@link HttpClient}
 * synchronously, retry until 2xx, {@code commitSync}, repeat. No filters, no JSON validation.
 */
final class NaiveRelay {
  private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
  private static final JsonStringEncoder QUOTER = JsonStringEncoder.getInstance();

  private NaiveRelay() {}

  /** Runs on the calling thread until {@code stop} says so (checked after every poll). */
  static void run(String bootstrap, String topic, String groupId, int batchSize, URI url, String secret, BooleanSupplier stop)
      throws Exception {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, batchSize);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "naive-relay");
    p.putAll(Engines.fromSystemProperty("webhookd.bench.relay.kafka")); // for experiments
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      while (!stop.getAsBoolean()) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
        if (records.isEmpty()) {
          continue;
        }
        String id = "msg_" + UUID.randomUUID();
        byte[] body = encode(id, records);
        boolean ok = false;
        while (!ok && !stop.getAsBoolean()) {
          long ts = System.currentTimeMillis() / 1000;
          HttpRequest req = HttpRequest.newBuilder(url)
              .timeout(Duration.ofSeconds(10))
              .header("Content-Type", "application/json")
              .header("User-Agent", "naive-relay")
              .header("webhook-id", id)
              .header("webhook-timestamp", Long.toString(ts))
              .header("webhook-signature", sign(secret, id, ts, body))
              .POST(HttpRequest.BodyPublishers.ofByteArray(body))
              .build();
          try {
            int status = http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
            ok = status / 100 == 2;
          } catch (java.io.IOException e) {
            ok = false;
          }
          if (!ok) {
            Thread.sleep(100);
          }
        }
        if (ok) {
          consumer.commitSync();
        }
      }
    }
  }

  /**
   * A Standard Webhooks signature, computed here as a naive sender would (the receiver verifies it
   * with webhookd's public {@code WebhookVerifier}).
   */
  static String sign(String secret, String id, long timestampSeconds, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
      mac.update((id + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
      return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] encode(String batchId, ConsumerRecords<byte[], byte[]> records) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(records.count() * 1200 + 100);
    write(out, "{\"subscription_id\":\"naive-relay\",\"batch_id\":\"" + batchId + "\",\"messages\":[");
    boolean first = true;
    for (ConsumerRecord<byte[], byte[]> r : records) {
      if (!first) {
        out.write(',');
      }
      first = false;
      write(out, "{\"topic\":\"");
      out.writeBytes(QUOTER.quoteAsUTF8(r.topic()));
      write(out, "\",\"partition\":" + r.partition() + ",\"offset\":" + r.offset() + ",\"timestamp\":\""
          + TS.format(Instant.ofEpochMilli(r.timestamp())) + "\",\"key\":");
      if (r.key() == null) {
        write(out, "null");
      } else {
        out.write('"');
        out.writeBytes(QUOTER.quoteAsUTF8(new String(r.key(), StandardCharsets.UTF_8)));
        out.write('"');
      }
      write(out, ",\"value\":");
      out.writeBytes(r.value());
      write(out, ",\"headers\":{");
      boolean fh = true;
      for (Header h : r.headers()) {
        if (!fh) {
          out.write(',');
        }
        fh = false;
        out.write('"');
        out.writeBytes(QUOTER.quoteAsUTF8(h.key()));
        write(out, "\":\"");
        out.writeBytes(QUOTER.quoteAsUTF8(new String(h.value(), StandardCharsets.UTF_8)));
        out.write('"');
      }
      write(out, "}}");
    }
    write(out, "]}");
    return out.toByteArray();
  }

  private static void write(ByteArrayOutputStream out, String ascii) {
    out.writeBytes(ascii.getBytes(StandardCharsets.UTF_8));
  }
}
