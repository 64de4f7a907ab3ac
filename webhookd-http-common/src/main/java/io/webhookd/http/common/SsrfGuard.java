package io.webhookd.http.common;

import static java.util.Objects.requireNonNull;

import java.net.Inet4Address;
import java.net.Inet6Address;
import io.webhookd.Masking;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import org.jspecify.annotations.Nullable;

/**
 * The SSRF guard of webhookd's HTTP transports: which addresses a webhook may never reach unless
 * private destinations are allowed, and the URL checks that come with it. A transport resolves a
 * host with {@link #resolveChecked} and connects to exactly the addresses it returned, so that a
 * DNS answer that changes in between (DNS rebinding) cannot redirect the connection. Stateless
 * and thread-safe.
 *
 * <p>Refused: IPv4 0/8 ("this network", incl. 0.0.0.0), 10/8, 100.64/10 (CGNAT), 127/8,
 * 169.254/16 (link-local, incl. the cloud metadata address 169.254.169.254), 172.16/12,
 * 192.0.0/24, 192.168/16, 198.18/15, 224/4 (multicast), 240/4 (reserved, incl. broadcast); IPv6
 * ::, ::1, fc00::/7, fe80::/10, fec0::/10, ff00::/8, the local-use NAT64 prefix 64:ff9b:1::/48
 * (RFC 8215) whole; and IPv6 forms that embed an IPv4 address
 * (IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96, NAT64 64:ff9b::/96, 6to4 2002::/16) when the
 * embedded address is refused.
 */
public final class SsrfGuard {
  private SsrfGuard() {}

  /** Why {@code address} may not be reached, or {@code null} when it may. */
  public static @Nullable String forbiddenReason(InetAddress address) {
    byte[] b = address.getAddress();
    if (address instanceof Inet4Address) {
      return ipv4Reason(b);
    }
    if (address instanceof Inet6Address) {
      return ipv6Reason(b);
    }
    return "unknown address family";
  }

  /**
   * Resolves {@code host} and checks every address.
   *
   * @param host a host name or IP literal, without the brackets of an IPv6 literal ({@link
   *     #bareHost})
   * @return the addresses, all allowed: connect to these, not to a new resolution of the name
   * @throws UnknownHostException when the name does not resolve
   * @throws ForbiddenDestinationException when any address is forbidden
   */
  public static InetAddress[] resolveChecked(Resolver resolver, AddressPolicy policy, String host)
      throws UnknownHostException {
    InetAddress[] addresses = resolver.resolve(host);
    if (addresses.length == 0) {
      throw new UnknownHostException(host + ": no addresses");
    }
    for (InetAddress a : addresses) {
      String reason = policy.forbiddenReason(a);
      if (reason != null) {
        // Neither the address nor its kind: the message reaches API clients, and telling them
        // what a name resolves to would make webhookd an oracle for the internal DNS.
        throw new ForbiddenDestinationException(
            "host " + host + " resolves to a private or loopback address, which the SSRF guard"
                + " refuses (allowPrivateDestinations is false)");
      }
    }
    return addresses;
  }

