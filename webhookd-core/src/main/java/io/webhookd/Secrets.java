package io.webhookd;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Masks secrets for responses, logs, alerts and activity records, and maps masked values sent
 * back (a {@code PUT} of a document read with {@code GET}) to the values they stand for. Every
 * rule about what is masked lives here. Thread-safe.
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
 *
 * <h2>Mapping masked values back</h2>
 *
 * A masked header value maps back to the stored header at the same position, when that header has
 * the same name ({@link #unmaskHeaderValue}); masked URL parts map back to the stored URL's parts
 * at the same place, while scheme, host and port are unchanged ({@link #unmaskUrl}). Anything else
 * cannot be mapped, and callers refuse it rather than guess.
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

  /** The form masked header values had before every value was masked: {@code Bearer ****}. */
  private static final Pattern OLD_SCHEME_MASK = Pattern.compile("([A-Za-z][A-Za-z0-9_-]{0,20}) \\*\\*\\*\\*");

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

  /** A header line {@code Name: value} as it may be shown; a line without {@code :} is masked whole. */
  public static String maskHeaderLine(String line) {
    int colon = line.indexOf(':');
    if (colon <= 0) {
      return MASK;
    }
    String name = line.substring(0, colon).strip();
    return name + ": " + maskHeaderValue(name, line.substring(colon + 1).strip());
  }

  /**
   * Whether a header value sent back reads as masked: {@value #MASK}, or the older form that kept
   * the authentication scheme ({@code Bearer ****}). Only values of {@linkplain #isSecretName
   * secret} headers are ever masked.
   */
  public static boolean isMaskedHeaderValue(String name, String value) {
    return isSecretName(name) && (value.equals(MASK) || OLD_SCHEME_MASK.matcher(value).matches());
  }

  /**
   * The stored value a masked value stands for, or {@code null} when it cannot stand for it. The
   * caller pairs the two headers (same position, same name); this checks the value: {@value
   * #MASK} stands for any value, {@code Bearer ****} only for a value with that scheme.
   */
  public static @Nullable String unmaskHeaderValue(String masked, String stored) {
    if (masked.equals(MASK)) {
      return stored;
    }
    var m = OLD_SCHEME_MASK.matcher(masked);
    if (m.matches() && stored.regionMatches(true, 0, m.group(1) + " ", 0, m.group(1).length() + 1)) {
      return stored;
    }
    return null;
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

  /** A {@code POST <url>} request line with its URL masked (any other text is masked as a URL). */
  public static String maskRequestLine(String line) {
    int sp = line.indexOf(' ');
    if (sp > 0 && line.substring(0, sp).chars().allMatch(c -> c >= 'A' && c <= 'Z')) {
      return line.substring(0, sp + 1) + maskUrlText(line.substring(sp + 1));
    }
    return maskUrlText(line);
  }

  /** Whether a URL sent in has masked parts: user info or a query value that reads {@value #MASK}. */
  public static boolean hasMaskedParts(URI url) {
    String userInfo = url.getRawUserInfo();
    if (userInfo != null && userInfo.contains(MASK)) {
      return true;
    }
    String query = url.getRawQuery();
    if (query != null) {
      for (String part : queryParts(query)) {
        int eq = part.indexOf('=');
        if ((eq < 0 ? part : part.substring(eq + 1)).equals(MASK)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * The URL a masked URL sent back stands for, or {@code null} when it cannot be mapped. Each
   * masked query value takes the stored value of the parameter at the same position, which must
   * have the same name; masked user info takes the stored user info. Masked parts map back only
   * while the scheme, host and port are the stored ones, so that a secret never follows a changed
   * host; unmasked parts (the path, other values) are taken as sent.
   *
   * @return {@code sent} itself when it has no masked parts
   */
  public static @Nullable URI unmaskUrl(URI sent, URI stored) {
    if (!hasMaskedParts(sent)) {
      return sent;
    }
    if (!equalsIgnoreCase(sent.getScheme(), stored.getScheme())
        || !equalsIgnoreCase(sent.getHost(), stored.getHost())
        || sent.getPort() != stored.getPort()) {
      return null;
    }
    String userInfo = sent.getRawUserInfo();
    if (userInfo != null && userInfo.contains(MASK)) {
      String old = stored.getRawUserInfo();
      if (old == null) {
        return null;
      }
      int colon = userInfo.indexOf(':');
      if (!userInfo.equals(MASK)
          && !(colon >= 0 && userInfo.substring(colon + 1).equals(MASK) && old.startsWith(userInfo.substring(0, colon + 1)))) {
        return null;
      }
      userInfo = old;
    }
    String query = sent.getRawQuery();
    if (query != null) {
      List<String> sentParts = queryParts(query);
      List<String> storedParts = stored.getRawQuery() == null ? List.of() : queryParts(stored.getRawQuery());
      StringBuilder q = new StringBuilder();
      for (int i = 0; i < sentParts.size(); i++) {
        String part = sentParts.get(i);
        int eq = part.indexOf('=');
        if ((eq < 0 ? part : part.substring(eq + 1)).equals(MASK)) {
          if (i >= storedParts.size()) {
            return null;
          }
          String old = storedParts.get(i);
          int oldEq = old.indexOf('=');
          String name = eq < 0 ? null : part.substring(0, eq);
          String oldName = oldEq < 0 ? null : old.substring(0, oldEq);
          if (!java.util.Objects.equals(name, oldName)) {
            return null;
          }
          part = old;
        }
        if (i > 0) {
          q.append('&');
        }
        q.append(part);
      }
      query = q.toString();
    }
    StringBuilder sb = new StringBuilder();
    sb.append(sent.getScheme()).append("://");
    if (userInfo != null) {
      sb.append(userInfo).append('@');
    }
    String authority = sent.getRawAuthority();
    sb.append(authority.substring(authority.lastIndexOf('@') + 1));
    if (sent.getRawPath() != null) {
      sb.append(sent.getRawPath());
    }
    if (query != null) {
      sb.append('?').append(query);
    }
    if (sent.getRawFragment() != null) {
      sb.append('#').append(sent.getRawFragment());
    }
    try {
      return new URI(sb.toString());
    } catch (URISyntaxException e) {
      return null;
    }
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

  private static boolean equalsIgnoreCase(@Nullable String a, @Nullable String b) {
    return a == null ? b == null : a.equalsIgnoreCase(b);
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
