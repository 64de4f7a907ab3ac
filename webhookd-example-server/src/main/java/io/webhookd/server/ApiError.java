package io.webhookd.server;

import io.webhookd.Problem;
import java.util.List;
import java.util.Map;

/**
 * An answer other than success, with the body {@code {"error": "…", "details": [{"field",
 * "message"}]}}: thrown by handlers, written by the API's exception handler.
 */
final class ApiError extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;
  private final List<Problem> details;
  private final Map<String, String> headers;

  ApiError(int status, String error, List<Problem> details, Map<String, String> headers) {
    super(error, null, false, false);
    this.status = status;
    this.details = List.copyOf(details);
    this.headers = Map.copyOf(headers);
  }

  ApiError(int status, String error) {
    this(status, error, List.of(), Map.of());
  }

  static ApiError notFound(String what) {
    return new ApiError(404, what);
  }

  int status() {
    return status;
  }

  List<Problem> details() {
    return details;
  }

  Map<String, String> headers() {
    return headers;
  }
}
