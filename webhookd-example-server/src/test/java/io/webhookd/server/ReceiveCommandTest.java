package io.webhookd.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ReceiveCommandTest {
  private static final String SECRET = "whsec_" + Base64.getEncoder().encodeToString(new byte[32]);
  private static final String BODY =
      "{\"subscription_id\":\"s\",\"batch_id\":\"b-1\",\"messages\":[{\"topic\":\"orders\",\"partition\":0,\"offset\":7,\"timestamp\":\"2026-11-29T10:15:30.123Z\",\"key\":\"k\",\"value\":{\"amount\":120}}]}";

  private static HttpResponse<String> post(int port, long timestamp, String signature) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hook"))
        .header("webhook-id", "b-1").header("webhook-timestamp", Long.toString(timestamp))
        .POST(HttpRequest.BodyPublishers.ofString(BODY));
    if (signature != null) {
      b.header("webhook-signature", signature);
    }
    return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String sign(long timestamp) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(new byte[32], "HmacSHA256"));
    return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(("b-1." + timestamp + "." + BODY).getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  @DisplayName("prints each message of a signed batch and answers 204; a wrong, missing or stale signature gets 401")
  void printsVerifiedBatches() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
    long now = Instant.now().getEpochSecond();
    try (ReceiveCommand r = ReceiveCommand.start(0, SECRET, ps)) {
      assertThat(post(r.port(), now, sign(now)).statusCode()).isEqualTo(204);
      assertThat(post(r.port(), now, "v1,AAAA").statusCode()).isEqualTo(401);
      assertThat(post(r.port(), now, null).statusCode()).isEqualTo(401);
      assertThat(post(r.port(), 1700000000L, sign(1700000000L)).statusCode()).isEqualTo(401);
    }
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("batch b-1: 1 message(s)")
        .contains("orders/0@7 key=\"k\" {\"amount\":120}")
        .contains("rejected a request: no v1 signature of webhook-signature matches")
        .contains("rejected a request: missing header(s): webhook-signature")
        .contains("rejected a request: webhook-timestamp 1700000000 is");
  }

  @Test
  @DisplayName("bad arguments exit 2 with a message")
  void rejectsBadArguments() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream ps = new PrintStream(err, true, StandardCharsets.UTF_8);
    assertThat(ReceiveCommand.run(List.of("--port", "x"), System.out, ps)).isEqualTo(2);
    assertThat(ReceiveCommand.run(List.of("--secret", "nope"), System.out, ps)).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--port must be a number").contains("whsec_");
  }
}
