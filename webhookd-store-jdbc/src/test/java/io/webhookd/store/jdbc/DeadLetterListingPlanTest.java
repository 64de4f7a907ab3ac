package io.webhookd.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.webhookd.DeadLetter;
import io.webhookd.Subscription;
import io.webhookd.testsupport.RequiresPostgres;
import io.webhookd.testsupport.TestPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Listing one subscription's dead letters reads that subscription's rows only, through the index
 * on {@code (subscription_id, id)}: the database's own account of the store's page query (EXPLAIN
 * ANALYZE) over 20 subscriptions of 500 letters each whose ids interleave, so that neither a scan
 * of the table nor a range on the id alone would read only one subscription's rows.
 */
class DeadLetterListingPlanTest {
  private static final int SUBSCRIPTIONS = 20;
  private static final int LETTERS_EACH = 500;
  private static final int LIMIT = 50;

  @TempDir Path dir;

  /** Fills the store; returns the subscriptions' ids, letters of the i-th with ids {@code id(n, i)}. */
  private static List<String> fill(JdbcSubscriptionStore store) {
    List<String> ids = new ArrayList<>();
    for (int s = 0; s < SUBSCRIPTIONS; s++) {
      Subscription sub = JdbcSubscriptionStoreTest.subscription();
      store.create(sub);
      ids.add(sub.id());
      List<DeadLetter> letters = new ArrayList<>();
      for (int n = 0; n < LETTERS_EACH; n++) {
        letters.add(JdbcSubscriptionStoreTest.deadLetter(sub.id(), id(n, s)));
      }
      store.addDeadLetters(letters);
    }
    return ids;
  }

  /** The n-th letter of the s-th subscription: ids of all subscriptions interleave. */
  private static String id(int n, int s) {
    return String.format("%012x%012x", n, s);
  }

  @Test
  @RequiresPostgres
  @DisplayName("PostgreSQL: a page of one subscription's dead letters is an index range scan of dead_letters_by_subscription that reads no other row, with custom and generic plans")
  void postgresPageIsAnIndexRangeScan(TestPostgres postgres) throws Exception {
    try (JdbcSubscriptionStore store = Postgres.newStore(postgres, JdbcSubscriptionStoreTest.KEY_A, 2)) {
      List<String> subscriptions = fill(store);
      String subscription = subscriptions.get(7);
      String after = id(100, 7);
      // the store's own query, its ? as $1.. of a prepared statement
      String sql = DeadLetterRows.pageSql(true);
      for (int i = 1; sql.contains("?"); i++) {
        sql = sql.replaceFirst("\\?", "\\$" + i);
      }
      try (Connection c = store.dataSource().getConnection();
          Statement st = c.createStatement()) {
        st.execute("ANALYZE dead_letters");
        st.execute("PREPARE page (varchar, varchar, int) AS " + sql);
        for (String mode : List.of("force_custom_plan", "force_generic_plan")) {
          st.execute("SET plan_cache_mode = " + mode);
          JsonNode plan;
          try (ResultSet rs = st.executeQuery(
              "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE page ('" + subscription + "', '" + after + "', " + (LIMIT + 1) + ")")) {
            assertThat(rs.next()).isTrue();
            plan = new ObjectMapper().readTree(rs.getString(1)).get(0).get("Plan");
          }
          List<JsonNode> nodes = new ArrayList<>();
          collect(plan, nodes);
          assertThat(nodes).as("%s: %s", mode, plan)
              .noneMatch(n -> n.path("Node Type").asText().equals("Seq Scan"))
              .noneMatch(n -> n.path("Node Type").asText().equals("Sort"));
          JsonNode scan = nodes.stream()
              .filter(n -> n.path("Relation Name").asText().equals("dead_letters"))
              .findFirst().orElseThrow();
          assertThat(scan.path("Node Type").asText()).as("%s: %s", mode, plan).isIn("Index Scan", "Index Only Scan");
          assertThat(scan.path("Index Name").asText()).isEqualTo("dead_letters_by_subscription");
          // the index condition holds both columns: no row of another subscription is read
          assertThat(scan.path("Index Cond").asText()).contains("(subscription_id)").containsPattern("\\(id\\)(::text)? >");
          assertThat(scan.path("Actual Rows").asInt()).isEqualTo(LIMIT + 1);
          assertThat(scan.path("Rows Removed by Filter").asInt(0)).isZero();
        }
        st.execute("DEALLOCATE page");
      }
      // and the page is the right one
      DeadLetter.Page page = store.deadLetters(subscription, after, LIMIT);
      assertThat(page.deadLetters()).hasSize(LIMIT).allMatch(d -> d.subscriptionId().equals(subscription));
      assertThat(page.deadLetters().get(0).id()).isEqualTo(id(101, 7));
      assertThat(page.next()).isEqualTo(id(150, 7));
    }
  }

  @Test
  @DisplayName("H2: a page of one subscription's dead letters reads dead_letters_by_subscription, as many rows as the page needs")
  void h2PageIsAnIndexRangeScan() throws Exception {
    try (JdbcSubscriptionStore store = JdbcSubscriptionStore.h2(dir)) {
      List<String> subscriptions = fill(store);
      String subscription = subscriptions.get(7);
      String after = id(100, 7);
      String sql = DeadLetterRows.pageSql(true)
          .replaceFirst("\\?", "'" + subscription + "'")
          .replaceFirst("\\?", "'" + after + "'")
          .replaceFirst("\\?", String.valueOf(LIMIT + 1));
      String plan;
      try (Connection c = store.dataSource().getConnection();
          Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("EXPLAIN ANALYZE " + sql)) {
        assertThat(rs.next()).isTrue();
        plan = rs.getString(1);
      }
      assertThat(plan).contains("PUBLIC.DEAD_LETTERS_BY_SUBSCRIPTION: SUBSCRIPTION_ID = ");
      assertThat(plan).contains("AND ID > ");
      // H2 counts the index entries it read: the page and the one that tells there is a next page
      assertThat(plan).containsPattern("scanCount: (51|52) ");
      assertThat(plan).contains("/* index sorted */");
      assertThat(plan).doesNotContain("tableScan").doesNotContain("PRIMARY_KEY");
    }
  }

  private static void collect(JsonNode node, List<JsonNode> out) {
    out.add(node);
    for (JsonNode child : node.path("Plans")) {
      collect(child, out);
    }
  }
}
