package io.webhookd.json;

import io.webhookd.Masking;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * What the documents need beyond {@link Masking}: header lines and request lines of stored
 * activity masked again, and masked values sent back (a {@code PUT} of a document read with {@code
 * GET}) mapped to the values they stand for. A masked header value maps back to the stored header
 * at the same position, when that header has the same name ({@link #unmaskHeaderValue}); masked URL
 * parts map back to the stored URL's parts at the same place, while scheme, host and port are
 * unchanged ({@link #unmaskUrl}). Anything else cannot be mapped, and callers refuse it rather than
 * guess. Thread-safe.
 */
final class MaskedValues {
  /** The form masked header values had before every value was masked: {@code Bearer ****}. */
  private static final Pattern OLD_SCHEME_MASK = Pattern.compile("([A-Za-z][A-Za-z0-9_-]{0,20}) \\*\\*\\*\\*");

  private MaskedValues() {}

  /** A header line {@code Name: value} as it may be shown; a line without {@code :} is masked whole. */
  static String maskHeaderLine(String line) {
    int colon = line.indexOf(':');
    if (colon <= 0) {
      return Masking.MASK;
    }
    String name = line.substring(0, colon).strip();
    return name + ": " + Masking.maskHeaderValue(name, line.substring(colon + 1).strip());
  }

  /**
   * Whether a header value sent back reads as masked: {@value Masking#MASK}, or the older form that kept
   * the authentication scheme ({@code Bearer ****}). Only values of {@linkplain Masking#isSecretHeader
   * secret} headers are ever masked.
   */
  static boolean isMaskedHeaderValue(String name, String value) {
    return Masking.isSecretHeader(name) && (value.equals(Masking.MASK) || OLD_SCHEME_MASK.matcher(value).matches());
  }

  /**
   * The stored value a masked value stands for, or {@code null} when it cannot stand for it. The
   * caller pairs the two headers (same position, same name); this checks the value: {@value
   * Masking#MASK} stands for any value, {@code Bearer ****} only for a value with that scheme.
   */
  static @Nullable String unmaskHeaderValue(String masked, String stored) {
    if (masked.equals(Masking.MASK)) {
      return stored;
    }
    var m = OLD_SCHEME_MASK.matcher(masked);
    if (m.matches() && stored.regionMatches(true, 0, m.group(1) + " ", 0, m.group(1).length() + 1)) {
      return stored;
    }
    return null;
  }

  /** A {@code POST <url>} request line with its URL masked (any other text is masked as a URL). */
  static String maskRequestLine(String line) {
    int sp = line.indexOf(' ');
    if (sp > 0 && line.substring(0, sp).chars().allMatch(c -> c >= 'A' && c <= 'Z')) {
      return line.substring(0, sp + 1) + Masking.maskUrlText(line.substring(sp + 1));
    }
    return Masking.maskUrlText(line);
  }

  /** Whether a URL sent in has masked parts: user info or a query value that reads {@value Masking#MASK}. */
  static boolean hasMaskedParts(URI url) {
    String userInfo = url.getRawUserInfo();
    if (userInfo != null && userInfo.contains(Masking.MASK)) {
      return true;
    }
    String query = url.getRawQuery();
    if (query != null) {
      for (String part : queryParts(query)) {
        int eq = part.indexOf('=');
        if ((eq < 0 ? part : part.substring(eq + 1)).equals(Masking.MASK)) {
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
  static @Nullable URI unmaskUrl(URI sent, URI stored) {
    if (!hasMaskedParts(sent)) {
      return sent;
    }
    if (!equalsIgnoreCase(sent.getScheme(), stored.getScheme())
        || !equalsIgnoreCase(sent.getHost(), stored.getHost())
        || sent.getPort() != stored.getPort()) {
      return null;
    }
    String userInfo = sent.getRawUserInfo();
    if (userInfo != null && userInfo.contains(Masking.MASK)) {
      String old = stored.getRawUserInfo();
      if (old == null) {
        return null;
      }
      int colon = userInfo.indexOf(':');
      if (!userInfo.equals(Masking.MASK)
          && !(colon >= 0 && userInfo.substring(colon + 1).equals(Masking.MASK) && old.startsWith(userInfo.substring(0, colon + 1)))) {
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
        if ((eq < 0 ? part : part.substring(eq + 1)).equals(Masking.MASK)) {
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

  private static boolean equalsIgnoreCase(@Nullable String a, @Nullable String b) {
    return a == null ? b == null : a.equalsIgnoreCase(b);
  }
}
