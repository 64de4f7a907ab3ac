/** Implementation details of webhookd. No compatibility promise; not for use outside webhookd. */
@NullMarked
package io.webhookd.internal;

import org.jspecify.annotations.NullMarked;
