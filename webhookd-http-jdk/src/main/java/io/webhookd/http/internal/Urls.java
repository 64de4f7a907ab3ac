package io.webhookd.http.internal;

import static java.util.Objects.requireNonNull;

import io.webhookd.Secrets;
import java.net.URI;
import java.net.UnknownHostException;
import org.jspecify.annotations.Nullable;

/** Webhook URL checks shared by the transports. */
public final class Urls {
  private Urls() {}

  /**
   * Why {@code url} cannot be used: not absolute {@code http} or {@code https}, no host, user
   * info, or (unless private destinations are allowed) a host that resolves to an address the
   * policy forbids. A host that does not resolve now is not refused (DNS may be temporarily
   * unavailable; a send checks again). May block on DNS.
   *
   * @return the reason, or {@code null} when the URL can be used
   */
  public static @Nullable String check(URI url, boolean allowPrivateDestinations, Resolver resolver, AddressPolicy policy) {
    String problem = syntaxProblem(url);
    if (problem != null || allowPrivateDestinations) {
      return problem;
    }
    try {
      ConnectTunnel.resolveChecked(resolver, policy, bareHost(requireNonNull(url.getHost())));
      return null;
    } catch (ConnectTunnel.Refused refused) {
      return "url " + refused.getMessage();
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /** Why {@code url} is not an absolute http(s) URL with a host and no user info, or {@code null}. */
  public static @Nullable String syntaxProblem(URI url) {
    String scheme = url.getScheme();
    if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
      return "url must be an absolute http or https URL, was " + Secrets.maskUrl(url);
    }
    if (url.getHost() == null || url.getHost().isEmpty()) {
      return "url must have a host, was " + Secrets.maskUrl(url);
    }
    if (url.getRawUserInfo() != null) {
      return "url must not contain user info";
    }
    return null;
  }

  /** A host without the brackets of an IPv6 literal. */
  public static String bareHost(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }
}
