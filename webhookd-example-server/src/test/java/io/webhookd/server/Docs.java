package io.webhookd.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** Subscription documents for tests. */
final class Docs {
  private Docs() {}

  static ObjectNode subscription(String name, String url, String topic, String... filters) {
    ObjectNode o = TestServer.JSON.createObjectNode();
    o.put("name", name);
    o.put("active", "yes");
    ObjectNode webhook = o.putObject("destination").put("kind", "webhook").putObject("webhook");
    webhook.put("url", url);
    webhook.putArray("headers").add("Authorization: Bearer receiver-secret").add("X-Team: billing");
    ObjectNode source = o.putArray("source").addObject();
    source.put("topic", topic);
    var f = source.putArray("jmes_filters");
    List.of(filters).forEach(f::add);
    ObjectNode conf = o.putObject("configuration");
    conf.putObject("batching").put("max_batch_size", 10).put("max_batch_interval_seconds", 1);
    conf.putObject("retry").put("max_retries", 1).put("retry_algorithm", "fixed_time");
    return o;
  }
}
