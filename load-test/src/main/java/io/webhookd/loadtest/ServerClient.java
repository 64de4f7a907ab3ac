package io.webhookd.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.webhookd.json.SubscriptionJson;
import io.webhookd.SubscriptionSpec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Creates and deletes the run's subscription through a running server's REST API. */
final class ServerClient {
  private final URI base;
  private final String apiKey;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ObjectMapper mapper = new ObjectMapper();

  ServerClient(URI base, String apiKey) {
    this.base = URI.create(base.toString().endsWith("/") ? base.toString() : base + "/");
    this.apiKey = apiKey;
  }

  /** {@code POST /1/Subscription}; returns the new id. */
  String create(SubscriptionSpec spec) throws IOException, InterruptedException {
    byte[] body = mapper.writeValueAsBytes(SubscriptionJson.toJson(spec, false));
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(base.resolve("1/Subscription"))
                .header("Authorization", "Bearer " + apiKey)
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    if (r.statusCode() != 201) {
      throw new IOException("POST /1/Subscription answered " + r.statusCode() + ": " + r.body());
    }
    JsonNode n = mapper.readTree(r.body());
    return n.get("id").asText();
  }

  /** {@code DELETE /1/Subscription/{id}}; true on 204. */
  boolean delete(String id) throws IOException, InterruptedException {
    HttpResponse<Void> r =
        http.send(
            HttpRequest.newBuilder(base.resolve("1/Subscription/" + id))
                .header("Authorization", "Bearer " + apiKey)
                .timeout(Duration.ofSeconds(30))
                .DELETE()
                .build(),
            HttpResponse.BodyHandlers.discarding());
    return r.statusCode() == 204;
  }
}
