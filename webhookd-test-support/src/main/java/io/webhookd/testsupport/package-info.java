/**
 * What webhookd's own tests need from outside the JVM, found, started or skipped in one place:
 * a PostgreSQL server ({@link io.webhookd.testsupport.RequiresPostgres}) and Debian's Chromium
 * with its chromedriver ({@link io.webhookd.testsupport.RequiresChromium}).
 *
 * <p>One rule for both ({@link io.webhookd.testsupport.Requirement}): under {@code CI=true}, or
 * when the service's own variable names a server, a missing service fails the tests that need it,
 * naming the service; otherwise those tests are skipped (never passed) with one line saying why
 * and how to run them. A fresh clone thus passes {@code ./mvnw verify} with Java alone, and CI can
 * never go green without the real services.
 *
 * <p>This module is test plumbing of the project, a test-scope dependency of its modules, and is
 * not published: what users of webhookd test with is {@code webhookd-test-kit}.
 */
@NullMarked
package io.webhookd.testsupport;

import org.jspecify.annotations.NullMarked;
