/** Internals of the JDK HTTP transport: no compatibility promise. */
@NullMarked
package io.webhookd.http.internal;

import org.jspecify.annotations.NullMarked;
