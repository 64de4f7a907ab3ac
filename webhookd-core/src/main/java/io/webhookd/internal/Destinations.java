package io.webhookd.internal;

import io.webhookd.WebhookdException;
import io.webhookd.spi.WebhookDestination;
import io.webhookd.spi.WebhookDestinationProvider;
import java.net.URI;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The transports of an engine, by URL scheme: a subscription's webhook URL picks its destination.
 * {@code http} and {@code https} go to the HTTP transport, the one given or else the one {@link
 * ServiceLoader} finds ({@code webhookd-http-jdk} provides it); a user's own schemes ({@code
 * file}, {@code sqs}, ...) to theirs. Immutable and thread-safe.
 */
final class Destinations {
  private final Map<String, WebhookDestination> bySchema;

  private Destinations(Map<String, WebhookDestination> bySchema) {
    this.bySchema = bySchema;
  }

  /**
   * @throws WebhookdException when no destination is given and none is found on the class path
   */
  static Destinations of(Map<String, WebhookDestination> given) {
    Map<String, WebhookDestination> m = new LinkedHashMap<>();
    given.forEach((scheme, d) -> m.put(scheme.toLowerCase(Locale.ROOT), d));
    if (!m.containsKey("http") || !m.containsKey("https")) {
      WebhookDestination http = load();
      if (http == null && m.isEmpty()) {
        throw new WebhookdException(
            "no WebhookDestination: pass one to Webhookd.builder().destination(...), or add the artifact"
                + " io.webhookd:webhookd-http-jdk (or webhookd-http-apache) to the class path");
      }
      if (http != null) {
        m.putIfAbsent("http", http);
        m.putIfAbsent("https", http);
      }
    }
    return new Destinations(Map.copyOf(m));
  }

  private static @Nullable WebhookDestination load() {
    for (WebhookDestinationProvider p : ServiceLoader.load(WebhookDestinationProvider.class)) {
      return p.create();
    }
    return null;
  }

  /** The destination of a URL's scheme, or {@code null} when this engine has none. */
  @Nullable WebhookDestination forUrl(URI url) {
    String scheme = url.getScheme();
    return scheme == null ? null : bySchema.get(scheme.toLowerCase(Locale.ROOT));
  }

  /** Why this engine cannot deliver to the URL (no destination for its scheme, or the destination refuses it), or {@code null}. */
  @Nullable String check(URI url) {
    WebhookDestination d = forUrl(url);
    if (d == null) {
      return "has the scheme " + (url.getScheme() == null ? "(none)" : "\"" + url.getScheme() + "\"")
          + ", which no destination of this engine serves; it serves " + String.join(", ", new TreeSet<>(bySchema.keySet()));
    }
    return d.checkUrl(url);
  }

  /** Each distinct destination once. */
  List<WebhookDestination> distinct() {
    Set<WebhookDestination> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    List<WebhookDestination> out = new ArrayList<>();
    for (WebhookDestination d : bySchema.values()) {
      if (seen.add(d)) {
        out.add(d);
      }
    }
    return out;
  }
}
