package io.webhookd.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.webhookd.server.TestServer.Answer;
import io.webhookd.testkit.KafkaExtension;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server configured as production would be: a metrics key, and the SSRF guard on (no private
 * destinations). Findings of the hostile review (issue 13) that need that configuration.
 */
class HardenedServerTest {
  static final String METRICS_KEY = "metrics-scrape-key-0123456789";

  @TempDir static Path dir;
  static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    Map<String, String> extra = new HashMap<>();
    extra.put("WEBHOOKD_METRICS_API_KEY", METRICS_KEY);
    extra.put("WEBHOOKD_ALLOW_PRIVATE_DESTINATIONS", "false");
    server = TestServer.start(KafkaExtension.shared(1).bootstrapServers(), dir.resolve("data"), RestApiTest.clientsFile(dir), extra);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  @DisplayName("with WEBHOOKD_METRICS_API_KEY set, /metrics needs it as a bearer token; API keys do not open it")
  void metricsNeedTheMetricsKey() {
    for (String key : new String[] {null, ServerKeys.ADMIN, RestApiTest.BILLING, METRICS_KEY + "x"}) {
      Answer a = server.get("/metrics", key);
      assertThat(a.status()).as("key " + key).isEqualTo(401);
      assertThat(a.header("WWW-Authenticate")).startsWith("Bearer");
      assertThat(a.body()).doesNotContain("jvm_memory_used_bytes").doesNotContain("webhookd_");
    }
    Answer ok = server.get("/metrics", METRICS_KEY);
    assertThat(ok.status()).isEqualTo(200);
    assertThat(ok.body()).contains("jvm_memory_used_bytes");
    // the health endpoints stay open
    assertThat(server.get("/health/live", null).status()).isEqualTo(200);
  }

  @Test
  @DisplayName("SSRF guard: a host on a private or loopback address, or local-use NAT64, is a 400 that names no address")
  void ssrfRefusalsNameNoAddress() {
    for (String url : List.of("http://localhost:8080/x", "http://[64:ff9b:1::a9fe:a9fe]/x")) {
      Answer a = server.post("/1/Subscription", ServerKeys.ADMIN, Docs.subscription("ssrf", url, "ssrf-topic"));
      assertThat(a.status()).as(url + ": " + a).isEqualTo(400);
      assertThat(a.json().at("/details/0/field").asText()).isEqualTo("destination.webhook.url");
      // the host as given, never what it resolves to (127.0.0.1, 0:0:0:0:0:0:0:1, 64:ff9b:1:0:0:0:a9fe:a9fe)
      assertThat(a.json().at("/details/0/message").asText())
          .contains("resolves to a private or loopback address")
          .doesNotContain("127.0.0.1")
          .doesNotContain("0:0:0");
    }
  }
}
