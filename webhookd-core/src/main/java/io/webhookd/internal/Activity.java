package io.webhookd.internal;

import io.webhookd.ActivityEvent;
import io.webhookd.spi.DeliveryRequest;
import io.webhookd.spi.DeliveryResult;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Builds {@code api_call} activity events with every secret masked. */
final class Activity {
  static final int BODY_EXCERPT = 2048;

  private Activity() {}

  /**
   * The record of one request. {@code requestLine} is {@code POST} and the URL with its secrets
   * masked ({@link Secrets#maskUrl}), which the caller computes once per subscription.
   */
  static ActivityEvent apiCall(
      DeliveryRequest req, String requestLine, DeliveryResult r, int batchSize, String batchId, Instant at) {
    List<String> reqHeaders = new ArrayList<>(req.headers().size());
    for (DeliveryRequest.Header h : req.headers()) {
      reqHeaders.add(h.name() + ": " + Secrets.maskHeaderValue(h.name(), h.value()));
    }
    List<String> respHeaders = new ArrayList<>();
    for (Map.Entry<String, List<String>> e : r.headers().entrySet()) {
      for (String v : e.getValue()) {
        respHeaders.add(e.getKey() + ": " + Secrets.maskHeaderValue(e.getKey(), v));
      }
      if (respHeaders.size() > 50) {
        break;
      }
    }
    String error = r.isSuccess() ? null : HealthTracker.describe(r);
    boolean answered = r.statusCode() >= 0;
    // no response (connection refused, timeout): the original webhookd's shape still holds, an int code (0)
    // and the error as the body
    return new ActivityEvent(
        at,
        ActivityEvent.Type.API_CALL,
        requestLine,
        reqHeaders,
        answered ? r.statusCode() : ActivityEvent.NO_RESPONSE,
        answered ? truncate(r.bodyExcerpt(), BODY_EXCERPT) : error,
        respHeaders,
        error,
        batchSize,
        r.duration().toMillis(),
        batchId);
  }

  static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "…";
  }
}
