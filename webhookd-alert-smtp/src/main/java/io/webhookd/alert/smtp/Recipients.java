package io.webhookd.alert.smtp;

import io.webhookd.spi.Alert;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code To:} of an alert mail: {@link Alert#recipients()} in order, duplicates once, each a
 * strict address without line breaks; an alert without recipients, or with an invalid one, is
 * refused before it is queued (not retryable).
 */
final class Recipients {
  private Recipients() {}

  static InternetAddress[] of(Alert alert) {
    Set<String> unique = new LinkedHashSet<>(alert.recipients());
    if (unique.isEmpty()) {
      throw new SmtpAlertException(SmtpAlertException.couldNotMail(alert) + ": the alert has no recipients", false);
    }
    List<InternetAddress> to = new ArrayList<>();
    List<String> invalid = new ArrayList<>();
    for (String r : unique) {
      try {
        to.add(parseAddress(r));
      } catch (AddressException e) {
        invalid.add("'" + r + "' (" + e.getMessage() + ")");
      }
    }
    if (!invalid.isEmpty()) {
      throw new SmtpAlertException(
          SmtpAlertException.couldNotMail(alert) + ": invalid recipient address " + String.join(", ", invalid), false);
    }
    return to.toArray(new InternetAddress[0]);
  }

  /** One strict address, without a display name's line breaks. */
  static InternetAddress parseAddress(String text) throws AddressException {
    if (text.chars().anyMatch(c -> c == '\r' || c == '\n')) {
      throw new AddressException("contains a line break");
    }
    InternetAddress address = new InternetAddress(text, true);
    address.validate();
    return address;
  }
}
