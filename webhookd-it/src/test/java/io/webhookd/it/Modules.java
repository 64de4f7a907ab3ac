package io.webhookd.it;

import com.tngtech.archunit.core.domain.JavaClass;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Which module of the build a class comes from, by where it was loaded from. */
final class Modules {
  /** The adapter modules: none may depend on another. */
  static final Set<String> ADAPTERS = Set.of("webhookd-http-jdk", "webhookd-http-apache", "webhookd-store-jdbc", "webhookd-alert-smtp");

  // .../webhookd-core/target/classes/... or .../webhookd-core-0.1.0-SNAPSHOT.jar!/...
  private static final Pattern LOCATION = Pattern.compile("/(webhookd-[a-z-]+?)(?:/target/classes/|-\\d[^/]*\\.jar!/)");

  private Modules() {}

  /** The module's artifact id, or "?" for a class not of this build (the JDK, a library). */
  static String of(JavaClass c) {
    return c.getSource()
        .map(source -> {
          Matcher m = LOCATION.matcher(source.getUri().toString());
          return m.find() ? m.group(1) : "?";
        })
        .orElse("?");
  }
}
