package io.webhookd.testsupport;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The browser of a test run that {@link RequiresChromium}: Chromium and the chromedriver that
 * drives it.
 *
 * @param binary the Chromium executable
 * @param driver the chromedriver executable
 */
public record Chromium(Path binary, Path driver) {
  static final Path DEFAULT_BINARY = Path.of("/usr/bin/chromium");
  static final Path DEFAULT_DRIVER = Path.of("/usr/bin/chromedriver");

  /**
   * The outcome for these paths: available when both are executable; else a skip, or a failure
   * naming Chromium when it is required.
   */
  static Outcome<Chromium> decide(Requirement requirement, Path binary, Path driver, Predicate<Path> executable) {
    List<String> missing = new ArrayList<>();
    if (!executable.test(binary)) {
      missing.add("no Chromium at " + binary);
    }
    if (!executable.test(driver)) {
      missing.add("no chromedriver at " + driver);
    }
    if (missing.isEmpty()) {
      return new Outcome.Available<>(new Chromium(binary, driver));
    }
    String what = String.join(" and ", missing);
    String install = "apt-get install chromium chromium-driver (Debian's packages; .ci/run installs them)";
    if (requirement.required()) {
      return new Outcome.Failed<>(
          "Chromium is required (" + requirement.why() + ") for the browser tests but there is " + what + ": " + install);
    }
    return new Outcome.Skipped<>(
        "Browser tests skipped: " + what + ". To run them: " + install + "; under CI=true they are required.");
  }
}
