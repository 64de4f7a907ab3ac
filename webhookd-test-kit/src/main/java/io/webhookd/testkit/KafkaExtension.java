package io.webhookd.testkit;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The JUnit 5 extension behind {@link WithKafka}: resolves {@link KafkaCluster} parameters to a
 * cluster shared by the whole JVM, one per broker count (and one Testcontainers broker).
 *
 * <p>A cluster is started on first use and closed when the JUnit root context closes (the end of
 * the test run), or, when it was only ever obtained through {@link #shared(int)} outside JUnit, by
 * a JVM shutdown hook. Thread-safe: test classes running in parallel get the same cluster.
 */
public final class KafkaExtension implements ParameterResolver {

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(KafkaExtension.class);
  /** Key of the Testcontainers broker in {@link #CLUSTERS}; in-process clusters are keyed by broker count. */
  private static final int CONTAINER = 0;

  private static final Map<Integer, KafkaCluster> CLUSTERS = new ConcurrentHashMap<>();
  private static volatile boolean shutdownHookAdded;

  /** Called by JUnit. */
  public KafkaExtension() {}

  /**
   * The JVM's shared cluster of {@code brokers} brokers, started on first use: the one {@link
   * WithKafka.Broker#DEFAULT} stands for. Do not close it.
   *
   * @throws IllegalArgumentException when {@code brokers} is not between 1 and 9
   */
  public static KafkaCluster shared(int brokers) {
    return shared(brokers, WithKafka.Broker.DEFAULT);
  }

  /**
   * The JVM's shared cluster of {@code brokers} brokers on {@code broker}, started on first use.
   * Do not close it.
   *
   * @throws IllegalArgumentException when {@code brokers} is not between 1 and 9, when the
   *     Testcontainers broker is asked for more than one broker, or when {@value
   *     KafkaCluster#BROKER_PROPERTY} holds an unknown value
   * @throws IllegalStateException when the Testcontainers broker cannot start (no Testcontainers,
   *     no Docker)
   */
  public static KafkaCluster shared(int brokers, WithKafka.Broker broker) {
    if (brokers < 1 || brokers > 9) {
      throw new IllegalArgumentException("brokers must be between 1 and 9, was " + brokers);
    }
    boolean container = inContainer(brokers, broker);
    addShutdownHook();
    return container
        ? CLUSTERS.computeIfAbsent(CONTAINER, k -> KafkaCluster.startContainer())
        : CLUSTERS.computeIfAbsent(brokers, KafkaCluster::start);
  }

  /** Whether {@code broker} (after the system property, for DEFAULT) means the container. */
  static boolean inContainer(int brokers, WithKafka.Broker broker) {
    if (broker == WithKafka.Broker.TESTCONTAINERS) {
      if (brokers != 1) {
        throw new IllegalArgumentException(
            "the Testcontainers broker is one Kafka node, brokers must be 1, was " + brokers
                + "; a cluster of several brokers is in-process");
      }
      return true;
    }
    if (broker == WithKafka.Broker.IN_PROCESS || brokers != 1) {
      return false;
    }
    String property = System.getProperty(KafkaCluster.BROKER_PROPERTY, "in-process").trim();
    switch (property) {
      case "in-process":
      case "":
        return false;
      case "testcontainers":
        return true;
      default:
        throw new IllegalArgumentException(
            KafkaCluster.BROKER_PROPERTY + " must be in-process or testcontainers, was \"" + property + "\"");
    }
  }

  private static synchronized void addShutdownHook() {
    if (!shutdownHookAdded) {
      Runtime.getRuntime()
          .addShutdownHook(new Thread(KafkaExtension::closeAll, "webhookd-test-kit-kafka-shutdown"));
      shutdownHookAdded = true;
    }
  }

  private static void closeAll() {
    for (Integer brokers : CLUSTERS.keySet()) {
      KafkaCluster c = CLUSTERS.remove(brokers);
      if (c != null) {
        c.close();
      }
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
    return parameterContext.getParameter().getType() == KafkaCluster.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
    WithKafka annotation = annotation(extensionContext);
    int brokers = annotation == null ? 1 : annotation.brokers();
    WithKafka.Broker broker = annotation == null ? WithKafka.Broker.DEFAULT : annotation.broker();
    try {
      KafkaCluster cluster = shared(brokers, broker);
      // Closes the shared clusters when the root context (the whole test run) closes.
      extensionContext
          .getRoot()
          .getStore(NAMESPACE)
          .getOrComputeIfAbsent("closer", k -> new Closer(), Closer.class);
      return cluster;
    } catch (RuntimeException e) {
      throw new ParameterResolutionException(
          "could not start a Kafka cluster of " + brokers + " brokers: " + e.getMessage(), e);
    }
  }

  private static @Nullable WithKafka annotation(ExtensionContext context) {
    for (ExtensionContext c = context; c != null; c = c.getParent().orElse(null)) {
      var annotation = c.getElement().flatMap(e -> AnnotationSupport.findAnnotation(e, WithKafka.class));
      if (annotation.isPresent()) {
        return annotation.get();
      }
      var testClass = c.getTestClass();
      if (testClass.isPresent()) {
        var onClass = AnnotationSupport.findAnnotation(testClass.get(), WithKafka.class);
        if (onClass.isPresent()) {
          return onClass.get();
        }
      }
    }
    return null;
  }

  private static final class Closer implements AutoCloseable {
    @Override
    public void close() {
      closeAll();
    }
  }
}
