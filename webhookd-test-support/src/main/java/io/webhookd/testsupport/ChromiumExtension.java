package io.webhookd.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.ExtensionContext;

/** The JUnit 5 extension behind {@link RequiresChromium}: applies {@link Chromium#decide}. */
final class ChromiumExtension extends ServiceExtension<Chromium> {
  /** The system property (or JUnit configuration parameter) with the Chromium executable. */
  static final String BINARY_PROPERTY = "webhookd.test.chromium";

  /** The system property (or JUnit configuration parameter) with the chromedriver executable. */
  static final String DRIVER_PROPERTY = "webhookd.test.chromedriver";

  ChromiumExtension() {
    super(Chromium.class);
  }

  @Override
  Outcome<Chromium> outcome(ExtensionContext context) {
    Path binary = context.getConfigurationParameter(BINARY_PROPERTY).map(Path::of).orElse(Chromium.DEFAULT_BINARY);
    Path driver = context.getConfigurationParameter(DRIVER_PROPERTY).map(Path::of).orElse(Chromium.DEFAULT_DRIVER);
    return Chromium.decide(Requirement.of(System.getenv(), null), binary, driver, Files::isExecutable);
  }
}
