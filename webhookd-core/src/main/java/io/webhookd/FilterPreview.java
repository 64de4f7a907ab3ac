package io.webhookd;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * What {@link Webhookd#previewFilters} found: for each source, its filters evaluated on the last
 * records of its topic (no consumer group; nothing committed).
 */
public record FilterPreview(List<Source> sources) {

  /** The most matched messages returned per source. */
  public static final int MAX_SAMPLES = 5;

  public FilterPreview {
    sources = List.copyOf(sources);
  }

  /**
   * One source's preview.
   *
   * @param topic the topic
   * @param examined how many records were evaluated
   * @param matched how many passed every filter (and the caller's row filter)
   * @param samples up to {@value FilterPreview#MAX_SAMPLES} matched messages, each the wire
   *     format's JSON object as JSON text
   * @param errors filters that do not compile, or a topic that cannot be read
   * @param warnings filters that compile but look wrong (one that can never match)
   */
  public record Source(
      String topic,
      int examined,
      int matched,
      List<String> samples,
      List<String> errors,
      List<String> warnings) {
    public Source {
      requireNonNull(topic, "topic");
      samples = List.copyOf(samples);
      errors = List.copyOf(errors);
      warnings = List.copyOf(warnings);
    }
  }
}
