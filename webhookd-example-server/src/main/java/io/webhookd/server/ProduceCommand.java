package io.webhookd.server;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jspecify.annotations.Nullable;

/**
 * {@code produce --topic T [--key K] [--header name=value]... [--bootstrap-servers H:P] [VALUE...]}:
 * sends each VALUE (or, without any, each line of standard input) as one message, so the quick
 * start needs no Kafka tools. The broker is {@code --bootstrap-servers}, else {@code
 * WEBHOOKD_KAFKA_BOOTSTRAP_SERVERS}, else the embedded broker on {@code 127.0.0.1:} {@code
 * WEBHOOKD_EMBEDDED_KAFKA_PORT} (9092).
 */
final class ProduceCommand {
  private ProduceCommand() {}

  static String usage() {
    return "usage: java -jar webhookd-server.jar produce --topic T [--key K] [--header name=value]..."
        + " [--bootstrap-servers host:port] [VALUE...]\n"
        + "  sends each VALUE as one message; without VALUEs, each line of standard input";
  }

  /** Returns the exit code: 0 when every message was acknowledged, 2 for usage errors, 1 otherwise. */
  static int run(List<String> args, Map<String, String> env, InputStream in, PrintStream out, PrintStream err) {
    String topic = null;
    String key = null;
    String bootstrap = null;
    List<RecordHeader> headers = new ArrayList<>();
    List<String> values = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      String flag = a;
      String inline = null;
      if (a.startsWith("--") && a.indexOf('=') > 0) {
        flag = a.substring(0, a.indexOf('='));
        inline = a.substring(a.indexOf('=') + 1);
      }
      switch (flag) {
        case "--help", "-h" -> {
          out.println(usage());
          return 0;
        }
        case "--topic", "--key", "--bootstrap-servers", "--header" -> {
          String v = inline;
          if (v == null) {
            if (i + 1 >= args.size()) {
              problems.add(flag + " needs a value");
              continue;
            }
            v = args.get(++i);
          }
          switch (flag) {
            case "--topic" -> topic = v;
            case "--key" -> key = v;
            case "--bootstrap-servers" -> bootstrap = v;
            default -> {
              int eq = v.indexOf('=');
              if (eq <= 0) {
                problems.add("--header must be name=value, was " + ServerConfig.quote(v));
              } else {
                headers.add(new RecordHeader(v.substring(0, eq), v.substring(eq + 1).getBytes(StandardCharsets.UTF_8)));
              }
            }
          }
        }
        case "--" -> {
          values.addAll(args.subList(i + 1, args.size()));
          i = args.size();
        }
        default -> {
          if (a.startsWith("--")) {
            problems.add("unknown flag " + ServerConfig.quote(a));
          } else {
            values.add(a);
          }
        }
      }
    }
    if (topic == null || !topic.matches("[A-Za-z0-9._-]{1,249}")) {
      problems.add("--topic is required: a Kafka topic name (letters, digits, '.', '_', '-')");
    }
    if (bootstrap == null) {
      bootstrap = blankToNull(env.get("WEBHOOKD_KAFKA_BOOTSTRAP_SERVERS"));
    }
    if (bootstrap == null) {
      String port = blankToNull(env.get("WEBHOOKD_EMBEDDED_KAFKA_PORT"));
      bootstrap = "127.0.0.1:" + (port == null ? "9092" : port);
    }
    if (!problems.isEmpty()) {
      problems.forEach(p -> err.println("produce: " + p));
      err.println(usage());
      return 2;
    }

    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
    int sent = 0;
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      if (values.isEmpty()) {
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        while ((line = r.readLine()) != null) {
          if (!line.isBlank()) {
            send(producer, topic, key, headers, line, out);
            sent++;
          }
        }
      } else {
        for (String v : values) {
          send(producer, topic, key, headers, v, out);
          sent++;
        }
      }
      producer.flush();
    } catch (Exception e) {
      err.println("produce: failed after " + sent + " message(s) to " + bootstrap + ": " + e.getMessage());
      return 1;
    }
    return 0;
  }

  private static void send(
      KafkaProducer<String, byte[]> producer,
      String topic,
      @Nullable String key,
      List<RecordHeader> headers,
      String value,
      PrintStream out)
      throws Exception {
    ProducerRecord<String, byte[]> record =
        new ProducerRecord<>(topic, null, key, value.getBytes(StandardCharsets.UTF_8), new ArrayList<>(headers));
    RecordMetadata m = producer.send(record).get(60, TimeUnit.SECONDS);
    out.println("produced to " + m.topic() + " partition " + m.partition() + " offset " + m.offset());
  }

  private static @Nullable String blankToNull(@Nullable String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
