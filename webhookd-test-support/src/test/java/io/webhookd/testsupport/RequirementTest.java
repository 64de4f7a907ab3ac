package io.webhookd.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RequirementTest {
  static final String URL = "WEBHOOKD_TEST_POSTGRES_URL";

  @Test
  @DisplayName("CI=true makes the service required, whatever else is set")
  void ciMakesItRequired() {
    assertThat(Requirement.of(Map.of("CI", "true"), URL)).isEqualTo(new Requirement(true, "CI=true"));
    assertThat(Requirement.of(Map.of("CI", "TRUE", URL, "jdbc:postgresql://db/x"), URL).why()).isEqualTo("CI=true");
    assertThat(Requirement.of(Map.of("CI", "true"), null).required()).isTrue();
  }

  @Test
  @DisplayName("the service's own variable, when set, makes it required outside CI too")
  void theServicesVariableMakesItRequired() {
    assertThat(Requirement.of(Map.of(URL, "jdbc:postgresql://db:5432/test"), URL))
        .isEqualTo(new Requirement(true, URL + " is set"));
  }

  @Test
  @DisplayName("neither CI=true nor the variable: optional, so missing means skipped")
  void otherwiseOptional() {
    assertThat(Requirement.of(Map.of(), URL).required()).isFalse();
    assertThat(Requirement.of(Map.of("CI", "false", URL, "  "), URL).required()).isFalse();
    assertThat(Requirement.of(Map.of("CI", "1"), URL).required()).isFalse();
    assertThat(Requirement.of(Map.of(URL, "jdbc:postgresql://db/x"), null).required()).isFalse();
  }
}
