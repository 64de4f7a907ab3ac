package io.webhookd.testsupport;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class or method that drives a browser: Debian's {@code chromium} and {@code
 * chromedriver} (packages {@code chromium} and {@code chromium-driver}), handed over as a {@link
 * Chromium} parameter. Nothing is downloaded.
 *
 * <p>Where either is missing the tests are skipped (never passed) with one line saying why and how
 * to run them; under {@code CI=true} they fail instead, naming Chromium. The system properties (or
 * JUnit configuration parameters) {@value ChromiumExtension#BINARY_PROPERTY} and {@value
 * ChromiumExtension#DRIVER_PROPERTY} point elsewhere than {@code /usr/bin/chromium} and {@code
 * /usr/bin/chromedriver}.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(ChromiumExtension.class)
public @interface RequiresChromium {}
