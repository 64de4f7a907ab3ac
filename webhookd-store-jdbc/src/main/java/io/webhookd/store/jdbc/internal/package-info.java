/** Implementation details of webhookd-store-jdbc. No compatibility promise; not for use outside it. */
@NullMarked
package io.webhookd.store.jdbc.internal;

import org.jspecify.annotations.NullMarked;
