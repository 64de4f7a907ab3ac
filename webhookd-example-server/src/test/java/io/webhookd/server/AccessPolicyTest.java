package io.webhookd.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.webhookd.Subscription;
import io.webhookd.SubscriptionSpec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class AccessPolicyTest {
  static final String ADMIN = "admin-key-0123456789";

  static AccessPolicy parse(String json) {
    return AccessPolicy.parse(ADMIN, json.getBytes(StandardCharsets.UTF_8), "clients.json");
  }

  static final String VALID =
      """
      {"clients": [
        {"name": "billing", "api_key": "billing-key-0123456789",
         "policy": {"topics": [{"topic": "orders", "filter": "value.region == 'eu'"},
                               {"topic": "orders*", "filter": "value.amount < `1000`"},
                               {"topic": "invoices.*"}]}}]}
      """;

  @Test
  @DisplayName("keys authenticate the admin or their client; others nobody")
  void authenticates() {
    AccessPolicy p = parse(VALID);
    assertThat(p.authenticate(ADMIN)).get().extracting(AccessPolicy.Caller::isAdmin).isEqualTo(true);
    assertThat(p.authenticate("billing-key-0123456789")).get().extracting(AccessPolicy.Caller::owner).isEqualTo("billing");
    assertThat(p.authenticate("billing-key-012345678")).isEmpty();
    assertThat(p.authenticate("")).isEmpty();
    assertThat(p.authenticate(null)).isEmpty();
  }

  @Test
  @DisplayName("topics: names and * patterns; filters of every matching entry are ANDed; none for the admin")
  void topicsAndRowFilters() {
    AccessPolicy.Client c = parse(VALID).client("billing").orElseThrow();
    assertThat(c.allows("orders")).isTrue();
    assertThat(c.allows("orders-2026")).isTrue();
    assertThat(c.allows("invoices.eu")).isTrue();
    assertThat(c.allows("invoicesXeu")).isFalse();
    assertThat(c.allows("shipments")).isFalse();
    assertThat(c.filtersFor("orders")).containsExactly("value.region == 'eu'", "value.amount < `1000`");
    assertThat(c.filtersFor("invoices.eu")).isEmpty();
    var rows = parse(VALID).rowFilterPolicy();
    assertThat(rows.filtersFor(sub("billing"), "orders")).hasSize(2);
    assertThat(rows.filtersFor(sub(null), "orders")).isEmpty();
    // a client that vanished from the file, or lost the topic, gets nothing
    assertThat(rows.filtersFor(sub("gone"), "orders")).containsExactly(AccessPolicy.DENY_ALL);
    assertThat(rows.filtersFor(sub("billing"), "shipments")).containsExactly(AccessPolicy.DENY_ALL);
  }

  @Test
  @DisplayName("the clients file is validated with every problem listed, JMESPath filters included, keys never echoed")
  void validatesTheFile() {
    String bad =
        """
        {"clients": [
          {"name": "a b", "api_key": "short", "policy": {"topics": [{"topic": "x/y"}]}},
          {"name": "dup", "api_key": "dup-key-0123456789", "policy": {"topics": [{"topic": "t", "filter": "value.a =="}]}},
          {"name": "dup", "api_key": "dup-key-0123456789", "policy": {"topics": "all"}, "role": "admin"},
          {"name": "sneaky", "api_key": "admin-key-0123456789", "policy": {"topics": []}}
        ]}
        """;
    assertThatThrownBy(() -> parse(bad))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> {
              assertThat(e.getMessage())
                  .contains("clients[0].name")
                  .contains("clients[0].api_key")
                  .contains("clients[0].policy.topics[0].topic")
                  .contains("clients[1].policy.topics[0].filter is not a valid JMESPath expression")
                  .contains("clients[2].name \"dup\" is used by another client")
                  .contains("clients[2].api_key is the same as another client's")
                  .contains("clients[2].policy.topics must be an array")
                  .contains("clients[2].role is not a known field")
                  .contains("clients[3].api_key is the admin key")
                  .doesNotContain("dup-key-0123456789")
                  .doesNotContain("admin-key-0123456789");
            });
    assertThatThrownBy(() -> parse("{not json")).isInstanceOf(ConfigException.class).hasMessageContaining("not valid JSON");
    assertThatThrownBy(() -> parse("{\"clients\": [], \"clients\": []}")).isInstanceOf(ConfigException.class);
  }

  static Subscription sub(String owner) {
    SubscriptionSpec spec = SubscriptionSpec.builder().name("s").webhookUrl("https://example.com/h").source("orders").build();
    return new Subscription("00000000-0000-0000-0000-000000000001", spec, owner, 1, Instant.EPOCH, Instant.EPOCH);
  }

  @Test
  void noClientsFileMeansOnlyTheAdmin() {
    AccessPolicy p = AccessPolicy.load(ADMIN, null);
    assertThat(p.clients()).isEmpty();
    assertThat(p.authenticate(ADMIN)).isPresent();
    assertThat(List.of(p.authenticate("anything-else-123456"))).allMatch(o -> o.isEmpty());
  }

  @Test
  @DisplayName("max_subscriptions: 100 by default, the entry's value when given, none for the admin; bad values are listed")
  void quotas() {
    AccessPolicy p =
        parse(
            """
            {"clients": [
              {"name": "a", "api_key": "a-key-0123456789abc", "policy": {"topics": [{"topic": "x"}]}},
              {"name": "b", "api_key": "b-key-0123456789abc", "max_subscriptions": 0, "policy": {"topics": [{"topic": "x"}]}},
              {"name": "c", "api_key": "c-key-0123456789abc", "max_subscriptions": 2500, "policy": {"topics": [{"topic": "x"}]}}]}
            """);
    assertThat(p.client("a").orElseThrow().maxSubscriptions()).isEqualTo(100);
    assertThat(p.client("b").orElseThrow().maxSubscriptions()).isZero();
    assertThat(p.client("c").orElseThrow().maxSubscriptions()).isEqualTo(2500);
    assertThat(p.authenticate(ADMIN).orElseThrow().maxSubscriptions()).isEqualTo(Integer.MAX_VALUE);
    assertThat(p.authenticate("c-key-0123456789abc").orElseThrow().maxSubscriptions()).isEqualTo(2500);

    assertThatThrownBy(
            () ->
                parse(
                    """
                    {"clients": [
                      {"name": "a", "api_key": "a-key-0123456789abc", "max_subscriptions": -1, "policy": {"topics": []}},
                      {"name": "b", "api_key": "b-key-0123456789abc", "max_subscriptions": "10", "policy": {"topics": []}},
                      {"name": "c", "api_key": "c-key-0123456789abc", "max_subscriptions": 1.5, "policy": {"topics": []}}]}
                    """))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> assertThat(e.problems())
                .containsExactly(
                    "clients file clients.json: clients[0].max_subscriptions must be an integer between 0 and 100000, was -1",
                    "clients file clients.json: clients[1].max_subscriptions must be an integer between 0 and 100000, was \"10\"",
                    "clients file clients.json: clients[2].max_subscriptions must be an integer between 0 and 100000, was 1.5"));
  }
}
