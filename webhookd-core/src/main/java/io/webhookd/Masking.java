package io.webhookd;

import io.webhookd.internal.Secrets;
import java.net.URI;
import java.util.Set;

/**
 * How webhookd masks secrets in what it shows (status documents, logs, alerts, activity records
 * and exception messages), for code that shows the same values: a custom {@link
 * io.webhookd.spi.WebhookDestination} or {@link io.webhookd.spi.AlertChannel} that logs a URL or a
 * header, or a service that displays subscriptions. Stateless and thread-safe.
 *
 * <ul>
 *   <li><b>Headers.</b> Every header value is masked whole ({@code X-Api-Key: ****}), whatever the
 *       header's name, except the values of the headers that never carry a secret ({@link
 *       #NEVER_SECRET_HEADERS}). The name is always shown.
 *   <li><b>URLs.</b> The user info and every query value are masked: {@code
 *       https://****@example.com/hook?token=****&region=****}. Scheme, host, port, path and the
 *       names of query parameters are shown; a query parameter without {@code =} is masked whole,
 *       an empty value stays empty, a fragment is masked. Masking a masked URL changes nothing.
 * </ul>
 */
public final class Masking {
  /** What a masked value reads as: {@value}. */
  public static final String MASK = Secrets.MASK;

  /**
   * The headers whose values are shown (case-insensitive, unmodifiable): {@code Accept}, {@code
   * Accept-Encoding}, {@code Accept-Language}, {@code Content-Encoding}, {@code Content-Length},
   * {@code Content-Type}, {@code Date}, {@code Retry-After}, {@code Server}, {@code User-Agent},
   * {@code webhook-id} and {@code webhook-timestamp}. Every other header's value is masked,
   * including {@code webhook-signature}, cookies and any custom header.
   */
  public static final Set<String> NEVER_SECRET_HEADERS = Secrets.NEVER_SECRET_HEADERS;

  private Masking() {}

  /** Whether the value of a header with this name is masked: true but for {@link #NEVER_SECRET_HEADERS}. */
  public static boolean isSecretHeader(String headerName) {
    return Secrets.isSecretName(headerName);
  }

  /** The header's value as it may be shown: unchanged for the never-secret headers, else {@value #MASK}. */
  public static String maskHeaderValue(String headerName, String value) {
    return Secrets.maskHeaderValue(headerName, value);
  }

  /** The URL as it may be shown, with its user info, query values and fragment masked. */
  public static String maskUrl(URI url) {
    return Secrets.maskUrl(url);
  }

  /**
   * Text that should be a URL, as it may be shown in an error message or a log: as {@link
   * #maskUrl} when it parses as an absolute URL, otherwise with whatever follows {@code ?} or
   * {@code #} and any user info masked. At most about 200 characters are kept.
   */
  public static String maskUrlText(String text) {
    return Secrets.maskUrlText(text);
  }
}
