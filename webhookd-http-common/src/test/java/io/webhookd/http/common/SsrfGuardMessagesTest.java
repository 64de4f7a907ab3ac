package io.webhookd.http.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class SsrfGuardMessagesTest {
  @Test
  @DisplayName("a refused URL is named with its query values masked: the message reaches API clients")
  void messagesMaskTheUrl() {
    assertThat(SsrfGuard.urlSyntaxProblem(URI.create("ftp://h.example.com/x?token=T0KEN")))
        .isEqualTo("url must be an absolute http or https URL, was ftp://h.example.com/x?token=****");
    assertThat(SsrfGuard.urlSyntaxProblem(URI.create("http:/x?token=T0KEN"))).doesNotContain("T0KEN");
  }
}
