package io.webhookd.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.container;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.skippedWithReason;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;

/** The annotation end to end, with the executables' paths given as system properties. */
class RequiresChromiumTest {
  static final List<Chromium> USED = new CopyOnWriteArrayList<>();

  @TempDir Path dir;

  @BeforeEach
  void clear() {
    USED.clear();
  }

  private static EngineExecutionResults run(Path binary, Path driver) {
    return EngineTestKit.engine("junit-jupiter")
        .selectors(selectClass(NeedsChromium.class))
        .configurationParameter(ChromiumExtension.BINARY_PROPERTY, binary.toString())
        .configurationParameter(ChromiumExtension.DRIVER_PROPERTY, driver.toString())
        .configurationParameter(ServiceExtension.ANNOUNCE_PROPERTY, "false")
        .execute();
  }

  @Test
  @DisplayName("no browser at the given paths: skipped with the line, or under CI=true failed naming Chromium")
  void missing() {
    EngineExecutionResults results = run(dir.resolve("chromium"), dir.resolve("chromedriver"));
    if (Requirement.of(System.getenv(), null).required()) {
      results.containerEvents().assertThatEvents()
          .haveExactly(1, event(container(NeedsChromium.class),
              finishedWithFailure(message(m -> m.startsWith("Chromium is required (CI=true)")))));
    } else {
      results.containerEvents().assertThatEvents()
          .haveExactly(1, event(container(NeedsChromium.class),
              skippedWithReason(r -> r.startsWith("Browser tests skipped: no Chromium at " + dir.resolve("chromium")))));
    }
    assertThat(USED).isEmpty();
  }

  @Test
  @DisplayName("both executables at the given paths: the tests run and get them")
  void present() throws IOException {
    var executable = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    Path binary = Files.createFile(dir.resolve("chromium"), executable);
    Path driver = Files.createFile(dir.resolve("chromedriver"), executable);
    run(binary, driver).testEvents().assertStatistics(s -> s.succeeded(1));
    assertThat(USED).containsExactly(new Chromium(binary, driver));
  }

  @RequiresChromium
  static class NeedsChromium {
    @Test
    void uses(Chromium chromium) {
      USED.add(chromium);
    }
  }
}
