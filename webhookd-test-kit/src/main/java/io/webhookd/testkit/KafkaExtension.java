package io.webhookd.testkit;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The JUnit 5 extension behind {@link WithKafka}: resolves {@link KafkaCluster} parameters to a
 * cluster shared by the whole JVM, one per broker count.
 *
 * <p>A cluster is started on first use and closed when the JUnit root context closes (the end of
 * the test run), or, when it was only ever obtained through {@link #shared(int)} outside JUnit, by
 * a JVM shutdown hook. Thread-safe: test classes running in parallel get the same cluster.
 */
public final class KafkaExtension implements ParameterResolver {

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(KafkaExtension.class);
  private static final Map<Integer, KafkaCluster> CLUSTERS = new ConcurrentHashMap<>();
  private static volatile boolean shutdownHookAdded;

  /** Called by JUnit. */
  public KafkaExtension() {}

  /**
   * The JVM's shared cluster of {@code brokers} brokers, started on first use. Do not close it.
   *
   * @throws IllegalArgumentException when {@code brokers} is not between 1 and 9
   */
  public static KafkaCluster shared(int brokers) {
    if (brokers < 1 || brokers > 9) {
      throw new IllegalArgumentException("brokers must be between 1 and 9, was " + brokers);
    }
    addShutdownHook();
    return CLUSTERS.computeIfAbsent(brokers, KafkaCluster::start);
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
    int brokers = brokers(extensionContext);
    try {
      KafkaCluster cluster = shared(brokers);
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

  private static int brokers(ExtensionContext context) {
    for (ExtensionContext c = context; c != null; c = c.getParent().orElse(null)) {
      var annotation = c.getElement().flatMap(e -> AnnotationSupport.findAnnotation(e, WithKafka.class));
      if (annotation.isPresent()) {
        return annotation.get().brokers();
      }
      var testClass = c.getTestClass();
      if (testClass.isPresent()) {
        var onClass = AnnotationSupport.findAnnotation(testClass.get(), WithKafka.class);
        if (onClass.isPresent()) {
          return onClass.get().brokers();
        }
      }
    }
    return 1;
  }

  private static final class Closer implements AutoCloseable {
    @Override
    public void close() {
      closeAll();
    }
  }
}