  /**
   * Why {@code url} cannot be used as a webhook: not absolute {@code http} or {@code https}, no
   * host, user info, or (unless private destinations are allowed) a host that resolves to an
   * address the policy forbids. A host that does not resolve now is not refused (DNS may be
   * temporarily unavailable; a send checks again). May block on DNS. What a transport's {@link
   * io.webhookd.spi.WebhookDestination#checkUrl} answers.
   *
   * @return the reason, or {@code null} when the URL can be used
   */
  public static @Nullable String checkUrl(URI url, boolean allowPrivateDestinations, Resolver resolver, AddressPolicy policy) {
    String problem = urlSyntaxProblem(url);
    if (problem != null || allowPrivateDestinations) {
      return problem;
    }
    try {
      resolveChecked(resolver, policy, bareHost(requireNonNull(url.getHost())));
      return null;
    } catch (ForbiddenDestinationException refused) {
      return "url " + refused.getMessage();
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /** Why {@code url} is not an absolute http(s) URL with a host and no user info, or {@code null}. */
  public static @Nullable String urlSyntaxProblem(URI url) {
    String scheme = url.getScheme();
    if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
      return "url must be an absolute http or https URL, was " + Masking.maskUrl(url);
    }
    if (url.getHost() == null || url.getHost().isEmpty()) {
      return "url must have a host, was " + Masking.maskUrl(url);
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

  private static @Nullable String ipv4Reason(byte[] b) {
    int a0 = b[0] & 0xff;
    int a1 = b[1] & 0xff;
    int a2 = b[2] & 0xff;
    if (a0 == 0) {
      return "unspecified address (0.0.0.0/8)";
    }
    if (a0 == 127) {
      return "loopback address (127.0.0.0/8)";
    }
    if (a0 == 10 || (a0 == 172 && (a1 & 0xf0) == 16) || (a0 == 192 && a1 == 168)) {
      return "private address (10/8, 172.16/12, 192.168/16)";
    }
    if (a0 == 169 && a1 == 254) {
      return "link-local address (169.254/16, incl. cloud metadata)";
    }
    if (a0 == 100 && (a1 & 0xc0) == 64) {
      return "shared address space (CGNAT 100.64/10)";
    }
    if (a0 == 192 && a1 == 0 && a2 == 0) {
      return "IETF protocol assignment (192.0.0/24)";
    }
    if (a0 == 198 && (a1 & 0xfe) == 18) {
      return "benchmarking address (198.18/15)";
    }
    if ((a0 & 0xf0) == 224) {
      return "multicast address (224/4)";
    }
    if ((a0 & 0xf0) == 240) {
      return "reserved or broadcast address (240/4)";
    }
    return null;
  }

  private static @Nullable String ipv6Reason(byte[] b) {
    boolean first10Zero = true;
    for (int i = 0; i < 10; i++) {
      if (b[i] != 0) {
        first10Zero = false;
        break;
      }
    }
    if (first10Zero && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
      String embedded = ipv4Reason(tail4(b));
      return embedded == null ? null : "IPv4-mapped " + embedded;
    }
    if (first10Zero && b[10] == 0 && b[11] == 0) {
      if (b[12] == 0 && b[13] == 0 && b[14] == 0 && (b[15] == 0 || b[15] == 1)) {
        return b[15] == 0 ? "unspecified address (::)" : "loopback address (::1)";
      }
      String embedded = ipv4Reason(tail4(b));
      return embedded == null ? null : "IPv4-compatible " + embedded;
    }
    int b0 = b[0] & 0xff;
    int b1 = b[1] & 0xff;
    if ((b0 & 0xfe) == 0xfc) {
      return "unique local address (fc00::/7)";
    }
    if (b0 == 0xfe && (b1 & 0xc0) == 0x80) {
      return "link-local address (fe80::/10)";
    }
    if (b0 == 0xfe && (b1 & 0xc0) == 0xc0) {
      return "site-local address (fec0::/10)";
    }
    if (b0 == 0xff) {
      return "multicast address (ff00::/8)";
    }
    if (b0 == 0x00 && b1 == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b && b[4] == 0 && b[5] == 1) {
      // RFC 8215: translators of this prefix are local to the network, and the IPv4 address may
      // sit anywhere in the rest, so no check of it could tell where the request would go
      return "local-use NAT64 address (64:ff9b:1::/48)";
    }
    if (b0 == 0x00 && b1 == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b) {
      boolean wellKnown = true;
      for (int i = 4; i < 12; i++) {
        wellKnown &= b[i] == 0;
      }
      if (wellKnown) {
        String embedded = ipv4Reason(tail4(b));
        return embedded == null ? null : "NAT64 " + embedded;
      }
    }
    if (b0 == 0x20 && b1 == 0x02) {
      String embedded = ipv4Reason(new byte[] {b[2], b[3], b[4], b[5]});
      return embedded == null ? null : "6to4 " + embedded;
    }
    return null;
  }

  private static byte[] tail4(byte[] b) {
    return new byte[] {b[12], b[13], b[14], b[15]};
  }
}
