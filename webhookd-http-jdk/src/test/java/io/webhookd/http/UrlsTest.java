package io.webhookd.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.webhookd.http.internal.Urls;
import java.net.URI;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class UrlsTest {
  @Test
  @DisplayName("a refused URL is named with its query values masked: the message reaches API clients")
  void messagesMaskTheUrl() {
    assertThat(Urls.syntaxProblem(URI.create("ftp://h.example.com/x?token=T0KEN")))
        .isEqualTo("url must be an absolute http or https URL, was ftp://h.example.com/x?token=****");
    assertThat(Urls.syntaxProblem(URI.create("http:/x?token=T0KEN"))).doesNotContain("T0KEN");
  }
}
