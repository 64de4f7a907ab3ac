package io.webhookd.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.container;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.skippedWithReason;
import static org.junit.platform.testkit.engine.EventConditions.test;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;

/** How an outcome reaches JUnit: a skip is reported as skipped, a failure as failed, never as passed. */
class ServiceExtensionTest {
  static volatile Outcome<String> outcome = new Outcome.Skipped<>("unset");
  static final List<String> RAN = new CopyOnWriteArrayList<>();

  @BeforeEach
  void clear() {
    RAN.clear();
  }

  private static EngineExecutionResults run(Class<?> testClass, Outcome<String> given) {
    outcome = given;
    return EngineTestKit.engine("junit-jupiter")
        .selectors(selectClass(testClass))
        .configurationParameter(ServiceExtension.ANNOUNCE_PROPERTY, "false")
        .execute();
  }

  @Test
  @DisplayName("skipped: the class is reported skipped with the line as its reason, and nothing in it runs")
  void skipIsReportedAsSkipped() {
    EngineExecutionResults results = run(UsesTheService.class, new Outcome.Skipped<>("Service tests skipped: none here."));
    results.containerEvents().assertThatEvents()
        .haveExactly(1, event(container(UsesTheService.class), skippedWithReason("Service tests skipped: none here.")));
    results.testEvents().assertStatistics(s -> s.started(0).succeeded(0).failed(0));
    assertThat(RAN).isEmpty();
  }

  @Test
  @DisplayName("failed: the class fails with the message, also when its tests never ask for the service")
  void failureFailsEvenWithoutTheParameter() {
    EngineExecutionResults results = run(IgnoresTheService.class, new Outcome.Failed<>("Service is required (CI=true)"));
    results.containerEvents().assertThatEvents()
        .haveExactly(1, event(container(IgnoresTheService.class), finishedWithFailure(message("Service is required (CI=true)"))));
    results.testEvents().assertStatistics(s -> s.succeeded(0));
    assertThat(RAN).isEmpty();
  }

  @Test
  @DisplayName("failed, on a method: that method fails with the message; the class's other tests run")
  void failureOnAMethod() {
    EngineExecutionResults results = run(OneMethodNeedsTheService.class, new Outcome.Failed<>("Service is required (CI=true)"));
    results.testEvents().assertThatEvents()
        .haveExactly(1, event(test("needs"), finishedWithFailure(message("Service is required (CI=true)"))));
    results.testEvents().assertStatistics(s -> s.succeeded(1).failed(1));
    assertThat(RAN).containsExactly("without");
  }

  @Test
  @DisplayName("available: tests run and get the service as a parameter")
  void availableIsHandedOver() {
    EngineExecutionResults results = run(UsesTheService.class, new Outcome.Available<>("the-service"));
    results.testEvents().assertStatistics(s -> s.succeeded(1).failed(0).skipped(0));
    assertThat(RAN).containsExactly("the-service");
  }

  /** An extension whose outcome the test sets. */
  static final class FixedOutcome extends ServiceExtension<String> {
    FixedOutcome() {
      super(String.class);
    }

    @Override
    Outcome<String> outcome(ExtensionContext context) {
      return outcome;
    }
  }

  @ExtendWith(FixedOutcome.class)
  static class UsesTheService {
    @Test
    void uses(String service) {
      RAN.add(service);
    }
  }

  @ExtendWith(FixedOutcome.class)
  static class IgnoresTheService {
    @Test
    void ignores() {
      RAN.add("ignores");
    }
  }

  static class OneMethodNeedsTheService {
    @Test
    @ExtendWith(FixedOutcome.class)
    void needs() {
      RAN.add("needs");
    }

    @Test
    void without() {
      RAN.add("without");
    }
  }
}
