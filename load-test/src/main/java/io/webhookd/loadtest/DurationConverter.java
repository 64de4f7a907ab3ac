package io.webhookd.loadtest;

import java.time.Duration;
import picocli.CommandLine;

/** Picocli converter for {@link Durations}. */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) {
    return Durations.parse(value);
  }
}
