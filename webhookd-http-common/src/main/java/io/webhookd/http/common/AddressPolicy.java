package io.webhookd.http.common;

import java.net.InetAddress;
import org.jspecify.annotations.Nullable;

/**
 * Decides which addresses a transport may connect to. {@link #SSRF_GUARD} is the one every
 * transport uses; other policies are for tests. Implementations are thread-safe.
 */
@FunctionalInterface
public interface AddressPolicy {
  /** The SSRF guard's rules ({@link SsrfGuard#forbiddenReason}). */
  AddressPolicy SSRF_GUARD = SsrfGuard::forbiddenReason;

  /** Why {@code address} may not be connected to, or {@code null} when it may. */
  @Nullable String forbiddenReason(InetAddress address);
}
