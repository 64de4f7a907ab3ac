package io.webhookd.http.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Resolves host names; {@link #SYSTEM} uses {@link InetAddress#getAllByName}. Thread-safe. */
@FunctionalInterface
public interface Resolver {
  Resolver SYSTEM = InetAddress::getAllByName;

  /** Every address of {@code host} (an IP literal resolves to itself); blocking. */
  InetAddress[] resolve(String host) throws UnknownHostException;
}
