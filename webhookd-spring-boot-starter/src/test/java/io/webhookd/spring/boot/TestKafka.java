package io.webhookd.spring.boot;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.webhookd.testkit.KafkaExtension;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The Kafka broker of this module's tests. Usually the test kit's in-process broker; in the test
 * execution on the Kafka clients Spring Boot manages (system property {@value #BROKER_CLIENTS}, see
 * the POM), where the broker's own Kafka jars cannot share the class path with those clients, the
 * same broker started by {@link ForkedBroker} in a child JVM with the build's Kafka jars.
 */
public final class TestKafka {
  /** The build's kafka-clients jar, for a broker in a child JVM. */
  static final String BROKER_CLIENTS = "webhookd.test.brokerKafkaClients";

  private static String bootstrapServers;

  private TestKafka() {}

  public static synchronized String bootstrapServers() {
    if (bootstrapServers == null) {
      String brokerClients = System.getProperty(BROKER_CLIENTS);
      bootstrapServers = brokerClients == null ? KafkaExtension.shared(1).bootstrapServers() : fork(Path.of(brokerClients));
    }
    return bootstrapServers;
  }

  public static void createTopic(String topic) {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("could not create topic " + topic, e);
    }
  }

  public static void produce(String topic, String key, String value) {
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
      producer.send(new ProducerRecord<>(topic, key, value)).get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("could not produce to " + topic, e);
    }
  }

  /**
   * Starts {@link ForkedBroker} in a child JVM on this JVM's class path with the build's
   * kafka-clients jar in place of the one under test, and reads the address it prints. The child
   * stops when this JVM ends (its standard input closes).
   */
  private static String fork(Path brokerClients) {
    List<String> classPath = new ArrayList<>();
    for (String entry : System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")).split(File.pathSeparator)) {
      if (!Path.of(entry).getFileName().toString().startsWith("kafka-clients-")) {
        classPath.add(entry);
      }
    }
    classPath.add(0, brokerClients.toString());
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    try {
      Process p =
          new ProcessBuilder(java, "-Xmx1g", "-cp", String.join(File.pathSeparator, classPath), ForkedBroker.class.getName())
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      Runtime.getRuntime().addShutdownHook(new Thread(p::destroy));
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), UTF_8));
      for (String line; (line = out.readLine()) != null; ) {
        if (line.startsWith(ForkedBroker.READY)) {
          return line.substring(ForkedBroker.READY.length());
        }
      }
      throw new IllegalStateException("the forked broker ended without starting (exit " + p.waitFor() + ")");
    } catch (Exception e) {
      throw new IllegalStateException("could not fork a Kafka broker", e);
    }
  }
}
