package io.webhookd.json;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.webhookd.Problem;
import io.webhookd.ValidationException;

/**
 * The error body of the REST API for a {@link ValidationException}: {@code {"error": "…",
 * "details": [{"field", "message"}]}}, one detail per problem. Thread-safe.
 */
final class ErrorDocument {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private ErrorDocument() {}

  static ObjectNode toJson(ValidationException e) {
    ObjectNode o = NODES.objectNode();
    o.put("error", e.problems().size() == 1 ? "the request has a problem" : "the request has " + e.problems().size() + " problems");
    ArrayNode details = o.putArray("details");
    for (Problem p : e.problems()) {
      details.addObject().put("field", p.field()).put("message", p.message());
    }
    return o;
  }
}
