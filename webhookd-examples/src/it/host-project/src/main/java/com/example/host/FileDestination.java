package com.example.host;

import io.webhookd.spi.DeliveryRequest;
import io.webhookd.spi.DeliveryResult;
import io.webhookd.spi.WebhookDestination;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.stream.Stream;

/**
 * A destination that is not HTTP: each batch becomes a file {@code <batch id>.json} in a
 * directory, written to a temporary name and moved into place, so that a reader never sees half a
 * batch. A retry of a batch rewrites the same file (the batch id is stable), so the directory holds
 * each batch once. It serves {@code file:} URLs ({@code Webhookd.builder().destination("file",
 * ...)}); the URL's path is not used.
 *
 * <p>Thread-safe; writes happen on a thread of its own, never on the engine's consumer thread.
 */
public final class FileDestination implements WebhookDestination {
  private final Path directory;
  private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "file-destination");
    t.setDaemon(true);
    return t;
  });

  public FileDestination(Path directory) {
    this.directory = directory;
  }

  @Override
  public CompletableFuture<DeliveryResult> send(DeliveryRequest request) {
    long start = System.nanoTime();
    try {
      return CompletableFuture.supplyAsync(() -> write(request, start), writer);
    } catch (RejectedExecutionException closed) {
      return CompletableFuture.completedFuture(
          DeliveryResult.failure(new IOException("the destination is closed"), elapsed(start), true));
    }
  }

  private DeliveryResult write(DeliveryRequest request, long start) {
    try {
      Files.createDirectories(directory);
      Path tmp = Files.createTempFile(directory, "batch-", ".tmp");
      Files.write(tmp, request.body());
      Path target = directory.resolve(request.batchId() + ".json");
      try {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      return DeliveryResult.response(200, Map.of(), "", elapsed(start));
    } catch (IOException | RuntimeException e) {
      // a full disk or a missing permission may pass: the engine retries
      return DeliveryResult.failure(e, elapsed(start), true);
    }
  }

  /** The batch files written so far, oldest first. */
  public static List<Path> batchFiles(Path directory) {
    if (!Files.isDirectory(directory)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(directory)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".json"))
          .sorted((a, b) -> {
            try {
              return Files.getLastModifiedTime(a).compareTo(Files.getLastModifiedTime(b));
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          })
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Duration elapsed(long start) {
    return Duration.ofNanos(System.nanoTime() - start);
  }

  /** Stops taking batches; a batch being written is finished. Idempotent. */
  @Override
  public void close() {
    writer.shutdown();
  }
}
