package io.webhookd.server;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.webhookd.internal.LogText;

/**
 * {@code %msg} of the text log formats with control characters and line separators escaped
 * ({@link LogText}): whatever a message carries from a request, a webhook's response or a
 * library, it stays on its own line and cannot forge the next one. The places that log input
 * escape it already; this is the net under them. Stack traces ({@code %ex}) are not touched.
 */
public final class EscapedMessageConverter extends MessageConverter {
  @Override
  public String convert(ILoggingEvent event) {
    return LogText.escape(event.getFormattedMessage());
  }
}
