package io.webhookd.http.internal;

import java.net.InetAddress;
import org.jspecify.annotations.Nullable;

/** Decides which addresses may be connected to. Thread-safe. */
@FunctionalInterface
public interface AddressPolicy {
  /** The SSRF guard's rules ({@link AddressRules}). */
  AddressPolicy SSRF_GUARD = AddressRules::forbiddenReason;

  /** Why {@code address} may not be connected to, or {@code null} when it may. */
  @Nullable String forbiddenReason(InetAddress address);
}
