package io.webhookd;

import static java.util.Objects.requireNonNull;

import io.webhookd.WebhookVerificationException.Reason;
import io.webhookd.internal.Signer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * Verifies, on the receiving side, that a request came from webhookd: checks its <a
 * href="https://www.standardwebhooks.com/">Standard Webhooks</a> signature and timestamp, then
 * reads the batch.
 *
 * <pre>{@code
 * WebhookVerifier verifier = WebhookVerifier.of("whsec_...");   // once; thread-safe
 *
 * // in the request handler, with the raw body bytes exactly as received:
 * try {
 *   WebhookBatch batch = verifier.verify(request::getHeader, body);  // servlet; or a Map of headers
 *   for (WebhookMessage m : batch.messages()) {
 *     if (processedIds.add(m.id())) { ... }                          // at least once: deduplicate
 *   }
 *   return 200;
 * } catch (WebhookVerificationException e) {
 *   return e.reason().httpStatus();                                  // 401 or 400
 * }
 * }</pre>
 *
 * <p>What is checked: the {@code webhook-id}, {@code webhook-timestamp} and {@code
 * webhook-signature} headers are present; the timestamp is within the {@linkplain
 * Builder#tolerance tolerance} of now (default 5 minutes, as the specification recommends), which
 * stops a captured request from being replayed later; and one of the {@code v1,<base64>}
 * signatures in {@code webhook-signature} is the HMAC-SHA256 of {@code id.timestamp.body} under
 * one of the secrets. Signatures are compared in constant time. Several secrets allow a rotation:
 * verify with the old and the new secret until every sender uses the new one.
 *
 * <p>Header names are matched case-insensitively. The body must be the exact bytes received: a
 * body parsed and written again no longer matches its signature.
 *
 * <p>Needs nothing but the JDK: a receiving service may depend on {@code webhookd-core} with its
 * dependencies excluded. Immutable and thread-safe.
 */
public final class WebhookVerifier {
  /** The default tolerance between a request's timestamp and the receiver's clock: 5 minutes. */
  public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

  private static final String HMAC = "HmacSHA256";

  private final List<SecretKeySpec> keys;
  private final Duration tolerance;
  private final Clock clock;

  private WebhookVerifier(Builder b) {
    this.keys = List.copyOf(b.keys);
    this.tolerance = b.tolerance;
    this.clock = b.clock;
  }

  /**
   * A verifier of these secrets with the default tolerance.
   *
   * @param secret a signing secret: {@code whsec_} and the base64 of 24 to 64 bytes
   * @param moreSecrets further secrets that are accepted too (for a rotation)
   * @throws IllegalArgumentException when a secret is not of that form (the message does not
   *     repeat the secret)
   */
  public static WebhookVerifier of(String secret, String... moreSecrets) {
    Builder b = builder().secret(secret);
    for (String s : moreSecrets) {
      b.secret(s);
    }
    return b.build();
  }

  /** A builder: at least one secret; tolerance and clock have defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A new random signing secret: {@code whsec_} and the base64 of 32 bytes from a {@link
   * java.security.SecureRandom}. Give it to a subscription ({@code
   * SubscriptionSpec.Builder#signingSecret}) and to its receiver's verifier.
   */
  public static String newSecret() {
    return Signer.newSecret();
  }

  /**
   * Verifies a request and reads its batch.
   *
   * @param headers the request headers; names in any case (a JDK {@code HttpExchange}'s {@code
   *     getRequestHeaders()} or Spring's {@code HttpHeaders} can be passed as they are); several
   *     values of {@code webhook-signature} are all considered
   * @param body the request body, byte for byte as received
   * @return the batch
   * @throws WebhookVerificationException when the request is not proven to come from webhookd
   *     within the tolerance, or its body is not a batch; see {@link
   *     WebhookVerificationException#reason()}
   */
  public WebhookBatch verify(Map<String, List<String>> headers, byte[] body) {
    verifySignature(headers, body);
    return WebhookBatch.parse(body);
  }

  /**
   * Verifies a request and reads its batch, looking headers up with a function: {@code
   * request::getHeader} of a servlet request, {@code headers::getFirst} of Spring's {@code
   * HttpHeaders}, {@code exchange.getRequestHeaders()::getFirst} of the JDK's HTTP server.
   *
   * @param header the value of a header by name, or {@code null} when absent; must match names
   *     case-insensitively, as each of those does
   * @param body the request body, byte for byte as received
   * @return the batch
   * @throws WebhookVerificationException as {@link #verify(Map, byte[])}
   */
  public WebhookBatch verify(Function<String, @Nullable String> header, byte[] body) {
    verifySignature(header, body);
    return WebhookBatch.parse(body);
  }

  /**
   * Verifies a request's signature and timestamp without reading its body (which need not be a
   * webhookd batch).
   *
   * @return the request's {@code webhook-id}
   * @throws WebhookVerificationException when the request is not proven to come from the holder of
   *     a secret within the tolerance
   */
  public String verifySignature(Map<String, List<String>> headers, byte[] body) {
    requireNonNull(headers, "headers");
    List<String> signatures = allValues(headers, "webhook-signature");
    return check(
        firstValue(headers, "webhook-id"),
        firstValue(headers, "webhook-timestamp"),
        signatures.isEmpty() ? null : String.join(" ", signatures),
        body);
  }

  /**
   * As {@link #verifySignature(Map, byte[])}, looking headers up with a function.
   *
   * @return the request's {@code webhook-id}
   * @throws WebhookVerificationException as {@link #verifySignature(Map, byte[])}
   */
  public String verifySignature(Function<String, @Nullable String> header, byte[] body) {
    requireNonNull(header, "header");
    return check(header.apply("webhook-id"), header.apply("webhook-timestamp"), header.apply("webhook-signature"), body);
  }

  private String check(@Nullable String id, @Nullable String timestamp, @Nullable String signatures, byte[] body) {
    requireNonNull(body, "body");
    List<String> missing = new ArrayList<>();
    if (id == null || id.isBlank()) {
      missing.add("webhook-id");
    }
    if (timestamp == null || timestamp.isBlank()) {
      missing.add("webhook-timestamp");
    }
    if (signatures == null || signatures.isBlank()) {
      missing.add("webhook-signature");
    }
    if (!missing.isEmpty()) {
      throw new WebhookVerificationException(Reason.MISSING_HEADER, "missing header(s): " + String.join(", ", missing));
    }
    long ts;
    try {
      ts = Long.parseLong(timestamp.trim());
    } catch (NumberFormatException e) {
      throw new WebhookVerificationException(
          Reason.MALFORMED_TIMESTAMP, "webhook-timestamp must be a number of seconds since the epoch, was '" + abbreviate(timestamp) + "'");
    }
    long now = clock.instant().getEpochSecond();
    long skew;
    try {
      skew = Math.abs(Math.subtractExact(now, ts));
    } catch (ArithmeticException e) {
      skew = Long.MAX_VALUE;
    }
    if (skew < 0 || skew > tolerance.toSeconds()) {
      throw new WebhookVerificationException(
          Reason.TIMESTAMP_OUT_OF_TOLERANCE,
          "webhook-timestamp " + ts + " is " + (skew < 0 ? Long.MAX_VALUE : skew) + " s "
              + (ts < now ? "in the past" : "in the future") + ", more than the tolerance of " + tolerance.toSeconds() + " s");
    }
    byte[] signedPrefix = (id + "." + ts + ".").getBytes(StandardCharsets.UTF_8);
    List<byte[]> candidates = v1Signatures(signatures);
    boolean matched = false;
    for (SecretKeySpec key : keys) {
      byte[] expected = hmac(key, signedPrefix, body);
      for (byte[] candidate : candidates) {
        // constant time: how much of a guess matches is not revealed
        matched |= MessageDigest.isEqual(expected, candidate);
      }
    }
    if (!matched) {
      throw new WebhookVerificationException(
          Reason.NO_MATCHING_SIGNATURE,
          candidates.isEmpty()
              ? "webhook-signature holds no v1 signature (expected space-separated 'v1,<base64>')"
              : "no v1 signature of webhook-signature matches (" + candidates.size() + " tried against "
                  + keys.size() + " secret(s))");
    }
    return id;
  }

  private static List<byte[]> v1Signatures(String header) {
    List<byte[]> out = new ArrayList<>();
    for (String part : header.trim().split("\\s+")) {
      if (part.startsWith("v1,")) {
        try {
          out.add(Base64.getDecoder().decode(part.substring(3)));
        } catch (IllegalArgumentException e) {
          // not base64: cannot match; other entries may
        }
      }
    }
    return out;
  }

  private static byte[] hmac(SecretKeySpec key, byte[] prefix, byte[] body) {
    try {
      Mac mac = Mac.getInstance(HMAC);
      mac.init(key);
      mac.update(prefix);
      return mac.doFinal(body);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
    }
  }

  private static @Nullable String firstValue(Map<String, List<String>> headers, String name) {
    List<String> values = allValues(headers, name);
    return values.isEmpty() ? null : values.get(0);
  }

  private static List<String> allValues(Map<String, List<String>> headers, String name) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, List<String>> e : headers.entrySet()) {
      if (e.getKey() != null && e.getKey().equalsIgnoreCase(name) && e.getValue() != null) {
        for (String v : e.getValue()) {
          if (v != null) {
            out.add(v);
          }
        }
      }
    }
    return out;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  @Override
  public String toString() {
    return "WebhookVerifier{secrets=" + keys.size() + ", tolerance=" + tolerance + "}";
  }

  /** Builds a {@link WebhookVerifier}. Not thread-safe; {@link #build()} copies its state. */
  public static final class Builder {
    private final List<SecretKeySpec> keys = new ArrayList<>();
    private Duration tolerance = DEFAULT_TOLERANCE;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /**
     * Accepts signatures made with this secret (call again for more: during a rotation, the old
     * and the new one).
     *
     * @param secret {@code whsec_} and the base64 of 24 to 64 bytes
     * @throws IllegalArgumentException when it is not of that form
     */
    public Builder secret(String secret) {
      requireNonNull(secret, "secret");
      String why = Signer.checkSecret(secret);
      if (why != null) {
        throw new IllegalArgumentException("secret " + why);
      }
      keys.add(new SecretKeySpec(Base64.getDecoder().decode(secret.substring(Signer.PREFIX.length())), HMAC));
      return this;
    }

    /**
     * How far a request's {@code webhook-timestamp} may be from now, either way (default {@link
     * #DEFAULT_TOLERANCE}); at least one second. webhookd stamps each attempt when it sends it, so
     * this bounds clock skew plus time in transit, and how long a captured request can be replayed.
     */
    public Builder tolerance(Duration tolerance) {
      requireNonNull(tolerance, "tolerance");
      if (tolerance.toSeconds() < 1) {
        throw new IllegalArgumentException("tolerance must be at least 1 second, was " + tolerance);
      }
      this.tolerance = tolerance;
      return this;
    }

    /** The clock that says what "now" is (default the system clock); for tests. */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The verifier.
     *
     * @throws IllegalStateException when no secret was given
     */
    public WebhookVerifier build() {
      if (keys.isEmpty()) {
        throw new IllegalStateException("a WebhookVerifier needs at least one secret");
      }
      return new WebhookVerifier(this);
    }
  }
}
