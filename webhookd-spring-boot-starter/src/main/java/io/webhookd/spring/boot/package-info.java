/**
 * Spring Boot auto-configuration of a webhookd engine: {@link
 * io.webhookd.spring.boot.WebhookdAutoConfiguration} builds a {@link io.webhookd.Webhookd} bean
 * from {@code webhookd.*} properties ({@link io.webhookd.spring.boot.WebhookdProperties}) and the
 * application's own beans; {@link io.webhookd.spring.boot.WebhookdBuilderCustomizer} beans adjust
 * the builder; {@link io.webhookd.spring.boot.WebhookdHealthIndicator} reports to the actuator.
 */
@NullMarked
package io.webhookd.spring.boot;

import org.jspecify.annotations.NullMarked;
