package io.webhookd.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChromiumTest {
  static final Requirement CI = new Requirement(true, "CI=true");
  static final Requirement OPTIONAL = new Requirement(false, "CI is not true");

  @TempDir Path dir;

  private Path executable(String name) throws IOException {
    return Files.createFile(dir.resolve(name), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
  }

  @Test
  @DisplayName("both executables there: the browser is available, required or not")
  void available() throws IOException {
    Path binary = executable("chromium");
    Path driver = executable("chromedriver");
    assertThat(Chromium.decide(CI, binary, driver, Files::isExecutable))
        .isEqualTo(new Outcome.Available<>(new Chromium(binary, driver)));
    assertThat(Chromium.decide(OPTIONAL, binary, driver, Files::isExecutable)).isInstanceOf(Outcome.Available.class);
  }

  @Test
  @DisplayName("missing outside CI: skipped with one line naming what is missing and how to install it")
  void missingOutsideCiSkips() throws IOException {
    Path binary = executable("chromium");
    Path driver = dir.resolve("chromedriver");
    Outcome<Chromium> outcome = Chromium.decide(OPTIONAL, binary, driver, Files::isExecutable);
    assertThat(outcome).isInstanceOf(Outcome.Skipped.class);
    assertThat(((Outcome.Skipped<Chromium>) outcome).line())
        .startsWith("Browser tests skipped: no chromedriver at " + driver + ".")
        .doesNotContain("no Chromium")
        .contains("apt-get install chromium chromium-driver")
        .doesNotContain("\n");
  }

  @Test
  @DisplayName("missing under CI=true: a failure that names Chromium and everything missing")
  void missingInCiFails() {
    Path binary = dir.resolve("chromium");
    Path driver = dir.resolve("chromedriver");
    Outcome<Chromium> outcome = Chromium.decide(CI, binary, driver, Files::isExecutable);
    assertThat(outcome).isInstanceOf(Outcome.Failed.class);
    assertThat(((Outcome.Failed<Chromium>) outcome).message())
        .startsWith("Chromium is required (CI=true)")
        .contains("no Chromium at " + binary + " and no chromedriver at " + driver);
  }
}
