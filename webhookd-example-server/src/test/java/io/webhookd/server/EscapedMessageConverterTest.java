package io.webhookd.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The text log formats escape %msg: whatever a message carries, it stays one line. */
class EscapedMessageConverterTest {
  @SuppressWarnings("unchecked")
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"/logback.xml", "/logback-cli.xml"})
  void aMessageWithLineBreaksStaysOneLine(String config) throws Exception {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(EscapedMessageConverterTest.class.getResource(config));
    ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    OutputStreamAppender<ILoggingEvent> appender = (OutputStreamAppender<ILoggingEvent>) root.iteratorForAppenders().next();
    Encoder<ILoggingEvent> encoder = appender.getEncoder();
    LoggingEvent event =
        new LoggingEvent("x", root, Level.ERROR, "a library said {}", null, new Object[] {"line1\nFORGED ERROR x\u2028y"});

    String line = new String(encoder.encode(event), StandardCharsets.UTF_8);

    assertThat(line).contains("a library said line1\\nFORGED ERROR x\\u2028y");
    assertThat(line.strip()).doesNotContain("\n").doesNotContain("\u2028");
    context.stop();
  }
}
