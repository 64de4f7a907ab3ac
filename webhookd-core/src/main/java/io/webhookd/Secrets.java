package io.webhookd;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks secrets for responses, logs and activity records. Thread-safe. A header is treated as
 * secret when its name suggests credentials ({@code Authorization}, {@code *token*}, {@code
 * *secret*}, {@code *key*}, {@code *password*}, {@code *signature*}, {@code Cookie}); a URL's
 * user-info password and query parameters with such names are masked too.
 */
public final class Secrets {
  /** What a masked value reads as. */
  public static final String MASK = "****";

  private static final Pattern SECRET_NAME =
      Pattern.compile(
          "authorization|cookie|token|secret|key|passw|pwd|signature|sig$|^sig|credential|auth",
          Pattern.CASE_INSENSITIVE);
  private static final Pattern SCHEME_PREFIX = Pattern.compile("^([A-Za-z][A-Za-z0-9_-]{0,20} )");

  /**
   * Answers for names seen before: every delivery's activity record masks the same few header
   * names, and the regular expression cost more than the rest of the record. Bounded, since
   * response header names come from the webhook's server.
   */
  private static final int NAMES_CACHED = 1024;

  private static final Map<String, Boolean> SECRET_NAMES = new ConcurrentHashMap<>();

  private Secrets() {}

  /** Whether a header or parameter with this name carries a secret. */
  public static boolean isSecretName(String name) {
    Boolean known = SECRET_NAMES.get(name);
    if (known != null) {
      return known;
    }
    boolean secret = SECRET_NAME.matcher(name.toLowerCase(Locale.ROOT)).find();
    if (SECRET_NAMES.size() < NAMES_CACHED) {
      SECRET_NAMES.put(name, secret);
    }
    return secret;
  }

  /**
   * The value as it may be shown: unchanged for ordinary headers; for secret ones, the
   * authentication scheme (if any, such as {@code Bearer}) followed by {@link #MASK}.
   */
  public static String maskHeaderValue(String name, String value) {
    if (!isSecretName(name)) {
      return value;
    }
    Matcher m = SCHEME_PREFIX.matcher(value);
    return m.find() ? m.group(1) + MASK : MASK;
  }

  /** The URL with its user-info password and secret-looking query parameter values masked. */
  public static String maskUrl(URI url) {
    try {
      String userInfo = url.getRawUserInfo();
      if (userInfo != null) {
        int colon = userInfo.indexOf(':');
        userInfo = colon < 0 ? MASK : userInfo.substring(0, colon) + ":" + MASK;
      }
      String query = url.getRawQuery();
      if (query != null) {
        StringBuilder q = new StringBuilder();
        for (String part : query.split("&", -1)) {
          if (q.length() > 0) {
            q.append('&');
          }
          int eq = part.indexOf('=');
          if (eq > 0 && isSecretName(part.substring(0, eq))) {
            q.append(part, 0, eq + 1).append(MASK);
          } else {
            q.append(part);
          }
        }
        query = q.toString();
      }
      StringBuilder sb = new StringBuilder();
      sb.append(url.getScheme()).append("://");
      if (userInfo != null) {
        sb.append(userInfo).append('@');
      }
      sb.append(url.getRawAuthority().substring(url.getRawAuthority().indexOf('@') + 1));
      if (url.getRawPath() != null) {
        sb.append(url.getRawPath());
      }
      if (query != null) {
        sb.append('?').append(query);
      }
      return new URI(sb.toString()).toString();
    } catch (URISyntaxException | RuntimeException e) {
      return url.getScheme() + "://" + MASK;
    }
  }
}
