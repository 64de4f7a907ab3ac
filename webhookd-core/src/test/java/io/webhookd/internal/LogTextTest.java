package io.webhookd.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class LogTextTest {
  @Test
  @DisplayName("line breaks and other control characters are escaped, so no input can forge a log line")
  void escapesWhatCouldBreakALine() {
    assertThat(LogText.escape("line1\nFORGED INFO x")).isEqualTo("line1\\nFORGED INFO x");
    assertThat(LogText.escape("a\r\tb\u000bc\u007fd\u0085e\u2028f\u2029g"))
        .isEqualTo("a\\r\\tb\\u000bc\\u007fd\\u0085e\\u2028f\\u2029g");
    assertThat(LogText.escape("lone \ud800 and low \udc00")).isEqualTo("lone \\ud800 and low \\udc00");
  }

  @Test
  @DisplayName("ordinary text, pairs of surrogates and null pass as they are")
  void leavesOrdinaryTextAlone() {
    String s = "Bestellungen \ud83d\ude00 € ok";
    assertThat(LogText.escape(s)).isSameAs(s);
    assertThat(LogText.escape(null)).isEqualTo("null");
  }
}
