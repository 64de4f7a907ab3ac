package io.webhookd;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a subscription delivers, where, and how: everything the REST API's subscription document
 * holds, plus an optional signing secret and rate limit. Immutable and thread-safe; make one with
 * {@link #builder()}, derive a changed copy with {@link #toBuilder()}.
 *
 * <p>{@link Builder#build()} checks every rule and reports every problem at once in a {@link
 * ValidationException}. The record's constructor checks only that nothing required is {@code
 * null} (a spec may come from anywhere, such as a store written under older rules), so every
 * entry point checks again: {@link Webhookd#subscribe} and {@link Webhookd#update} call {@link
 * #validate()} before anything is stored.
 *
 * @param name a human name, 1 to 200 characters
 * @param active whether the subscription should be delivering ({@code "active": "yes"})
 * @param destination the webhook and its headers
 * @param sources one or more topics, each with its ANDed JMESPath filters
 * @param batching when a batch is sent
 * @param retry how a failed batch is retried
 * @param alerting who hears about health changes, or {@code null} for nobody
 * @param rateLimit the most requests per second to the webhook, or {@code null} for no limit
 * @param delivery ordering, batches in flight and engines per subscription
 */
public record SubscriptionSpec(
    String name,
    boolean active,
    Destination destination,
    List<Source> sources,
    Batching batching,
    Retry retry,
    @Nullable Alerting alerting,
    @Nullable RateLimit rateLimit,
    Delivery delivery) {

  /** Default batch size when none is given. */
  public static final int DEFAULT_MAX_BATCH_SIZE = 100;

  /** Default batch interval when none is given. */
  public static final Duration DEFAULT_MAX_BATCH_INTERVAL = Duration.ofSeconds(1);

  public SubscriptionSpec {
    requireNonNull(name, "name");
    requireNonNull(destination, "destination");
    sources = List.copyOf(sources);
    requireNonNull(batching, "batching");
    requireNonNull(retry, "retry");
    requireNonNull(delivery, "delivery");
  }

  /** A spec with the default {@link Delivery} (the constructor before ordering existed). */
  public SubscriptionSpec(
      String name,
      boolean active,
      Destination destination,
      List<Source> sources,
      Batching batching,
      Retry retry,
      @Nullable Alerting alerting,
      @Nullable RateLimit rateLimit) {
    this(name, active, destination, sources, batching, retry, alerting, rateLimit, Delivery.DEFAULT);
  }

  /**
   * Checks every rule {@link Builder#build()} checks.
   *
   * @return this spec
   * @throws ValidationException listing every problem found
   */
  public SubscriptionSpec validate() {
    SpecValidator.validate(toBuilder());
    return this;
  }

  /** Every topic of {@link #sources()}, in order. */
  public List<String> topics() {
    return sources.stream().map(Source::topic).toList();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this spec's values. */
  public Builder toBuilder() {
    Builder b =
        new Builder()
            .name(name)
            .active(active)
            .webhookUrl(destination.url().toString())
            .signingSecret(destination.signingSecret())
            .maxBatchSize(batching.maxBatchSize())
            .maxBatchInterval(batching.maxBatchInterval())
            .maxRetries(retry.maxRetries())
            .retryAlgorithm(retry.algorithm())
            .retryInitialDelay(retry.initialDelay())
            .retryMaxDelay(retry.maxDelay())
            .onExhausted(retry.onExhausted())
            .alerting(alerting)
            .rateLimit(rateLimit == null ? null : rateLimit.maxRequestsPerSecond())
            .ordering(delivery.ordering())
            .maxInFlight(delivery.maxInFlight())
            .parallelism(delivery.parallelism());
    destination.headers().forEach(h -> b.header(h.name(), h.value()));
    sources.forEach(s -> b.source(s.topic(), s.jmesFilters()));
    return b;
  }

  /** A webhook: where batches are POSTed. */
  public record Destination(URI url, List<Header> headers, @Nullable String signingSecret) {
    public Destination {
      requireNonNull(url, "url");
      headers = List.copyOf(headers);
    }

    @Override
    public String toString() {
      return "Destination[url="
          + Masking.maskUrl(url)
          + ", headers="
          + headers
          + ", signingSecret="
          + (signingSecret == null ? "none" : "****")
          + "]";
    }
  }

  /**
   * A header sent with every request, such as a shared secret. {@code toString} masks the value
   * unless the header is one that never carries a secret ({@link Masking#NEVER_SECRET_HEADERS}).
   */
  public record Header(String name, String value) {
    public Header {
      requireNonNull(name, "name");
      requireNonNull(value, "value");
    }

    /** {@code Name: value} with the value masked as {@link Masking#maskHeaderValue} says. */
    public String masked() {
      return name + ": " + Masking.maskHeaderValue(name, value);
    }

    @Override
    public String toString() {
      return masked();
    }
  }

  /** A topic and the JMESPath filters every delivered message of it must pass (ANDed). */
  public record Source(String topic, List<String> jmesFilters) {
    public Source {
      requireNonNull(topic, "topic");
      jmesFilters = List.copyOf(jmesFilters);
    }
  }

  /**
   * A batch is sent when it holds {@code maxBatchSize} messages or when its oldest message has
   * waited {@code maxBatchInterval}, whichever comes first.
   */
  public record Batching(int maxBatchSize, Duration maxBatchInterval) {
    public Batching {
      requireNonNull(maxBatchInterval, "maxBatchInterval");
    }
  }

  /**
   * How a failed batch is retried. After {@code maxRetries} retries, {@code onExhausted} says
   * what happens: with {@link OnExhausted#KEEP_RETRYING} the subscription turns unhealthy and the
   * batch keeps being retried every {@code maxDelay} (nothing is skipped); with {@link
   * OnExhausted#DEAD_LETTER} the batch goes to the dead letters and delivery goes on.
   *
   * @param maxRetries retries before the retries are exhausted, 0 to 10 (0: none)
   * @param algorithm how the delay grows
   * @param initialDelay the first delay (and every delay of {@link RetryAlgorithm#FIXED_TIME})
   * @param maxDelay the longest delay, also the interval after retries are exhausted
   * @param onExhausted what happens when the retries are exhausted
   */
  public record Retry(
      int maxRetries,
      RetryAlgorithm algorithm,
      Duration initialDelay,
      Duration maxDelay,
      OnExhausted onExhausted) {
    /** Default first delay. */
    public static final Duration DEFAULT_INITIAL_DELAY = Duration.ofSeconds(1);

    /** Default longest delay. */
    public static final Duration DEFAULT_MAX_DELAY = Duration.ofSeconds(60);

    public Retry {
      requireNonNull(algorithm, "algorithm");
      requireNonNull(initialDelay, "initialDelay");
      requireNonNull(maxDelay, "maxDelay");
      requireNonNull(onExhausted, "onExhausted");
    }

    /** Retries that keep retrying when exhausted (the constructor before dead letters existed). */
    public Retry(int maxRetries, RetryAlgorithm algorithm, Duration initialDelay, Duration maxDelay) {
      this(maxRetries, algorithm, initialDelay, maxDelay, OnExhausted.KEEP_RETRYING);
    }
  }

  /**
   * How deliveries of one subscription run side by side.
   *
   * @param ordering which messages are delivered in order
   * @param maxInFlight the most batches in flight at once for the subscription, across its
   *     partitions, 1 to 64 (default {@value #DEFAULT_MAX_IN_FLIGHT})
   * @param parallelism on how many engines the subscription runs when engines share a store, 1 to
   *     64 (default 1); each engine reads some of its partitions
   */
  public record Delivery(Ordering ordering, int maxInFlight, int parallelism) {
    /** Default batches in flight per subscription. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 16;

    /** The most batches in flight and the most engines a subscription may ask for. */
    public static final int MAX = 64;

    /** Partition order, {@value #DEFAULT_MAX_IN_FLIGHT} in flight, one engine. */
    public static final Delivery DEFAULT = new Delivery(Ordering.PARTITION, DEFAULT_MAX_IN_FLIGHT, 1);

    public Delivery {
      requireNonNull(ordering, "ordering");
    }
  }

  /** Who is told about health changes. The only channel is {@code email}. */
  public record Alerting(String channel, List<String> emails) {
    public Alerting {
      requireNonNull(channel, "channel");
      emails = List.copyOf(emails);
    }
  }

  /** The most requests per second to the webhook, 0.01 (one every 100 s) to 10000. */
  public record RateLimit(double maxRequestsPerSecond) {}

  /**
   * Collects a spec's values; {@link #build()} validates them all at once. Not thread-safe; the
   * spec it builds shares no state with it.
   */
  public static final class Builder {
    @Nullable String name;
    boolean active = true;
    @Nullable String webhookUrl;
    final List<Header> headers = new ArrayList<>();
    @Nullable String signingSecret;
    final List<Source> sources = new ArrayList<>();
    int maxBatchSize = DEFAULT_MAX_BATCH_SIZE;
    @Nullable Duration maxBatchInterval = DEFAULT_MAX_BATCH_INTERVAL;
    int maxRetries = 3;
    @Nullable RetryAlgorithm retryAlgorithm = RetryAlgorithm.EXPONENTIAL_BACKOFF;
    @Nullable Duration retryInitialDelay = Retry.DEFAULT_INITIAL_DELAY;
    @Nullable Duration retryMaxDelay = Retry.DEFAULT_MAX_DELAY;
    @Nullable Alerting alerting;
    @Nullable Double rateLimit;
    @Nullable OnExhausted onExhausted = OnExhausted.KEEP_RETRYING;
    @Nullable Ordering ordering = Ordering.PARTITION;
    int maxInFlight = Delivery.DEFAULT_MAX_IN_FLIGHT;
    int parallelism = 1;

    private Builder() {}

    public Builder name(@Nullable String name) {
      this.name = name;
      return this;
    }

    /** Default {@code true}. */
    public Builder active(boolean active) {
      this.active = active;
      return this;
    }

    /** The webhook URL, {@code http} or {@code https}. Required. */
    public Builder webhookUrl(@Nullable String url) {
      this.webhookUrl = url;
      return this;
    }

    /** Adds a header sent with every request. */
    public Builder header(String name, String value) {
      headers.add(new Header(name, value));
      return this;
    }

    /** Removes every header added so far. */
    public Builder clearHeaders() {
      headers.clear();
      return this;
    }

    /**
     * A Standard Webhooks signing secret, {@code whsec_} + base64 of 24 to 64 bytes, or {@code
     * null} to send unsigned requests (the default).
     */
    public Builder signingSecret(@Nullable String secret) {
      this.signingSecret = secret;
      return this;
    }

    /** Adds a topic; {@code jmesFilters} must all be truthy for a message to be delivered. */
    public Builder source(String topic, String... jmesFilters) {
      return source(topic, List.of(jmesFilters));
    }

    /** Adds a topic; {@code jmesFilters} must all be truthy for a message to be delivered. */
    public Builder source(String topic, List<String> jmesFilters) {
      sources.add(new Source(topic, jmesFilters));
      return this;
    }

    /** Removes every source added so far. */
    public Builder clearSources() {
      sources.clear();
      return this;
    }

    /** 1 to 1000; default 100. */
    public Builder maxBatchSize(int size) {
      this.maxBatchSize = size;
      return this;
    }

    /** 1 to 300 seconds (finer values down to 1 ms are accepted in the library); default 1 s. */
    public Builder maxBatchInterval(@Nullable Duration interval) {
      this.maxBatchInterval = interval;
      return this;
    }

    /** 0 to 10; default 3. */
    public Builder maxRetries(int retries) {
      this.maxRetries = retries;
      return this;
    }

    /** Default {@link RetryAlgorithm#EXPONENTIAL_BACKOFF}. */
    public Builder retryAlgorithm(@Nullable RetryAlgorithm algorithm) {
      this.retryAlgorithm = algorithm;
      return this;
    }

    /** 1 ms to 1 hour; default 1 s. */
    public Builder retryInitialDelay(@Nullable Duration delay) {
      this.retryInitialDelay = delay;
      return this;
    }

    /** At least the initial delay, at most 1 hour; default 60 s. */
    public Builder retryMaxDelay(@Nullable Duration delay) {
      this.retryMaxDelay = delay;
      return this;
    }

    /** What happens when the retries are exhausted; default {@link OnExhausted#KEEP_RETRYING}. */
    public Builder onExhausted(@Nullable OnExhausted onExhausted) {
      this.onExhausted = onExhausted;
      return this;
    }

    /** Which messages are delivered in order; default {@link Ordering#PARTITION}. */
    public Builder ordering(@Nullable Ordering ordering) {
      this.ordering = ordering;
      return this;
    }

    /** Batches in flight at once for the subscription, 1 to 64; default 16. */
    public Builder maxInFlight(int maxInFlight) {
      this.maxInFlight = maxInFlight;
      return this;
    }

    /** On how many engines the subscription runs when engines share a store, 1 to 64; default 1. */
    public Builder parallelism(int parallelism) {
      this.parallelism = parallelism;
      return this;
    }

    /** Email alerts to these addresses. */
    public Builder alertEmails(List<String> emails) {
      this.alerting = new Alerting("email", emails);
      return this;
    }

    public Builder alerting(@Nullable Alerting alerting) {
      this.alerting = alerting;
      return this;
    }

    /** Requests per second, 0.01 to 10000; {@code null} for unlimited (the default). */
    public Builder rateLimit(@Nullable Double maxRequestsPerSecond) {
      this.rateLimit = maxRequestsPerSecond;
      return this;
    }

    /**
     * Validates every value and builds the spec.
     *
     * @throws ValidationException listing every problem found
     */
    public SubscriptionSpec build() {
      return SpecValidator.validate(this);
    }

  }
}
