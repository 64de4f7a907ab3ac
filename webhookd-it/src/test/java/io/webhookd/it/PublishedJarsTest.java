package io.webhookd.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.webhookd.Webhookd;
import io.webhookd.alert.smtp.SmtpAlertChannel;
import io.webhookd.http.JdkHttpDestination;
import io.webhookd.http.apache.ApacheHttpDestination;
import io.webhookd.http.common.SsrfGuard;
import io.webhookd.json.SubscriptionJson;
import io.webhookd.store.jdbc.JdbcSubscriptionStore;
import io.webhookd.testkit.KafkaCluster;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The published jars as JPMS sees them: each has its Automatic-Module-Name, and they resolve
 * together on the module path (which fails when two of them hold the same package). Needs the
 * packaged jars, as {@code ./mvnw verify} has them; skipped when the modules come from classes
 * directories ({@code mvn test}).
 */
class PublishedJarsTest {
  private static final Map<Class<?>, String> MODULES = new LinkedHashMap<>();

  static {
    MODULES.put(Webhookd.class, "io.webhookd.core");
    MODULES.put(SubscriptionJson.class, "io.webhookd.json");
    MODULES.put(SsrfGuard.class, "io.webhookd.http.common");
    MODULES.put(JdkHttpDestination.class, "io.webhookd.http.jdk");
    MODULES.put(ApacheHttpDestination.class, "io.webhookd.http.apache");
    MODULES.put(JdbcSubscriptionStore.class, "io.webhookd.store.jdbc");
    MODULES.put(SmtpAlertChannel.class, "io.webhookd.alert.smtp");
    MODULES.put(KafkaCluster.class, "io.webhookd.testkit");
  }

  private static Path jarOf(Class<?> c) throws Exception {
    Path p = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    Assumptions.assumeTrue(Files.isRegularFile(p), () -> c.getName() + " comes from " + p + ", not a jar");
    return p;
  }

  @Test
  @DisplayName("every published jar is an automatic module named io.webhookd.<module>, and they resolve together (no package in two jars)")
  void automaticModuleNames() throws Exception {
    Map<String, Path> jars = new LinkedHashMap<>();
    for (Map.Entry<Class<?>, String> e : MODULES.entrySet()) {
      Path jar = jarOf(e.getKey());
      Set<ModuleReference> found = ModuleFinder.of(jar).findAll();
      assertThat(found).hasSize(1);
      ModuleDescriptor d = found.iterator().next().descriptor();
      assertThat(d.isAutomatic()).isTrue();
      assertThat(d.name()).as("module name of %s", jar.getFileName()).isEqualTo(e.getValue());
      jars.put(e.getValue(), jar);
    }

    Configuration resolved = ModuleLayer.boot().configuration().resolve(ModuleFinder.of(jars.values().toArray(Path[]::new)), ModuleFinder.of(), jars.keySet());

    assertThat(resolved.modules().stream().map(m -> m.name()).collect(Collectors.toSet())).containsAll(jars.keySet());
  }
}
