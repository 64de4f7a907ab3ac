package io.webhookd.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.webhookd.ActivityEvent;
import io.webhookd.EngineInfo;
import io.webhookd.OnlineState;
import io.webhookd.ConflictException;
import io.webhookd.DeadLetter;
import io.webhookd.Health;
import io.webhookd.HealthDetails;
import io.webhookd.RetryAlgorithm;
import io.webhookd.Subscription;
import io.webhookd.SubscriptionNotFoundException;
import io.webhookd.SubscriptionSpec;
import io.webhookd.WebhookdException;
import io.webhookd.spi.EngineCommand;
import io.webhookd.spi.SubscriptionStore;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link SubscriptionStore}: every implementation's test extends this class and
 * supplies {@link #createStore()}. Each test is one clause of the interface's Javadoc.
 *
 * <pre>{@code
 * class JdbcSubscriptionStoreTest extends SubscriptionStoreContract {
 *   @Override
 *   protected SubscriptionStore createStore() {
 *     return JdbcSubscriptionStore.create(freshDataSource());
 *   }
 * }
 * }</pre>
 *
 * <p>Times used are whole milliseconds, so a store may keep timestamps with millisecond
 * precision.
 *
 * <p>The clauses on dead letters and on commands between engines run only for a store whose
 * {@link SubscriptionStore#supportsDeadLetters()} is true; for any other they are reported as
 * skipped (a JUnit assumption), so a store that keeps no dead letters passes the contract as
 * before. Dead letters are added only to stored subscriptions.
 */
public abstract class SubscriptionStoreContract {

  /** A fixed point in time the tests build on. */
  protected static final Instant T0 = Instant.parse("2026-03-01T10:00:00.123Z");

  /** The store under test: fresh and empty for each test, closed after it. */
  protected SubscriptionStore store;

  /** A new, empty store; called once before each test. */
  protected abstract SubscriptionStore createStore();

  @BeforeEach
  void openStore() {
    store = createStore();
  }

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  // ---- create, get, list ----------------------------------------------------------------------

  @Test
  @DisplayName("create stores a subscription with every optional feature, and get returns it equal")
  void createThenGetRoundTripsEveryField() {
    Subscription s = subscription(UUID.randomUUID().toString(), T0);

    Subscription created = store.create(s);

    assertThat(created).isEqualTo(s);
    assertThat(store.get(s.id())).contains(s);
    assertThat(store.get(s.id()).orElseThrow().spec()).isEqualTo(fullSpec("orders-webhook"));
    assertThat(store.get(s.id()).orElseThrow().spec().destination().signingSecret()).isEqualTo(SIGNING_SECRET);
  }

  @Test
  @DisplayName("a subscription without optional features round-trips too (nulls stay null)")
  void minimalSpecRoundTrips() {
    SubscriptionSpec minimal =
        SubscriptionSpec.builder()
            .name("minimal")
            .webhookUrl("https://example.com/hook")
            .source("orders")
            .build();
    Subscription s = new Subscription(UUID.randomUUID().toString(), minimal, null, 1, T0, T0);

    store.create(s);

    Subscription read = store.get(s.id()).orElseThrow();
    assertThat(read).isEqualTo(s);
    assertThat(read.owner()).isNull();
    assertThat(read.spec().alerting()).isNull();
    assertThat(read.spec().rateLimit()).isNull();
    assertThat(read.spec().destination().signingSecret()).isNull();
  }

  @Test
  @DisplayName("get of an unknown id is empty")
  void getOfUnknownIdIsEmpty() {
    assertThat(store.get(UUID.randomUUID().toString())).isEmpty();
  }

  @Test
  @DisplayName("a new store lists no subscriptions")
  void newStoreListsNothing() {
    assertThat(store.list()).isEmpty();
  }

  @Test
  @DisplayName("list returns every subscription, oldest first, whatever the order of creation")
  void listIsOldestFirst() {
    Subscription second = subscription(UUID.randomUUID().toString(), T0.plusSeconds(60));
    Subscription third = subscription(UUID.randomUUID().toString(), T0.plusSeconds(120));
    Subscription first = subscription(UUID.randomUUID().toString(), T0);
    store.create(second);
    store.create(third);
    store.create(first);

    assertThat(store.list()).containsExactly(first, second, third);
  }

  @Test
  @DisplayName("create refuses an id that is taken, and keeps the stored subscription")
  void createRefusesDuplicateId() {
    String id = UUID.randomUUID().toString();
    Subscription original = subscription(id, T0);
    store.create(original);
    Subscription other =
        new Subscription(id, fullSpec("another name"), "someone-else", 1, T0.plusSeconds(5), T0.plusSeconds(5));

    assertThatThrownBy(() -> store.create(other)).isInstanceOf(WebhookdException.class);

    assertThat(store.get(id)).contains(original);
    assertThat(store.list()).containsExactly(original);
  }

  @Test
  @DisplayName("create refuses a subscription whose version is not 1")
  void createRefusesVersionOtherThanOne() {
    Subscription s = subscription(UUID.randomUUID().toString(), T0);
    Subscription version2 = s.withSpec(s.spec(), 2, T0);

    assertThatThrownBy(() -> store.create(version2))
        .isInstanceOfAny(IllegalArgumentException.class, WebhookdException.class);

    assertThat(store.get(s.id())).isEmpty();
  }

  // ---- update ---------------------------------------------------------------------------------

  @Test
  @DisplayName("update with the stored version replaces the subscription and stores the new version")
  void updateWithCurrentVersionReplaces() {
    Subscription v1 = store.create(subscription(UUID.randomUUID().toString(), T0));
    SubscriptionSpec changed =
        v1.spec().toBuilder().name("renamed").active(false).maxBatchSize(7).clearSources().source("refunds").build();
    Subscription v2 = v1.withSpec(changed, 2, T0.plusSeconds(30));

    Subscription returned = store.update(v2, 1);

    assertThat(returned).isEqualTo(v2);
    Subscription read = store.get(v1.id()).orElseThrow();
    assertThat(read).isEqualTo(v2);
    assertThat(read.version()).isEqualTo(2);
    assertThat(read.createdAt()).isEqualTo(T0);
    assertThat(read.updatedAt()).isEqualTo(T0.plusSeconds(30));
    assertThat(store.list()).containsExactly(v2);
  }

  @Test
  @DisplayName("successive updates each need the version the previous one stored")
  void successiveUpdatesChainVersions() {
    Subscription v1 = store.create(subscription(UUID.randomUUID().toString(), T0));
    Subscription v2 = store.update(v1.withSpec(v1.spec().toBuilder().name("two").build(), 2, T0.plusSeconds(1)), 1);
    Subscription v3 = store.update(v2.withSpec(v2.spec().toBuilder().name("three").build(), 3, T0.plusSeconds(2)), 2);

    assertThat(store.get(v1.id())).contains(v3);
    assertThat(v3.spec().name()).isEqualTo("three");
  }

  @Test
  @DisplayName("update based on a stale version throws ConflictException naming both versions, and changes nothing")
  void staleUpdateConflicts() {
    Subscription v1 = store.create(subscription(UUID.randomUUID().toString(), T0));
    Subscription v2 = store.update(v1.withSpec(v1.spec().toBuilder().name("first writer").build(), 2, T0.plusSeconds(1)), 1);
    Subscription late = v1.withSpec(v1.spec().toBuilder().name("late writer").build(), 2, T0.plusSeconds(2));

    assertThatThrownBy(() -> store.update(late, 1))
        .isInstanceOfSatisfying(
            ConflictException.class,
            e -> {
              assertThat(e.subscriptionId()).isEqualTo(v1.id());
              assertThat(e.expectedVersion()).isEqualTo(1);
              assertThat(e.actualVersion()).isEqualTo(2);
            });

    assertThat(store.get(v1.id())).contains(v2);
  }

  @Test
  @DisplayName("update of an id that does not exist throws SubscriptionNotFoundException naming the id")
  void updateOfMissingIdIsNotFound() {
    Subscription ghost = subscription(UUID.randomUUID().toString(), T0);
    Subscription ghostV2 = ghost.withSpec(ghost.spec(), 2, T0.plusSeconds(1));

    assertThatThrownBy(() -> store.update(ghostV2, 1))
        .isInstanceOfSatisfying(
            SubscriptionNotFoundException.class,
            e -> assertThat(e.subscriptionId()).isEqualTo(ghost.id()));

    assertThat(store.get(ghost.id())).isEmpty();
  }

  @Test
  @DisplayName("update refuses a new version other than the expected version + 1, and changes nothing")
  void updateRefusesVersionThatSkips() {
    Subscription v1 = store.create(subscription(UUID.randomUUID().toString(), T0));
    Subscription skipping = v1.withSpec(v1.spec().toBuilder().name("skips").build(), 5, T0.plusSeconds(1));

    assertThatThrownBy(() -> store.update(skipping, 1))
        .isInstanceOfAny(IllegalArgumentException.class, WebhookdException.class);

    assertThat(store.get(v1.id())).contains(v1);
  }

  @Test
  @DisplayName("of concurrent updates based on the same version exactly one wins; the others get ConflictException")
  void concurrentUpdatesHaveOneWinner() throws Exception {
    Subscription v1 = store.create(subscription(UUID.randomUUID().toString(), T0));
    int writers = 8;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      CountDownLatch ready = new CountDownLatch(writers);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Subscription>> results = new ArrayList<>();
      for (int i = 0; i < writers; i++) {
        Subscription attempt =
            v1.withSpec(v1.spec().toBuilder().name("writer " + i).build(), 2, T0.plusSeconds(i + 1));
        Callable<Subscription> update =
            () -> {
              ready.countDown();
              go.await();
              return store.update(attempt, 1);
            };
        results.add(pool.submit(update));
      }
      assertThat(ready.await(30, TimeUnit.SECONDS)).as("every writer ready").isTrue();
      go.countDown();

      List<Subscription> winners = new ArrayList<>();
      List<Throwable> losers = new ArrayList<>();
      for (Future<Subscription> f : results) {
        try {
          winners.add(f.get(60, TimeUnit.SECONDS));
        } catch (ExecutionException e) {
          losers.add(e.getCause());
        }
      }

      assertThat(winners).hasSize(1);
      assertThat(losers)
          .hasSize(writers - 1)
          .allSatisfy(
              t ->
                  assertThat(t)
                      .isInstanceOfSatisfying(
                          ConflictException.class,
                          e -> {
                            assertThat(e.expectedVersion()).isEqualTo(1);
                            assertThat(e.actualVersion()).isEqualTo(2);
                          }));
      assertThat(store.get(v1.id())).contains(winners.get(0));
    } finally {
      pool.shutdownNow();
    }
  }

  // ---- delete ---------------------------------------------------------------------------------

  @Test
  @DisplayName("delete removes the subscription and returns true; deleting it again returns false")
  void deleteRemoves() {
    Subscription kept = store.create(subscription(UUID.randomUUID().toString(), T0));
    Subscription doomed = store.create(subscription(UUID.randomUUID().toString(), T0.plusSeconds(1)));

    assertThat(store.delete(doomed.id())).isTrue();

    assertThat(store.get(doomed.id())).isEmpty();
    assertThat(store.list()).containsExactly(kept);
    assertThat(store.delete(doomed.id())).isFalse();
  }

  @Test
  @DisplayName("delete of an unknown id returns false")
  void deleteOfUnknownIdIsFalse() {
    assertThat(store.delete(UUID.randomUUID().toString())).isFalse();
  }

  @Test
  @DisplayName("delete also removes the subscription's health and activity")
  void deleteRemovesHealthAndActivity() {
    Subscription s = store.create(subscription(UUID.randomUUID().toString(), T0));
    store.saveHealth(s.id(), fullHealth());
    store.appendActivity(s.id(), List.of(apiCall(T0, 200), apiCall(T0.plusSeconds(1), 500)), 10);

    store.delete(s.id());

    assertThat(store.health(s.id())).isEmpty();
    assertThat(store.recentActivity(s.id(), 10)).isEmpty();
    // A subscription created again under the same id starts with none.
    store.create(s);
    assertThat(store.health(s.id())).isEmpty();
    assertThat(store.recentActivity(s.id(), 10)).isEmpty();
  }

  @Test
  @DisplayName("delete of one subscription leaves the others' health and activity alone")
  void deleteLeavesOthersAlone() {
    Subscription kept = store.create(subscription(UUID.randomUUID().toString(), T0));
    Subscription doomed = store.create(subscription(UUID.randomUUID().toString(), T0.plusSeconds(1)));
    HealthDetails health = fullHealth();
    store.saveHealth(kept.id(), health);
    store.saveHealth(doomed.id(), health);
    ActivityEvent event = apiCall(T0, 200);
    store.appendActivity(kept.id(), List.of(event), 10);
    store.appendActivity(doomed.id(), List.of(event), 10);

    store.delete(doomed.id());

    assertThat(store.health(kept.id())).contains(health);
    assertThat(store.recentActivity(kept.id(), 10)).containsExactly(event);
  }

  // ---- admin state ----------------------------------------------------------------------------

  @Test
  @DisplayName("a new store's admin state is OnlineState.initial(): online, no message")
  void adminStateIsInitiallyOnline() {
    assertThat(store.onlineState()).isEqualTo(OnlineState.initial());
    assertThat(store.onlineState().online()).isTrue();
  }

  @Test
  @DisplayName("the admin state round-trips: offline with a message, then online again")
  void adminStateRoundTrips() {
    OnlineState offline = new OnlineState(false, "Maintenance until 12:00 UTC — back soon", T0);
    store.saveOnlineState(offline);
    assertThat(store.onlineState()).isEqualTo(offline);

    OnlineState online = new OnlineState(true, "", T0.plusSeconds(3600));
    store.saveOnlineState(online);
    assertThat(store.onlineState()).isEqualTo(online);
  }

  // ---- health ---------------------------------------------------------------------------------

  @Test
  @DisplayName("a subscription has no health until one is saved")
  void healthIsInitiallyEmpty() {
    Subscription s = store.create(subscription(UUID.randomUUID().toString(), T0));

    assertThat(store.health(s.id())).isEmpty();
  }

  @Test
  @DisplayName("health round-trips with every field, and the last writer wins")
  void healthRoundTripsLastWriterWins() {
    Subscription s = store.create(subscription(UUID.randomUUID().toString(), T0));
    HealthDetails full = fullHealth();
    store.saveHealth(s.id(), full);
    assertThat(store.health(s.id())).contains(full);

    HealthDetails recovered = HealthDetails.initial(Health.HEALTHY, T0.plusSeconds(600));
    store.saveHealth(s.id(), recovered);
    assertThat(store.health(s.id())).contains(recovered);
  }

  @Test
  @DisplayName("the health of many subscriptions is read at once: each one saved, none for the others")
  void healthOfManyAtOnce() {
    List<String> ids = new ArrayList<>();
    java.util.Map<String, HealthDetails> saved = new java.util.HashMap<>();
    for (int i = 0; i < 520; i++) {
      Subscription s = store.create(subscription(UUID.randomUUID().toString(), T0));
      ids.add(s.id());
      if (i % 3 != 0) {
        HealthDetails h = i % 2 == 0 ? fullHealth() : HealthDetails.initial(Health.HEALTHY, T0.plusSeconds(i));
        store.saveHealth(s.id(), h);
        saved.put(s.id(), h);
      }
    }
    ids.add(UUID.randomUUID().toString()); // no such subscription

    assertThat(store.health(ids)).isEqualTo(saved);
    assertThat(store.health(List.of())).isEmpty();
    for (String id : ids.subList(0, 10)) {
      assertThat(store.health(id)).isEqualTo(java.util.Optional.ofNullable(saved.get(id)));
    }
  }

  // ---- activity -------------------------------------------------------------------------------

  @Test
  @DisplayName("appended activity comes back newest first, every field intact")
  void activityIsNewestFirst() {
    Subscription s = store.create(subscription(UUID.randomUUID().toString(), T0));
    ActivityEvent e1 = ActivityEvent.stateChange(T0, ActivityEvent.Type.ACTIVE, "subscription created");
    ActivityEvent e2 = apiCall(T0.plusSeconds(1), 503);
    ActivityEvent e3 = apiCall(T0.plusSeconds(2), 200);
    store.appendActivity(s.id(), List.of(e1, e2), 100);
    store.appendActivity(s.id(), List.of(e3), 100);

    assertThat(store.recentActivity(s.id(), 100)).containsExactly(e3, e2, e1);
  }

  @Test
  @DisplayName("appendActivity prunes the subscription's activity to the newest 'keep' events")
  void activityIsPrunedToKeep() {
    Subscription s = store.create(subscription(UUID.randomUUID().toString(), T0));
    List<ActivityEvent> events = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      events.add(apiCall(T0.plusSeconds(i), 200 + i));
    }
    store.appendActivity(s.id(), events.subList(0, 5), 3);
    assertThat(store.recentActivity(s.id(), 100))
        .containsExactly(events.get(4), events.get(3), events.get(2));

    store.appendActivity(s.id(), events.subList(5, 8), 4);
    assertThat(store.recentActivity(s.id(), 100))
        .containsExactly(events.get(7), events.get(6), events.get(5), events.get(4));
  }

  @Test
  @DisplayName("recentActivity returns at most 'limit' events, the newest")
  void activityHonoursLimit() {
    Subscription s = store.create(subscription(UUID.randomUUID().toString(), T0));
    List<ActivityEvent> events = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      events.add(apiCall(T0.plusSeconds(i), 200));
    }
    store.appendActivity(s.id(), events, 100);

    assertThat(store.recentActivity(s.id(), 2)).containsExactly(events.get(4), events.get(3));
    assertThat(store.recentActivity(s.id(), 0)).isEmpty();
  }

  @Test
  @DisplayName("activity is kept per subscription")
  void activityIsPerSubscription() {
    Subscription a = store.create(subscription(UUID.randomUUID().toString(), T0));
    Subscription b = store.create(subscription(UUID.randomUUID().toString(), T0.plusSeconds(1)));
    ActivityEvent ea = apiCall(T0, 200);
    ActivityEvent eb = apiCall(T0.plusSeconds(1), 500);
    store.appendActivity(a.id(), List.of(ea), 10);
    store.appendActivity(b.id(), List.of(eb), 10);

    assertThat(store.recentActivity(a.id(), 10)).containsExactly(ea);
    assertThat(store.recentActivity(b.id(), 10)).containsExactly(eb);
  }

  @Test
  @DisplayName("a subscription without activity has an empty recent activity")
  void noActivityIsEmpty() {
    Subscription s = store.create(subscription(UUID.randomUUID().toString(), T0));

    assertThat(store.recentActivity(s.id(), 10)).isEmpty();
  }

  // ---- alert claims ---------------------------------------------------------------------------

  @Test
  @DisplayName("claimAlert: the first claim succeeds, a second within the interval does not")
  void secondClaimWithinIntervalFails() {
    Subscription s = store.create(subscription(UUID.randomUUID().toString(), T0));
    Duration interval = Duration.ofMinutes(5);

    assertThat(store.claimAlert(s.id(), "unhealthy", T0, interval)).isTrue();
    assertThat(store.claimAlert(s.id(), "unhealthy", T0, interval)).isFalse();
    assertThat(store.claimAlert(s.id(), "unhealthy", T0.plus(interval).minusMillis(1), interval)).isFalse();
  }

  @Test
  @DisplayName("claimAlert: a claim of another key, or of another subscription, succeeds within the interval")
  void claimsOfOtherKeysAreIndependent() {
    Subscription s = store.create(subscription(UUID.randomUUID().toString(), T0));
    Subscription other = store.create(subscription(UUID.randomUUID().toString(), T0.plusSeconds(1)));
    Duration interval = Duration.ofMinutes(5);

    assertThat(store.claimAlert(s.id(), "unhealthy", T0, interval)).isTrue();
    assertThat(store.claimAlert(s.id(), "recovered", T0.plusSeconds(1), interval)).isTrue();
    assertThat(store.claimAlert(other.id(), "unhealthy", T0.plusSeconds(2), interval)).isTrue();
  }

  @Test
  @DisplayName("claimAlert: once the interval has passed since the last claim, a claim succeeds again")
  void claimSucceedsAfterInterval() {
    Subscription s = store.create(subscription(UUID.randomUUID().toString(), T0));
    Duration interval = Duration.ofMinutes(5);

    assertThat(store.claimAlert(s.id(), "reminder", T0, interval)).isTrue();
    assertThat(store.claimAlert(s.id(), "reminder", T0.plus(interval), interval)).isTrue();
    assertThat(store.claimAlert(s.id(), "reminder", T0.plus(interval).plusSeconds(1), interval)).isFalse();
  }

  @Test
  @DisplayName("claimAlert: a refused claim does not extend the interval")
  void refusedClaimDoesNotExtendInterval() {
    Subscription s = store.create(subscription(UUID.randomUUID().toString(), T0));
    Duration interval = Duration.ofMinutes(5);

    assertThat(store.claimAlert(s.id(), "unhealthy", T0, interval)).isTrue();
    assertThat(store.claimAlert(s.id(), "unhealthy", T0.plusSeconds(200), interval)).isFalse();
    assertThat(store.claimAlert(s.id(), "unhealthy", T0.plus(interval), interval)).isTrue();
  }

  @Test
  @DisplayName("claimAlert: of concurrent claims of one key exactly one succeeds")
  void concurrentClaimsHaveOneWinner() throws Exception {
    Subscription s = store.create(subscription(UUID.randomUUID().toString(), T0));
    int claimers = 8;
    ExecutorService pool = Executors.newFixedThreadPool(claimers);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Boolean>> results = new ArrayList<>();
      for (int i = 0; i < claimers; i++) {
        Instant at = T0.plusMillis(i);
        results.add(
            pool.submit(
                () -> {
                  go.await();
                  return store.claimAlert(s.id(), "unhealthy", at, Duration.ofMinutes(5));
                }));
      }
      go.countDown();
      int won = 0;
      for (Future<Boolean> f : results) {
        if (f.get(60, TimeUnit.SECONDS)) {
          won++;
        }
      }
      assertThat(won).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
  }

  // ---- dead letters (skipped unless supportsDeadLetters()) ------------------------------------

  @Test
  @DisplayName("dead letters: every field round-trips, and a subscription's letters are listed by id whatever the order they were added in")
  void deadLettersRoundTripInIdOrder() {
    assumeDeadLetters();
    Subscription s = store.create(subscription(UUID.randomUUID().toString(), T0));
    DeadLetter first = deadLetter(s.id(), 1, T0);
    DeadLetter second = deadLetter(s.id(), 2, T0.plusSeconds(1));
    DeadLetter third = skipped(s.id(), 3, T0.plusSeconds(2));

    store.addDeadLetters(List.of(third, first));
    store.addDeadLetters(List.of(second));

    DeadLetter.Page page = store.deadLetters(s.id(), null, 10);
    assertThat(page.deadLetters()).containsExactly(first, second, third);
    assertThat(page.next()).isNull();
    assertThat(page.deadLetters().get(2).statusCode()).isNull();
    assertThat(page.deadLetters().get(2).error()).isNull();
  }

  @Test
  @DisplayName("dead letters: pages of 'limit' letters, 'next' the last id of a page and the cursor of the next, null on the last page")
  void deadLettersArePagedWithACursor() {
    assumeDeadLetters();
    Subscription s = store.create(subscription(UUID.randomUUID().toString(), T0));
    List<DeadLetter> letters = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      letters.add(deadLetter(s.id(), i, T0.plusSeconds(i)));
    }
    store.addDeadLetters(letters);

    DeadLetter.Page one = store.deadLetters(s.id(), null, 2);
    assertThat(one.deadLetters()).containsExactly(letters.get(0), letters.get(1));
    assertThat(one.next()).isEqualTo(letters.get(1).id());
    DeadLetter.Page two = store.deadLetters(s.id(), one.next(), 2);
    assertThat(two.deadLetters()).containsExactly(letters.get(2), letters.get(3));
    assertThat(two.next()).isEqualTo(letters.get(3).id());
    DeadLetter.Page three = store.deadLetters(s.id(), two.next(), 2);
    assertThat(three.deadLetters()).containsExactly(letters.get(4));
    assertThat(three.next()).isNull();
    // a last page that is full has no next either
    DeadLetter.Page full = store.deadLetters(s.id(), letters.get(2).id(), 2);
    assertThat(full.deadLetters()).containsExactly(letters.get(3), letters.get(4));
    assertThat(full.next()).isNull();
    assertThat(store.deadLetters(s.id(), letters.get(4).id(), 2).deadLetters()).isEmpty();
  }

  @Test
  @DisplayName("dead letters are kept per subscription: listing one never shows another's, and a subscription without letters lists none")
  void deadLettersArePerSubscription() {
    assumeDeadLetters();
    Subscription a = store.create(subscription(UUID.randomUUID().toString(), T0));
    Subscription b = store.create(subscription(UUID.randomUUID().toString(), T0.plusSeconds(1)));
    Subscription none = store.create(subscription(UUID.randomUUID().toString(), T0.plusSeconds(2)));
    DeadLetter a1 = deadLetter(a.id(), 1, T0);
    DeadLetter b2 = deadLetter(b.id(), 2, T0);
    DeadLetter a3 = deadLetter(a.id(), 3, T0);
    DeadLetter b4 = deadLetter(b.id(), 4, T0);
    store.addDeadLetters(List.of(a1, b2, a3, b4));

    assertThat(store.deadLetters(a.id(), null, 10).deadLetters()).containsExactly(a1, a3);
    DeadLetter.Page firstOfB = store.deadLetters(b.id(), null, 1);
    assertThat(firstOfB.deadLetters()).containsExactly(b2);
    assertThat(store.deadLetters(b.id(), firstOfB.next(), 10).deadLetters()).containsExactly(b4);
    assertThat(store.deadLetters(none.id(), null, 10)).isEqualTo(new DeadLetter.Page(List.of(), null));
  }

  @Test
  @DisplayName("addDeadLetters is idempotent on the id: a letter whose id exists is left as it was, the new ones of the same call are added")
  void addingDeadLettersAgainAddsNothing() {
    assumeDeadLetters();
    Subscription s = store.create(subscription(UUID.randomUUID().toString(), T0));
    DeadLetter first = deadLetter(s.id(), 1, T0);
    DeadLetter second = deadLetter(s.id(), 2, T0);
    store.addDeadLetters(List.of(first, second));
    DeadLetter sameIdOtherContent = skipped(s.id(), 1, T0.plusSeconds(60));
    DeadLetter third = deadLetter(s.id(), 3, T0.plusSeconds(60));

    store.addDeadLetters(List.of(first, second)); // a retry of the same call
    store.addDeadLetters(List.of(sameIdOtherContent, second, third));

    assertThat(store.deadLetters(s.id(), null, 10).deadLetters()).containsExactly(first, second, third);
  }

  @Test
  @DisplayName("dead letters by ids: those of the subscription that exist, ordered by id, whatever the order asked")
  void deadLettersByIds() {
    assumeDeadLetters();
    Subscription s = store.create(subscription(UUID.randomUUID().toString(), T0));
    Subscription other = store.create(subscription(UUID.randomUUID().toString(), T0.plusSeconds(1)));
    DeadLetter one = deadLetter(s.id(), 1, T0);
    DeadLetter two = deadLetter(s.id(), 2, T0);
    DeadLetter three = deadLetter(s.id(), 3, T0);
    DeadLetter others = deadLetter(other.id(), 4, T0);
    store.addDeadLetters(List.of(one, two, three, others));

    assertThat(store.deadLetters(s.id(), List.of(three.id(), "ffffffffffffffffffffffff", one.id(), others.id(), one.id())))
        .containsExactly(one, three);
    assertThat(store.deadLetters(s.id(), List.of())).isEmpty();
  }

  @Test
  @DisplayName("removeDeadLetter removes one letter and returns true; false when it does not exist or is another subscription's")
  void removeDeadLetter() {
    assumeDeadLetters();
    Subscription s = store.create(subscription(UUID.randomUUID().toString(), T0));
    Subscription other = store.create(subscription(UUID.randomUUID().toString(), T0.plusSeconds(1)));
    DeadLetter one = deadLetter(s.id(), 1, T0);
    DeadLetter two = deadLetter(s.id(), 2, T0);
    DeadLetter others = deadLetter(other.id(), 3, T0);
    store.addDeadLetters(List.of(one, two, others));

    assertThat(store.removeDeadLetter(s.id(), one.id())).isTrue();
    assertThat(store.removeDeadLetter(s.id(), one.id())).isFalse();
    assertThat(store.removeDeadLetter(s.id(), others.id())).isFalse();

    assertThat(store.deadLetters(s.id(), null, 10).deadLetters()).containsExactly(two);
    assertThat(store.deadLetters(other.id(), null, 10).deadLetters()).containsExactly(others);
  }

  @Test
  @DisplayName("pruneDeadLetters by age removes, in every subscription, the letters written before 'before' and returns how many")
  void pruneDeadLettersByAge() {
    assumeDeadLetters();
    Subscription a = store.create(subscription(UUID.randomUUID().toString(), T0));
    Subscription b = store.create(subscription(UUID.randomUUID().toString(), T0.plusSeconds(1)));
    DeadLetter oldA = deadLetter(a.id(), 1, T0);
    DeadLetter oldB = deadLetter(b.id(), 2, T0.plusSeconds(59));
    DeadLetter atBoundary = deadLetter(a.id(), 3, T0.plusSeconds(60));
    DeadLetter recentB = deadLetter(b.id(), 4, T0.plusSeconds(120));
    store.addDeadLetters(List.of(oldA, oldB, atBoundary, recentB));

    assertThat(store.pruneDeadLetters(T0.plusSeconds(60), 100)).isEqualTo(2);

    assertThat(store.deadLetters(a.id(), null, 10).deadLetters()).containsExactly(atBoundary);
    assertThat(store.deadLetters(b.id(), null, 10).deadLetters()).containsExactly(recentB);
    assertThat(store.pruneDeadLetters(T0.plusSeconds(60), 100)).isZero();
  }

  @Test
  @DisplayName("pruneDeadLetters by count keeps the newest 'keepPerSubscription' letters of each subscription")
  void pruneDeadLettersByCount() {
    assumeDeadLetters();
    Subscription a = store.create(subscription(UUID.randomUUID().toString(), T0));
    Subscription b = store.create(subscription(UUID.randomUUID().toString(), T0.plusSeconds(1)));
    List<DeadLetter> ofA = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      ofA.add(deadLetter(a.id(), i * 2, T0.plusSeconds(i)));
    }
    DeadLetter b1 = deadLetter(b.id(), 3, T0);
    DeadLetter b2 = deadLetter(b.id(), 5, T0);
    store.addDeadLetters(ofA);
    store.addDeadLetters(List.of(b1, b2));

    assertThat(store.pruneDeadLetters(T0.minus(Duration.ofDays(1)), 3)).isEqualTo(2);

    assertThat(store.deadLetters(a.id(), null, 10).deadLetters()).containsExactlyElementsOf(ofA.subList(2, 5));
    assertThat(store.deadLetters(b.id(), null, 10).deadLetters()).containsExactly(b1, b2);
  }

  @Test
  @DisplayName("delete removes the subscription's dead letters, leaves the others' alone, and the id created again starts with none")
  void deleteRemovesDeadLetters() {
    assumeDeadLetters();
    Subscription doomed = store.create(subscription(UUID.randomUUID().toString(), T0));
    Subscription kept = store.create(subscription(UUID.randomUUID().toString(), T0.plusSeconds(1)));
    DeadLetter doomedLetter = deadLetter(doomed.id(), 1, T0);
    DeadLetter keptLetter = deadLetter(kept.id(), 2, T0);
    store.addDeadLetters(List.of(doomedLetter, keptLetter));

    assertThat(store.delete(doomed.id())).isTrue();

    assertThat(store.deadLetters(doomed.id(), null, 10).deadLetters()).isEmpty();
    assertThat(store.deadLetters(doomed.id(), List.of(doomedLetter.id()))).isEmpty();
    assertThat(store.deadLetters(kept.id(), null, 10).deadLetters()).containsExactly(keptLetter);
    store.create(doomed);
    assertThat(store.deadLetters(doomed.id(), null, 10).deadLetters()).isEmpty();
  }

  // ---- commands between engines (skipped unless supportsDeadLetters(); a shared store that
  // ---- supports dead letters must keep commands) ---------------------------------------------

  @Test
  @DisplayName("commands: an added command is pending, oldest first, until it expires; command(id) returns it")
  void commandsArePendingUntilTheyExpire() {
    assumeDeadLetters();
    EngineCommand later = command("c-later", T0.plusSeconds(2), T0.plusSeconds(62), EngineCommand.Kind.SKIP, "batch-7");
    EngineCommand earlier = command("c-earlier", T0.plusSeconds(1), T0.plusSeconds(31), EngineCommand.Kind.HOLD, null);
    store.addCommand(later);
    store.addCommand(earlier);

    assertThat(store.pendingCommands(T0.plusSeconds(3))).containsExactly(earlier, later);
    assertThat(store.command(later.id())).contains(later);
    // expiresAt is exclusive: at that instant it is no longer pending, though it still exists
    assertThat(store.pendingCommands(T0.plusSeconds(31))).containsExactly(later);
    assertThat(store.pendingCommands(T0.plusSeconds(62))).isEmpty();
    assertThat(store.command(earlier.id())).contains(earlier);
    assertThat(store.command("no-such-command")).isEmpty();
  }

  @Test
  @DisplayName("commands: adding a command whose id exists leaves the stored one as it was")
  void addingACommandAgainChangesNothing() {
    assumeDeadLetters();
    EngineCommand hold = command("c-1", T0, T0.plusSeconds(60), EngineCommand.Kind.HOLD, null);
    store.addCommand(hold);

    store.addCommand(command("c-1", T0.plusSeconds(5), T0.plusSeconds(600), EngineCommand.Kind.SKIP, "batch-1"));

    assertThat(store.command("c-1")).contains(hold);
    assertThat(store.pendingCommands(T0)).containsExactly(hold);
  }

  @Test
  @DisplayName("completeCommand: true once, storing the result (no longer pending); then false; false for an unknown id")
  void completeCommandOnce() {
    assumeDeadLetters();
    EngineCommand skip = command("c-skip", T0, T0.plusSeconds(60), EngineCommand.Kind.SKIP, "batch-1");
    store.addCommand(skip);

    assertThat(store.completeCommand(skip.id(), "skipped by engine a")).isTrue();
    assertThat(store.completeCommand(skip.id(), "skipped by engine b")).isFalse();
    assertThat(store.completeCommand("no-such-command", "done")).isFalse();

    assertThat(store.command(skip.id()).orElseThrow().result()).isEqualTo("skipped by engine a");
    assertThat(store.pendingCommands(T0)).isEmpty();
  }

  @Test
  @DisplayName("completeCommand: of concurrent completers exactly one gets true, and its result is the one stored")
  void concurrentCompletersHaveOneWinner() throws Exception {
    assumeDeadLetters();
    int completers = 8;
    ExecutorService pool = Executors.newFixedThreadPool(completers);
    try {
      for (int round = 0; round < 5; round++) {
        EngineCommand c = command("c-race-" + round, T0, T0.plusSeconds(60), EngineCommand.Kind.SKIP, "batch-" + round);
        store.addCommand(c);
        CountDownLatch ready = new CountDownLatch(completers);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Boolean>> results = new ArrayList<>();
        for (int i = 0; i < completers; i++) {
          String result = "engine " + i;
          results.add(
              pool.submit(
                  () -> {
                    ready.countDown();
                    go.await();
                    return store.completeCommand(c.id(), result);
                  }));
        }
        assertThat(ready.await(30, TimeUnit.SECONDS)).as("every completer ready").isTrue();
        go.countDown();
        List<String> winners = new ArrayList<>();
        for (int i = 0; i < completers; i++) {
          if (results.get(i).get(60, TimeUnit.SECONDS)) {
            winners.add("engine " + i);
          }
        }
        assertThat(winners).as("round %s", round).hasSize(1);
        assertThat(store.command(c.id()).orElseThrow().result()).isEqualTo(winners.get(0));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("removeCommands removes the commands created before 'before', completed or not")
  void removeCommandsByAge() {
    assumeDeadLetters();
    EngineCommand old = command("c-old", T0, T0.plus(Duration.ofDays(1)), EngineCommand.Kind.HOLD, null);
    EngineCommand oldDone = command("c-old-done", T0.plusSeconds(1), T0.plus(Duration.ofDays(1)), EngineCommand.Kind.SKIP, "b");
    EngineCommand recent = command("c-recent", T0.plusSeconds(60), T0.plus(Duration.ofDays(1)), EngineCommand.Kind.HOLD, null);
    store.addCommand(old);
    store.addCommand(oldDone);
    store.addCommand(recent);
    store.completeCommand(oldDone.id(), "done");

    store.removeCommands(T0.plusSeconds(60));

    assertThat(store.command(old.id())).isEmpty();
    assertThat(store.command(oldDone.id())).isEmpty();
    assertThat(store.command(recent.id())).contains(recent);
    assertThat(store.pendingCommands(T0.plusSeconds(61))).containsExactly(recent);
  }

  // ---- engines --------------------------------------------------------------------------------

  private static EngineInfo engine(String id, Instant lastSeen, int subscriptions) {
    return new EngineInfo(id, "host-" + id, T0, lastSeen, subscriptions);
  }

  @Test
  @DisplayName("a new store lists no engines")
  void noEngines() {
    assertThat(store.engines(Instant.EPOCH)).isEmpty();
  }

  @Test
  @DisplayName("saveEngine stores an engine with every field; engines(since) returns it")
  void engineRoundTrips() {
    assumeEngines();
    EngineInfo e = engine("engine-a", T0.plusSeconds(5), 12);
    store.saveEngine(e);
    assertThat(store.engines(T0)).containsExactly(e);
  }

  @Test
  @DisplayName("saveEngine of a known id replaces its entry (last seen, subscriptions)")
  void engineIsReplaced() {
    assumeEngines();
    store.saveEngine(engine("engine-a", T0.plusSeconds(5), 12));
    EngineInfo later = engine("engine-a", T0.plusSeconds(10), 7);
    store.saveEngine(later);
    assertThat(store.engines(Instant.EPOCH)).containsExactly(later);
  }

  @Test
  @DisplayName("engines(since) leaves out engines last seen before 'since' and keeps those seen at it or after")
  void enginesSince() {
    assumeEngines();
    store.saveEngine(engine("old", T0.plusSeconds(1), 1));
    store.saveEngine(engine("edge", T0.plusSeconds(10), 2));
    store.saveEngine(engine("new", T0.plusSeconds(20), 3));
    assertThat(store.engines(T0.plusSeconds(10))).extracting(EngineInfo::id).containsExactlyInAnyOrder("edge", "new");
    assertThat(store.engines(Instant.EPOCH)).hasSize(3);
  }

  @Test
  @DisplayName("removeEngines removes those ids and ignores unknown ones")
  void removeEngines() {
    assumeEngines();
    store.saveEngine(engine("a", T0, 1));
    store.saveEngine(engine("b", T0, 2));
    store.saveEngine(engine("c", T0, 3));
    store.removeEngines(List.of("a", "c", "unknown"));
    assertThat(store.engines(Instant.EPOCH)).extracting(EngineInfo::id).containsExactly("b");
    store.removeEngines(List.of());
    assertThat(store.engines(Instant.EPOCH)).hasSize(1);
  }

  // ---- fixtures -------------------------------------------------------------------------------

  /**
   * Skips the calling test (a JUnit assumption, reported as skipped) when the store keeps no dead
   * letters: a store may leave them out ({@link SubscriptionStore#supportsDeadLetters()} false),
   * and then also the commands between engines, which only the operations on dead letters and
   * replays use.
   */
  /**
   * The engine registry is optional: a store that leaves {@link SubscriptionStore#saveEngine} to
   * the SPI's default keeps none (its engines list stays empty), and these clauses are skipped.
   */
  protected void assumeEngines() {
    boolean keeps;
    try {
      keeps = store.getClass().getMethod("saveEngine", EngineInfo.class).getDeclaringClass() != SubscriptionStore.class;
    } catch (NoSuchMethodException e) {
      keeps = false;
    }
    Assumptions.assumeTrue(keeps, store.getClass().getName() + " keeps no engine registry (saveEngine is the SPI's default)");
  }

  protected void assumeDeadLetters() {
    Assumptions.assumeTrue(
        store.supportsDeadLetters(), store.getClass().getName() + " keeps no dead letters (supportsDeadLetters() is false)");
  }

  /**
   * A dead letter of a stored subscription, its id the {@code n}-th of 24 lowercase hex digits (as
   * the engine makes them), written at {@code at}, with every field set.
   */
  protected static DeadLetter deadLetter(String subscriptionId, int n, Instant at) {
    String message =
        "{\"topic\":\"orders\",\"partition\":2,\"offset\":" + (1000 + n) + ",\"timestamp\":" + T0.toEpochMilli()
            + ",\"key\":\"order-" + n + "\",\"value\":{\"amount\":120,\"note\":\"é ✓\"},\"headers\":{\"trace\":\"t-" + n + "\"}}";
    return new DeadLetter(
        letterId(n), subscriptionId, "orders", 2, 1000 + n, T0, message, 400,
        "HTTP 400 Bad Request: {\"error\":\"amount\"}", 4, "batch-" + n, DeadLetter.RETRIES_EXHAUSTED, at);
  }

  /** A skipped dead letter: no status code and no error (the batch never got an answer). */
  protected static DeadLetter skipped(String subscriptionId, int n, Instant at) {
    return new DeadLetter(
        letterId(n), subscriptionId, "refunds", 0, n, T0.minusSeconds(3600),
        "{\"topic\":\"refunds\",\"partition\":0,\"offset\":" + n + ",\"timestamp\":0,\"key\":null,\"value\":\"x\",\"headers\":{}}",
        null, null, 0, "batch-skipped-" + n, DeadLetter.SKIPPED, at);
  }

  /** The {@code n}-th dead letter id: ids order as their numbers do. */
  protected static String letterId(int n) {
    return String.format("%012x%06x%06x", T0.toEpochMilli(), n, 0xabcdef);
  }

  /** A command of a random subscription id (commands need no stored subscription). */
  protected static EngineCommand command(
      String id, Instant createdAt, Instant expiresAt, EngineCommand.Kind kind, @Nullable String argument) {
    return new EngineCommand(id, "sub-" + id, kind, argument, createdAt, expiresAt, null);
  }


  /** A subscription (version 1, created and updated at {@code createdAt}) of {@link #fullSpec}. */
  protected static Subscription subscription(String id, Instant createdAt) {
    return new Subscription(id, fullSpec("orders-webhook"), "billing", 1, createdAt, createdAt);
  }

  /** The signing secret of {@link #fullSpec}: {@code whsec_} and base64 of 32 random bytes. */
  protected static final String SIGNING_SECRET = newSigningSecret();

  private static String newSigningSecret() {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    return "whsec_" + Base64.getEncoder().encodeToString(secret);
  }

  /** A spec with every optional feature set. */
  protected static SubscriptionSpec fullSpec(String name) {
    return SubscriptionSpec.builder()
        .name(name)
        .active(true)
        .webhookUrl("https://hooks.example.com/orders?token=abc123")
        .header("Authorization", "Bearer s3cr3t-token")
        .header("X-Tenant", "eu-1")
        .signingSecret(SIGNING_SECRET)
        .source("orders", "value.amount > `100`", "value.region == 'eu'")
        .source("refunds")
        .source("invoices.eu", "key != `null`")
        .maxBatchSize(250)
        .maxBatchInterval(Duration.ofSeconds(5))
        .maxRetries(7)
        .retryAlgorithm(RetryAlgorithm.FIXED_TIME)
        .retryInitialDelay(Duration.ofMillis(1500))
        .retryMaxDelay(Duration.ofSeconds(90))
        .alertEmails(List.of("ops@example.com", "billing-team@example.com"))
        .rateLimit(2.5)
        .build();
  }

  /** A health snapshot with every field set. */
  protected static HealthDetails fullHealth() {
    return new HealthDetails(
        Health.UNHEALTHY,
        T0.plusSeconds(10),
        T0,
        T0.plusSeconds(9),
        4,
        503,
        "HTTP 503 Service Unavailable",
        1234,
        17,
        "unhealthy alert sent to 2 recipients",
        T0.plusSeconds(11),
        true);
  }

  /** An {@code api_call} activity event with every field set. */
  protected static ActivityEvent apiCall(Instant at, int status) {
    return new ActivityEvent(
        at,
        ActivityEvent.Type.API_CALL,
        "POST https://hooks.example.com/orders?token=****",
        List.of("Content-Type: application/json", "Authorization: ****"),
        status,
        "{\"ok\":" + (status < 300) + "}",
        List.of("content-type: application/json"),
        status < 300 ? null : "HTTP " + status,
        25,
        42L);
  }
}
