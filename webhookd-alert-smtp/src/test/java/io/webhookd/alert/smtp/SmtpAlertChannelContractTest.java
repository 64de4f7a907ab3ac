package io.webhookd.alert.smtp;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import com.icegreen.greenmail.util.ServerSetupTest;
import io.webhookd.spi.AlertChannel;
import io.webhookd.testkit.AlertChannelContract;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The SMTP channel keeps the promises of every alert channel, against a real SMTP server (GreenMail). */
class SmtpAlertChannelContractTest extends AlertChannelContract {

  @RegisterExtension
  final GreenMailExtension greenMail = new GreenMailExtension(patient(ServerSetupTest.SMTP.dynamicPort()));

  /** GreenMail's default of 2 s to start is too short on a busy shared machine. */
  private static ServerSetup patient(ServerSetup setup) {
    setup.setServerStartupTimeout(AWAIT.toMillis());
    return setup;
  }

  @Override
  protected AlertChannel createChannel() {
    return SmtpAlertChannel.builder()
        .host("127.0.0.1")
        .port(greenMail.getSmtp().getPort())
        .from("webhookd <webhookd@example.com>")
        .connectTimeout(Duration.ofSeconds(5))
        .timeout(Duration.ofSeconds(10))
        .build();
  }

  /** Subject and text of every mail received. */
  @Override
  protected List<String> received() {
    List<String> out = new ArrayList<>();
    for (MimeMessage m : greenMail.getReceivedMessages()) {
      try {
        out.add(m.getSubject() + "\n" + GreenMailUtil.getBody(m));
      } catch (MessagingException e) {
        throw new AssertionError(e);
      }
    }
    return out;
  }

  /** Stops the mail server: the connection is refused. */
  @Override
  protected void breakChannel() {
    greenMail.stop();
  }
}
