package io.webhookd.http.internal;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import org.jspecify.annotations.Nullable;

/**
 * Reads a response body up to a cap, then cancels the subscription (the client closes the
 * connection) and completes with what it has, decoded as UTF-8: a huge body is never buffered or
 * read to its end. Used by one exchange; the client's calls are serialised as Flow requires.
 */
public final class CappedBodySubscriber implements HttpResponse.BodySubscriber<String> {
  private final int cap;
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final CompletableFuture<String> body = new CompletableFuture<>();
  private volatile Flow.@Nullable Subscription subscription;
  private volatile boolean aborted;

  public CappedBodySubscriber(int cap) {
    this.cap = cap;
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    if (aborted || cap == 0) {
      s.cancel();
      body.complete("");
      return;
    }
    s.request(1);
  }

  @Override
  public void onNext(List<ByteBuffer> items) {
    if (body.isDone()) {
      return;
    }
    for (ByteBuffer item : items) {
      int take = Math.min(item.remaining(), cap - bytes.size());
      if (take > 0) {
        byte[] chunk = new byte[take];
        item.get(chunk);
        bytes.write(chunk, 0, take);
      }
    }
    Flow.Subscription s = subscription;
    if (bytes.size() >= cap) {
      if (s != null) {
        s.cancel();
      }
      body.complete(decode());
    } else if (s != null) {
      s.request(1);
    }
  }

  @Override
  public void onError(Throwable throwable) {
    body.completeExceptionally(throwable);
  }

  @Override
  public void onComplete() {
    body.complete(decode());
  }

  @Override
  public CompletionStage<String> getBody() {
    return body;
  }

  /** Stops reading (for example when the exchange timed out). */
  public void abort() {
    aborted = true;
    Flow.Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
  }

  private String decode() {
    return new String(bytes.toByteArray(), UTF_8);
  }
}
