package io.webhookd.http.common;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Resolves host names for the SSRF guard; {@link #SYSTEM} uses {@link InetAddress#getAllByName}.
 * Other resolvers are for tests. Implementations are thread-safe.
 */
@FunctionalInterface
public interface Resolver {
  /** The system's resolver. */
  Resolver SYSTEM = InetAddress::getAllByName;

  /** Every address of {@code host} (an IP literal resolves to itself); blocking. */
  InetAddress[] resolve(String host) throws UnknownHostException;
}
