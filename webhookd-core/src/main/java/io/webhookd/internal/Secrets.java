package io.webhookd.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Masks secrets for responses, logs, alerts and activity records. Every rule about what is masked
 * lives here; the public API shows these rules as {@link io.webhookd.Masking}, and the JSON
 * documents of webhookd-json map masked values sent back to the values they stand for. Thread-safe.
 *
 * <h2>Headers</h2>
 *
 * Every header value is masked whole ({@code X-Api-Key: ****}), whatever the header's name, except
 * the values of headers that never carry a secret ({@link #NEVER_SECRET_HEADERS}): {@code Accept},
 * {@code Accept-Encoding}, {@code Accept-Language}, {@code Content-Encoding}, {@code
 * Content-Length}, {@code Content-Type}, {@code Date}, {@code Retry-After}, {@code Server}, {@code
 * User-Agent}, {@code webhook-id} and {@code webhook-timestamp}. The name is always shown.
 *
 * <h2>URLs</h2>
 *
 * The user info (user and password) and every query value are masked: {@code
 * https://****@example.com/hook?token=****&region=****}. Scheme, host, port, path and the names of
 * query parameters are shown. A parameter without {@code =} is masked whole; an empty value stays
 * empty.
 */
public final class Secrets {
  /** What a masked value reads as. */
  public static final String MASK = "****";

  /**
   * The headers whose values are shown (case-insensitive): negotiation and framing headers, the
   * date, {@code Retry-After}, and the non-secret Standard Webhooks headers. Everything else is
   * masked, including {@code webhook-signature}, cookies and any custom header.
   */
  public static final Set<String> NEVER_SECRET_HEADERS = neverSecretHeaders();

  private Secrets() {}

  private static Set<String> neverSecretHeaders() {
    Set<String> s = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    s.addAll(
        List.of(
            "Accept", "Accept-Encoding", "Accept-Language", "Content-Encoding", "Content-Length",
            "Content-Type", "Date", "Retry-After", "Server", "User-Agent", "webhook-id",
            "webhook-timestamp"));
    return Collections.unmodifiableSet(s);
  }

  /**
   * Whether the value of a header with this name is masked: true for every header except those of
   * {@link #NEVER_SECRET_HEADERS}.
   */
  public static boolean isSecretName(String headerName) {
    return !NEVER_SECRET_HEADERS.contains(headerName);
  }

  /** The value as it may be shown: unchanged for the never-secret headers, else {@link #MASK}. */
  public static String maskHeaderValue(String name, String value) {
    return isSecretName(name) ? MASK : value;
  }

  // ---------------------------------------------------------------------------------------------
  // URLs

  /** The URL with its user info and every query value masked. */
  public static String maskUrl(URI url) {
    String authority = url.getRawAuthority();
    if (url.getScheme() == null || authority == null) {
      return maskUrlText(url.toString());
    }
    StringBuilder sb = new StringBuilder();
    sb.append(url.getScheme()).append("://");
    if (url.getRawUserInfo() != null) {
      sb.append(MASK).append('@');
    }
    sb.append(authority.substring(authority.lastIndexOf('@') + 1));
    if (url.getRawPath() != null) {
      sb.append(url.getRawPath());
    }
    String query = url.getRawQuery();
    if (query != null) {
      sb.append('?');
      List<String> parts = queryParts(query);
      for (int i = 0; i < parts.size(); i++) {
        if (i > 0) {
          sb.append('&');
        }
        sb.append(maskQueryPart(parts.get(i)));
      }
    }
    if (url.getRawFragment() != null) {
      sb.append('#').append(MASK);
    }
    return sb.toString();
  }

  /**
   * Text that should be a URL, masked for an error message or a log: as {@link #maskUrl} when it
   * parses, otherwise with whatever follows {@code ?} or {@code #} and any user info masked. At
   * most about 200 characters are kept.
   */
  public static String maskUrlText(String text) {
    try {
      URI u = new URI(text);
      if (u.getScheme() != null && u.getRawAuthority() != null) {
        return shorten(maskUrl(u));
      }
    } catch (URISyntaxException e) {
      // masked as text below
    }
    String s = text;
    int cut = firstOf(s, '?', '#');
    if (cut >= 0) {
      s = s.substring(0, cut + 1) + MASK;
    }
    int slashes = s.indexOf("//");
    if (slashes >= 0) {
      int end = firstOf(s.substring(slashes + 2), '/', '?', '#');
      String authority = end < 0 ? s.substring(slashes + 2) : s.substring(slashes + 2, slashes + 2 + end);
      int at = authority.lastIndexOf('@');
      if (at >= 0) {
        s = s.substring(0, slashes + 2) + MASK + s.substring(slashes + 2 + at);
      }
    }
    return shorten(s);
  }

  private static List<String> queryParts(String rawQuery) {
    List<String> parts = new ArrayList<>();
    int start = 0;
    while (true) {
      int amp = rawQuery.indexOf('&', start);
      if (amp < 0) {
        parts.add(rawQuery.substring(start));
        return parts;
      }
      parts.add(rawQuery.substring(start, amp));
      start = amp + 1;
    }
  }

  private static String maskQueryPart(String part) {
    if (part.isEmpty()) {
      return part;
    }
    int eq = part.indexOf('=');
    if (eq < 0) {
      return MASK;
    }
    return eq == part.length() - 1 ? part : part.substring(0, eq + 1) + MASK;
  }

  private static int firstOf(String s, char... cs) {
    int best = -1;
    for (char c : cs) {
      int i = s.indexOf(c);
      if (i >= 0 && (best < 0 || i < best)) {
        best = i;
      }
    }
    return best;
  }

  private static String shorten(String s) {
    return s.length() > 200 ? s.substring(0, 200) + "…" : s;
  }
}
