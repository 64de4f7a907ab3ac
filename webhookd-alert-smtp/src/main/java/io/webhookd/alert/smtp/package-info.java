/**
 * Email alerts for webhookd: {@link io.webhookd.alert.smtp.SmtpAlertChannel}, an {@link
 * io.webhookd.spi.AlertChannel} on Jakarta Mail (Eclipse Angus Mail), and {@link
 * io.webhookd.alert.smtp.AlertMessageFormatter}, which writes the mail.
 */
@NullMarked
package io.webhookd.alert.smtp;

import org.jspecify.annotations.NullMarked;
