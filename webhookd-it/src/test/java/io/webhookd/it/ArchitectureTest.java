package io.webhookd.it;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.methods;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMethod;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaType;
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
import java.util.Map;
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

  /**
   * What a module's public API may show besides the JDK and webhookd's own public types, by module:
   * kafka-clients everywhere (a source is a Kafka topic); Micrometer's {@code MeterRegistry} in
   * core (the builder takes one, Micrometer being optional); Jackson only in webhookd-json, whose
   * whole point it is; JUnit, AssertJ and MockWebServer in the test kit (its contract tests are
   * JUnit classes, the HTTP one runs a MockWebServer). A module not named here is not a library
   * (the example server, the test plumbing) and is not checked.
   */
  private static final Map<String, List<String>> API_MAY_SHOW = Map.of(
      "webhookd-core", List.of("io.micrometer.core.instrument."),
      "webhookd-json", List.of("com.fasterxml.jackson."),
      "webhookd-http-common", List.of(),
      "webhookd-http-jdk", List.of(),
      "webhookd-http-apache", List.of(),
      "webhookd-store-jdbc", List.of(),
      "webhookd-alert-smtp", List.of(),
      // the test kit's ReceivedMessage.value() is the message's JSON as Jackson's JsonNode: the
      // kit is a test dependency, and no other Jackson type may join it
      "webhookd-test-kit", List.of("org.junit.", "org.assertj.", "mockwebserver3.", "com.fasterxml.jackson.databind.JsonNode"));

  @Test
  @DisplayName("public API packages show no third-party type (Jackson above all) in a public or protected signature, but kafka-clients' and each module's own")
  void noThirdPartyTypesInPublicSignatures() {
    List<String> problems = new ArrayList<>();
    for (JavaClass c : classes) {
      List<String> mayShow = API_MAY_SHOW.get(Modules.of(c));
      if (mayShow != null && !isInternal(c) && isPublicAllTheWayOut(c)) {
        problems.addAll(foreignTypesInSignatures(c, mayShow));
      }
    }
    assertThat(problems).isEmpty();
  }

  @Test
  @DisplayName("the public-signature check finds a Jackson type in a return type, a parameter, a type argument, a field and a supertype")
  void signatureCheckFindsJackson() {
    JavaClass fixture = new ClassFileImporter().importClass(ExposesJackson.class);
    assertThat(foreignTypesInSignatures(fixture, List.of()))
        .anyMatch(p -> p.contains("node()") && p.contains("JsonNode"))
        .anyMatch(p -> p.contains("take(") && p.contains("ObjectNode"))
        .anyMatch(p -> p.contains("nodes()") && p.contains("ArrayNode"))
        .anyMatch(p -> p.contains("field") && p.contains("JsonNodeFactory"))
        .anyMatch(p -> p.contains("extends") && p.contains("JsonSerializable"))
        .noneMatch(p -> p.contains("hidden"));
    assertThat(foreignTypesInSignatures(fixture, List.of("com.fasterxml.jackson."))).isEmpty();
  }

  /** A public class that shows Jackson, as io.webhookd.SubscriptionJson did. */
  @SuppressWarnings("unused")
  public abstract static class ExposesJackson implements com.fasterxml.jackson.databind.JsonSerializable {
    public static final com.fasterxml.jackson.databind.node.JsonNodeFactory FACTORY = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;

    public abstract com.fasterxml.jackson.databind.JsonNode node();

    protected abstract void take(com.fasterxml.jackson.databind.node.ObjectNode o);

    public abstract List<com.fasterxml.jackson.databind.node.ArrayNode> nodes();

    abstract com.fasterxml.jackson.databind.JsonNode hidden();
  }

  /**
   * The types a class shows, as if it were public, that are neither the JDK's, webhookd's public ones, kafka-clients'
   * nor those of {@code mayShow} (package prefixes ending in a dot, or class names), one line each: its supertypes, and the types of
   * its public and protected fields, constructors and methods (parameters, return types with their
   * type arguments, declared exceptions).
   */
  private static List<String> foreignTypesInSignatures(JavaClass c, List<String> mayShow) {
    List<String> out = new ArrayList<>();
    java.util.function.BiConsumer<String, JavaType> check = (where, type) -> {
      for (JavaClass t : type.getAllInvolvedRawTypes()) {
        JavaClass base = t.getBaseComponentType();
        String name = base.getName();
        boolean ok = base.isPrimitive() || name.startsWith("java.") || name.startsWith("javax.")
            || name.startsWith("io.webhookd.") && !isInternal(base)
            || name.startsWith("org.apache.kafka.clients.") || name.startsWith("org.apache.kafka.common.")
            || mayShow.stream().anyMatch(m -> m.endsWith(".") ? name.startsWith(m) : name.equals(m));
        if (!ok) {
          out.add(where + " shows " + name);
        }
      }
    };
    c.getRawSuperclass().ifPresent(s -> check.accept(c.getName() + " extends", s));
    c.getInterfaces().forEach(i -> check.accept(c.getName() + " extends", i));
    for (JavaField f : c.getFields()) {
      if (isVisible(f.getModifiers())) {
        check.accept(c.getName() + " field " + f.getName(), f.getType());
      }
    }
    for (JavaCodeUnit u : c.getCodeUnits()) {
      if (!isVisible(u.getModifiers()) || u.getName().equals("<clinit>")) {
        continue;
      }
      check.accept(u.getFullName(), u.getReturnType());
      u.getParameterTypes().forEach(p -> check.accept(u.getFullName(), p));
      u.getThrowsClause().getTypes().forEach(t -> check.accept(u.getFullName(), t));
    }
    return out;
  }

  private static boolean isVisible(java.util.Set<JavaModifier> modifiers) {
    return modifiers.contains(JavaModifier.PUBLIC) || modifiers.contains(JavaModifier.PROTECTED);
  }

  private static boolean isPublicAllTheWayOut(JavaClass c) {
    for (JavaClass k = c; k != null; k = k.getEnclosingClass().orElse(null)) {
      if (!k.getModifiers().contains(JavaModifier.PUBLIC)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isInternal(JavaClass c) {
    return c.getPackageName().contains(".internal");
  }
}
