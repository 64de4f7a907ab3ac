/** The test kit's own parts; no compatibility promise. */
@NullMarked
package io.webhookd.testkit.internal;

import org.jspecify.annotations.NullMarked;
