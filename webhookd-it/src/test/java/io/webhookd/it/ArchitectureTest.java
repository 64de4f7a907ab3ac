package io.webhookd.it;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.methods;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethod;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The module rules of DESIGN.md: core depends on no adapter, adapters on no other adapter. */
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
  @DisplayName("adapters depend on no other adapter")
  void adaptersAreIndependent() {
    noClasses().that().resideInAPackage("io.webhookd.http..")
        .should().dependOnClassesThat().resideInAnyPackage("io.webhookd.store..", "io.webhookd.alert..")
        .check(classes);
    noClasses().that().resideInAPackage("io.webhookd.store..")
        .should().dependOnClassesThat().resideInAnyPackage("io.webhookd.http..", "io.webhookd.alert..")
        .check(classes);
    noClasses().that().resideInAPackage("io.webhookd.alert..")
        .should().dependOnClassesThat().resideInAnyPackage("io.webhookd.http..", "io.webhookd.store..")
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
