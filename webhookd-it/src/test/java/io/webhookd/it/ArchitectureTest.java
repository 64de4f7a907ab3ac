package io.webhookd.it;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.methods;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaMethod;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import io.webhookd.WebhookBatch;
import io.webhookd.WebhookMessage;
import io.webhookd.WebhookVerificationException;
import io.webhookd.WebhookVerifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The module rules of DESIGN.md: core depends on no adapter, adapters on no other adapter, no
 * module uses another's {@code internal} packages. A class's module is the jar (or classes
 * directory) it was loaded from ({@link Modules}), not its package: {@code io.webhookd.http.apache}
 * is a sub-package of {@code io.webhookd.http} but another module.
 */
class ArchitectureTest {
  private static final String[] CORE = {"io.webhookd", "io.webhookd.spi", "io.webhookd.internal"};
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.webhookd");
  }

  @Test
  @DisplayName("core depends on no adapter and not on the test kit")
  void coreDependsOnNoAdapter() {
    noClasses().that().resideInAnyPackage(CORE)
        .should().dependOnClassesThat().resideInAnyPackage(
            "io.webhookd.http..", "io.webhookd.store..", "io.webhookd.alert..", "io.webhookd.server..", "io.webhookd.testkit..")
        .check(classes);
  }

  @Test
  @DisplayName("adapters depend on no other adapter (the HTTP transports share only webhookd-http-common)")
  void adaptersAreIndependent() {
    classes().that().resideInAPackage("io.webhookd..")
        .should(new ArchCondition<JavaClass>("depend on no class of another adapter module") {
          @Override
          public void check(JavaClass c, ConditionEvents events) {
            String from = Modules.of(c);
            if (!Modules.ADAPTERS.contains(from)) {
              return;
            }
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
              String to = Modules.of(d.getTargetClass().getBaseComponentType());
              if (Modules.ADAPTERS.contains(to) && !to.equals(from)) {
                events.add(SimpleConditionEvent.violated(d, from + " depends on " + to + ": " + d.getDescription()));
              }
            }
          }
        })
        .check(classes);
  }

  @Test
  @DisplayName("no class uses an internal package of another module")
  void noModuleReachesIntoAnothersInternals() {
    classes().that().resideInAPackage("io.webhookd..")
        .should(new ArchCondition<JavaClass>("use only their own module's internal packages") {
          @Override
          public void check(JavaClass c, ConditionEvents events) {
            String from = Modules.of(c);
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
              JavaClass target = d.getTargetClass().getBaseComponentType();
              if (target.getPackageName().startsWith("io.webhookd.") && isInternal(target)) {
                String to = Modules.of(target);
                if (!to.equals(from)) {
                  events.add(SimpleConditionEvent.violated(d, from + " uses " + to + "'s internal " + d.getDescription()));
                }
              }
            }
          }
        })
        .check(classes);
  }

  @Test
  @DisplayName("the receiver-side API (WebhookVerifier and what it returns and throws) has only JDK and webhookd types in its signatures")
  void verifierApiNeedsOnlyTheJdk() {
    for (Class<?> type : List.of(WebhookVerifier.class, WebhookVerifier.Builder.class, WebhookBatch.class, WebhookMessage.class,
        WebhookVerificationException.class)) {
      JavaClass c = classes.get(type);
      for (JavaCodeUnit unit : c.getCodeUnits()) {
        if (!unit.getModifiers().contains(JavaModifier.PUBLIC)) {
          continue;
        }
        List<JavaClass> types = new ArrayList<>(unit.getRawParameterTypes());
        types.add(unit.getRawReturnType());
        for (JavaClass t : types) {
          String name = t.getBaseComponentType().getName();
          assertThat(t.getBaseComponentType().isPrimitive() || name.startsWith("java.") || name.startsWith("io.webhookd.") && !isInternal(t))
              .as("%s uses %s", unit.getFullName(), name)
              .isTrue();
        }
      }
    }
  }

  @Test
  @DisplayName("in core only OpenTelemetryTracing uses OpenTelemetry (and the builder's openTelemetry signature names it): an optional dependency")
  void openTelemetryStaysOptional() {
    noClasses().that().resideInAnyPackage(CORE)
        .and().doNotHaveFullyQualifiedName("io.webhookd.internal.OpenTelemetryTracing")
        .and().doNotHaveFullyQualifiedName("io.webhookd.Webhookd$Builder")
        .and().doNotHaveFullyQualifiedName("io.webhookd.internal.OpenTelemetryTracing$1")
        .and().doNotHaveFullyQualifiedName("io.webhookd.internal.OpenTelemetryTracing$SpanAttempt")
        .should().dependOnClassesThat().resideInAnyPackage("io.opentelemetry..")
        .check(classes);
  }

  @Test
  @DisplayName("no internal type appears in a public signature of the API or SPI")
  void noInternalTypesInPublicSignatures() {
    methods().that().areDeclaredInClassesThat().resideInAnyPackage("io.webhookd", "io.webhookd.spi")
        .and().arePublic()
        .and().areDeclaredInClassesThat().arePublic()
        .should(new ArchCondition<JavaMethod>("not mention internal types in their signature") {
          @Override
          public void check(JavaMethod m, ConditionEvents events) {
            boolean bad = isInternal(m.getRawReturnType());
            for (JavaClass p : m.getRawParameterTypes()) {
              bad |= isInternal(p);
            }
            if (bad) {
              events.add(SimpleConditionEvent.violated(m, m.getFullName() + " exposes an internal type"));
            }
          }
        })
        .check(classes);
  }

  private static boolean isInternal(JavaClass c) {
    return c.getPackageName().contains(".internal");
  }
}
