package io.webhookd.alert.smtp;

import io.webhookd.spi.Alert;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.time.Clock;
import java.util.Date;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPSenderFailedException;
import org.jspecify.annotations.Nullable;

/**
 * One SMTP attempt for one alert: the MIME message ({@code multipart/alternative}, the formatter's
 * text and HTML, {@code Auto-Submitted} and {@code X-Webhookd-Alert} headers), one connection with
 * its authentication, and the failure worded and classified (authentication and 5xx refusals are
 * not retryable; 4xx replies, connection failures and time-outs are). Never shows the password.
 * Thread-safe; the channel calls it from its one sender thread.
 */
final class MailTransport {
  private final Session session;
  private final String host;
  private final int port;
  private final @Nullable String username;
  private final @Nullable String password;
  private final InternetAddress from;
  private final AlertMessageFormatter formatter;
  private final Clock clock;

  MailTransport(
      Session session, String host, int port, @Nullable String username, @Nullable String password,
      InternetAddress from, AlertMessageFormatter formatter, Clock clock) {
    this.session = session;
    this.host = host;
    this.port = port;
    this.username = username;
    this.password = password;
    this.from = from;
    this.formatter = formatter;
    this.clock = clock;
  }

  void deliver(Alert alert, InternetAddress[] to) throws MessagingException {
    AlertMessageFormatter.AlertMessage m = formatter.format(alert);
    MimeMessage message = new MimeMessage(session);
    message.setFrom(from);
    message.setRecipients(Message.RecipientType.TO, to);
    message.setSubject(m.subject(), "UTF-8");
    message.setSentDate(Date.from(clock.instant()));
    message.setHeader("Auto-Submitted", "auto-generated");
    message.setHeader("X-Webhookd-Alert", alert.kind().wireName());
    MimeBodyPart text = new MimeBodyPart();
    text.setText(m.text(), "UTF-8", "plain");
    MimeBodyPart html = new MimeBodyPart();
    html.setText(m.html(), "UTF-8", "html");
    MimeMultipart alternative = new MimeMultipart("alternative");
    alternative.addBodyPart(text); // the plainest first, as RFC 2046 asks
    alternative.addBodyPart(html);
    message.setContent(alternative);
    message.saveChanges();
    try (Transport transport = session.getTransport("smtp")) {
      transport.connect(host, port, username, password);
      transport.sendMessage(message, to);
    }
  }

  SmtpAlertException failure(Alert alert, Exception e) {
    String where = SmtpAlertException.couldNotMail(alert) + " via " + host + ":" + port + ": ";
    if (e instanceof AuthenticationFailedException) {
      return new SmtpAlertException(
          where + "SMTP authentication failed for user '" + username + "'" + reply(e), false, e);
    }
    Integer code = replyCode(e);
    if (code != null) {
      return new SmtpAlertException(
          where + "the SMTP server refused the mail" + reply(e), code < 500, e);
    }
    return new SmtpAlertException(where + chain(e), true, e);
  }

  /** The SMTP reply code of a refusal, looking through the chained exceptions. */
  private static @Nullable Integer replyCode(Exception e) {
    Exception next = e;
    Integer code = null;
    for (int depth = 0; next != null && depth < 10; depth++) {
      int c = -1;
      if (next instanceof SMTPSendFailedException) {
        c = ((SMTPSendFailedException) next).getReturnCode();
      } else if (next instanceof SMTPAddressFailedException) {
        c = ((SMTPAddressFailedException) next).getReturnCode();
      } else if (next instanceof SMTPSenderFailedException) {
        c = ((SMTPSenderFailedException) next).getReturnCode();
      }
      if (c > 0 && (code == null || c > code)) {
        code = c; // a permanent (5xx) refusal anywhere makes the whole one permanent
      }
      next = next instanceof MessagingException ? ((MessagingException) next).getNextException() : null;
    }
    return code;
  }

  private static String reply(Exception e) {
    String msg = e.getMessage();
    return msg == null || msg.isBlank() ? "" : " (" + msg.strip() + ")";
  }

  /** The messages of an exception and its causes, for example "Couldn't connect …: Connection refused". */
  private static String chain(Throwable e) {
    StringBuilder sb = new StringBuilder();
    Throwable t = e;
    for (int depth = 0; t != null && depth < 5; depth++) {
      String msg = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage().strip();
      if (sb.indexOf(msg) < 0) {
        if (sb.length() > 0) {
          sb.append(": ");
        }
        sb.append(msg);
      }
      t = t.getCause() != t ? t.getCause() : null;
    }
    return sb.toString();
  }
}
