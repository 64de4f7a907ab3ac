package io.webhookd.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import io.webhookd.testsupport.PostgresPlan.Step;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PostgresPlanTest {
  static final String URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
  static final String REFUSED = "Connection to 127.0.0.1:5432 refused";
  static final Requirement CI = new Requirement(true, "CI=true");
  static final Requirement URL_SET = new Requirement(true, "WEBHOOKD_TEST_POSTGRES_URL is set");
  static final Requirement OPTIONAL = new Requirement(false, "CI is not true and WEBHOOKD_TEST_POSTGRES_URL is not set");

  @Test
  @DisplayName("a reachable server is used, required or not")
  void reachableServerIsUsed() {
    assertThat(PostgresPlan.decide(CI, URL, null, null).step()).isEqualTo(Step.USE_SERVER);
    assertThat(PostgresPlan.decide(OPTIONAL, URL, null, PostgresPlan.AS_ROOT).step()).isEqualTo(Step.USE_SERVER);
  }

  @Test
  @DisplayName("required (CI=true or the URL set) and unreachable: a failure naming PostgreSQL, the reason and the URL; never embedded")
  void requiredAndUnreachableFails() {
    PostgresPlan ci = PostgresPlan.decide(CI, URL, REFUSED, null);
    assertThat(ci.step()).isEqualTo(Step.FAIL);
    assertThat(ci.message())
        .startsWith("PostgreSQL is required (CI=true) but there is none at " + URL + ": " + REFUSED)
        .contains("WEBHOOKD_TEST_POSTGRES_URL");
    PostgresPlan urlSet = PostgresPlan.decide(URL_SET, URL, REFUSED, PostgresPlan.AS_ROOT);
    assertThat(urlSet.step()).isEqualTo(Step.FAIL);
    assertThat(urlSet.message()).startsWith("PostgreSQL is required (WEBHOOKD_TEST_POSTGRES_URL is set)");
  }

  @Test
  @DisplayName("optional and unreachable, not root: an embedded PostgreSQL is started")
  void optionalUnreachableStartsEmbedded() {
    assertThat(PostgresPlan.decide(OPTIONAL, URL, REFUSED, null).step()).isEqualTo(Step.START_EMBEDDED);
  }

  @Test
  @DisplayName("optional and unreachable as root: skipped with one line that says why and how to run them")
  void optionalUnreachableAsRootSkips() {
    PostgresPlan plan = PostgresPlan.decide(OPTIONAL, URL, REFUSED, PostgresPlan.AS_ROOT);
    assertThat(plan.step()).isEqualTo(Step.SKIP);
    assertThat(plan.message())
        .startsWith("PostgreSQL tests skipped: no PostgreSQL at " + URL + " (" + REFUSED + ")")
        .contains("refuses to run as root")
        .contains("start PostgreSQL on 127.0.0.1:5432")
        .contains("WEBHOOKD_TEST_POSTGRES_URL=jdbc:postgresql://")
        .contains("under CI=true they are required")
        .doesNotContain("\n");
  }
}
