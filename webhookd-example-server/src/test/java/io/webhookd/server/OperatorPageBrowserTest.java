package io.webhookd.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.webhookd.testkit.KafkaCluster;
import io.webhookd.testkit.KafkaExtension;
import io.webhookd.testkit.WebhookReceiver;
import io.webhookd.testsupport.Chromium;
import io.webhookd.testsupport.RequiresChromium;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.UnexpectedAlertBehaviour;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The operator web page in a real headless browser (Debian's chromium and chromedriver, driven by
 * Selenium; nothing is downloaded). One server and one browser for the whole class: each test
 * signs in afresh.
 *
 * <p>{@link RequiresChromium}: skipped with a line saying so where {@code /usr/bin/chromium} or
 * {@code /usr/bin/chromedriver} is missing, failed instead under {@code CI=true}; {@code .ci/run}
 * installs them.
 */
@RequiresChromium
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorPageBrowserTest {
  static final Path SCREENSHOTS = Path.of("target", "screenshots");
  static final Duration WAIT = Duration.ofSeconds(60);
  static final String HOSTILE = "<img src=x onerror=alert(1)>";
  /** Runs before any script of every page: records each dialog a script asks for instead of showing it. */
  static final String DIALOG_TRAP =
      """
      window.__dialogs = [];
      for (const name of ['alert', 'confirm', 'prompt', 'print']) {
        window[name] = function (...args) { window.__dialogs.push(name + '(' + args.join(',') + ')'); return null; };
      }
      """;

  @TempDir static Path dir;
  static KafkaCluster kafka;
  static TestServer server;
  static WebhookReceiver ok;
  static WebhookReceiver failing;
  /** Answers 400 to a batch with a message {"poison": true} until poisonFixed. */
  static WebhookReceiver poison;
  static final java.util.concurrent.atomic.AtomicBoolean poisonFixed = new java.util.concurrent.atomic.AtomicBoolean();
  static ChromeDriver browser;
  static String healthyId;
  static String unhealthyId;
  static String inactiveId;
  static String pausableId;
  static String auditTopic;
  static String hostileId;
  static String billingId;
  static String shippingId;

  @BeforeAll
  static void start(Chromium chromium) throws IOException {
    kafka = KafkaExtension.shared(1);
    server = TestServer.start(kafka, dir.resolve("data"), RestApiTest.clientsFile(dir));
    ok = WebhookReceiver.start();
    poison = WebhookReceiver.start();
    poison.respondWith(
        (n, request) -> !poisonFixed.get() && request.messages().stream().anyMatch(m -> m.value().path("poison").asBoolean())
            ? WebhookReceiver.Response.status(400).withBody("amount is not a number")
            : WebhookReceiver.Response.ok());
    failing = WebhookReceiver.start();
    failing.respondWith(
        (n, request) -> WebhookReceiver.Response.status(503).withBody("ledger is down for maintenance"));

    String orders = topic("orders-");
    String payments = topic("payments-");
    String shipments = topic("shipments-");
    healthyId = create(ServerKeys.ADMIN, doc("orders to warehouse", ok.url() + "?token=url-secret-123", orders));
    ObjectNode flaky = doc("payments to ledger", failing.url().toString(), payments);
    ((ObjectNode) flaky.at("/configuration/retry")).put("initial_delay_ms", 100).put("max_delay_ms", 1000);
    ((ObjectNode) flaky.at("/configuration")).put("ordering", "key").put("max_in_flight", 8);
    unhealthyId = create(ServerKeys.ADMIN, flaky);
    inactiveId = create(ServerKeys.ADMIN, doc("archive (paused)", ok.url().toString(), orders).put("active", "no"));
    auditTopic = topic("audit-");
    // two headers of one name each: Pause and Resume PUT the masked document back (issue 13)
    ObjectNode audit = doc("audit feed", ok.url("/audit") + "?token=audit-url-secret", auditTopic);
    ((ObjectNode) audit.at("/destination/webhook")).putArray("headers")
        .add("X-Api-Key: FIRST").add("X-Api-Key: SECOND").add("Authorization: Bearer ONE").add("authorization: Basic TWO");
    pausableId = create(ServerKeys.ADMIN, audit);
    billingId = create(RestApiTest.BILLING, doc("billing orders", ok.url().toString(), orders));
    hostileId = create(RestApiTest.BILLING, doc(HOSTILE, ok.url().toString(), orders));
    shippingId = create(RestApiTest.SHIPPING, doc("shipping labels", ok.url().toString(), shipments));
    produce(orders, "{\"region\":\"eu\",\"amount\":120}", "{\"region\":\"eu\",\"amount\":80}");
    produce(payments, "{\"amount\":5}");

    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.binary().toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--window-size=1280,900",
        "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium-profile")));
    // a dialog left open must not be dismissed silently: the hostile-name test looks for one
    options.setUnhandledPromptBehaviour(UnexpectedAlertBehaviour.IGNORE);
    options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(chromium.driver().toFile())
            .usingAnyFreePort()
            .build();
    browser = new ChromeDriver(service, options);
    browser.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", DIALOG_TRAP));
    Files.createDirectories(SCREENSHOTS);
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (server != null) {
      server.close();
    }
    if (ok != null) {
      ok.close();
    }
    if (failing != null) {
      failing.close();
    }
    if (poison != null) {
      poison.close();
    }
  }

  /** No script error and no Content-Security-Policy violation in any test. */
  @AfterEach
  void noScriptErrors() {
    List<String> problems = new ArrayList<>();
    for (LogEntry e : browser.manage().logs().get(LogType.BROWSER)) {
      String m = e.getMessage();
      if (m.contains("Content Security Policy") || m.contains("Uncaught") || m.contains("TypeError")
          || m.contains("SyntaxError") || m.contains("ReferenceError")) {
        problems.add(m);
      }
    }
    assertThat(problems).as("browser console").isEmpty();
    assertThat(dialogs()).as("dialogs a script asked for").isEmpty();
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  @Order(1)
  @DisplayName("admin: healthy, unhealthy (503) and inactive subscriptions show their states; the unhealthy one's page shows the 503")
  void adminSeesEveryStateAndTheFailingCall() throws IOException {
    signIn(ServerKeys.ADMIN);
    // the page refreshes by itself: the 503s turn the payments subscription unhealthy without a reload
    waitFor(d -> health(healthyId).equals("healthy") && health(unhealthyId).equals("unhealthy")
        && health(inactiveId).equals("inactive"));
    waitFor(d -> !cell(healthyId, "Delivered").equals("0"));
    assertThat(ids()).contains(healthyId, unhealthyId, inactiveId, billingId, hostileId, shippingId);
    assertThat(cell(healthyId, "Destination")).contains("token=****").doesNotContain("url-secret-123");
    assertThat(cell(healthyId, "Last success")).endsWith("ago");
    assertThat(cell(unhealthyId, "Last success")).isEqualTo("never");
    assertThat(cell(unhealthyId, "Failed")).isNotEqualTo("0");
    waitFor(d -> cell(healthyId, "Consumer lag").matches("[0-9,]+"));
    assertThat(text()).doesNotContain("url-secret-123").doesNotContain("receiver-secret");
    screenshot("list.png");

    // filter by health, then search by name
    new Select(browser.findElement(By.id("health-filter"))).selectByValue("unhealthy");
    waitFor(d -> ids().equals(List.of(unhealthyId)));
    new Select(browser.findElement(By.id("health-filter"))).selectByValue("");
    browser.findElement(By.id("search")).sendKeys("WAREHOUSE");
    waitFor(d -> ids().equals(List.of(healthyId)));
    browser.findElement(By.id("search")).clear();
    browser.findElement(By.id("search")).sendKeys("no such name");
    waitFor(d -> ids().isEmpty() && browser.findElement(By.id("empty")).isDisplayed());

    browser.get(server.base + "/ui/#/subscriptions/" + unhealthyId);
    waitFor(d -> browser.findElement(By.id("subscription-title")).getText().equals("payments to ledger"));
    waitFor(d -> browser.findElement(By.id("activity")).getText().contains("503"));
    assertThat(browser.findElement(By.id("activity")).getText()).contains("ledger is down for maintenance");
    assertThat(browser.findElement(By.id("subscription-health")).getText()).isEqualTo("unhealthy");
    assertThat(browser.findElements(By.cssSelector("#chart-counts svg rect.bar-failed"))).isNotEmpty();
    assertThat(browser.findElement(By.id("chart-latency")).getText()).contains("Delivery latency");
    assertThat(browser.findElement(By.id("configuration")).getText())
        .contains("Authorization: ****")
        .contains("whsec_****")
        .contains(unhealthyId)
        .contains("Ordering")
        .contains("by key (batches whose keys differ in flight together")
        .contains("up to 8 batches in flight");
    fullPageScreenshot("subscription.png");

    browser.get(server.base + "/ui/#/subscriptions/" + healthyId);
    waitFor(d -> browser.findElements(By.cssSelector("#chart-counts svg rect.bar-ok")).size() > 0);
    waitFor(d -> browser.findElement(By.id("activity")).getText().contains("200"));
    assertThat(text()).doesNotContain("url-secret-123");
    assertThat(browser.findElement(By.id("configuration")).getText()).contains("by partition (one batch of a partition in flight at a time), up to 16 batches in flight");
    String engine = server.get("/1/Engines", ServerKeys.ADMIN).json().get(0).get("id").asText();
    waitFor(d -> browser.findElement(By.id("subscription-engines")).getText().equals(engine));
    fullPageScreenshot("subscription-healthy.png");

    // the System page lists the engines, with how many subscriptions each runs
    browser.get(server.base + "/ui/#/system");
    waitFor(d -> !browser.findElements(By.cssSelector("#system-engines tr[data-engine]")).isEmpty());
    assertThat(browser.findElement(By.cssSelector("#system-engines tr[data-engine] td[data-label='Engine']")).getText()).isEqualTo(engine);
    // the count is the engine's last heartbeat (every 5 s), which may predate its subscriptions; the page refreshes
    waitFor(d -> browser.findElement(By.cssSelector("#system-engines tr[data-engine] td[data-label='Subscriptions']"))
        .getText().matches("[1-9][0-9]*"));
  }

  @Test
  @Order(2)
  @DisplayName("client: only its own subscriptions; another client's id typed into the URL shows not found")
  void clientSeesOnlyItsOwn() {
    signIn(RestApiTest.BILLING);
    waitFor(d -> ids().size() == 2);
    assertThat(ids()).containsExactlyInAnyOrder(billingId, hostileId);
    assertThat(browser.findElement(By.id("nav-system")).isDisplayed()).isFalse();
    assertThat(browser.findElement(By.id("who")).getText()).contains("client key");

    browser.get(server.base + "/ui/#/subscriptions/" + shippingId);
    waitFor(d -> browser.findElement(By.id("not-found")).isDisplayed());
    assertThat(browser.findElement(By.id("not-found")).getText()).startsWith("Not found").contains("404");
    assertThat(browser.findElement(By.id("subscription-title")).getText()).isEqualTo("Subscription not found");
    assertThat(text()).doesNotContain("shipping labels");

    // an id that is no id at all: not found too, shown as text
    browser.get(server.base + "/ui/#/subscriptions/" + "..%2F..%2F%3Cb%3Ex");
    waitFor(d -> browser.findElement(By.id("not-found")).isDisplayed());
    assertThat(browser.findElement(By.id("not-found")).getText()).contains("../../<b>x");

    // and the admin's System page is not for a client
    browser.get(server.base + "/ui/#/system");
    waitFor(d -> text().contains("This page is for the admin key only."));
  }

  @Test
  @Order(3)
  @DisplayName("a subscription named <img src=x onerror=alert(1)> is shown as text and runs no script")
  void hostileNameIsText() {
    signIn(RestApiTest.BILLING);
    waitFor(d -> ids().contains(hostileId));
    WebElement link = browser.findElement(By.cssSelector("a[data-id='" + hostileId + "']"));
    assertThat(link.getText()).isEqualTo(HOSTILE);
    link.click();
    waitFor(d -> browser.findElement(By.id("subscription-title")).getText().equals(HOSTILE));
    waitForRefreshes(2);
    assertThat(browser.findElements(By.tagName("img"))).isEmpty();
    assertThat(dialogs()).isEmpty();
    assertThatThrownBy(() -> browser.switchTo().alert()).isInstanceOf(NoAlertPresentException.class);
  }

  @Test
  @Order(4)
  @DisplayName("pause and resume from the subscription's page change its active flag in the API, and keep every secret")
  void pauseAndResume() {
    signIn(ServerKeys.ADMIN);
    browser.get(server.base + "/ui/#/subscriptions/" + pausableId);
    waitFor(d -> browser.findElement(By.id("toggle-active")).getText().equals("Pause deliveries"));
    browser.findElement(By.id("toggle-active")).click();
    await().atMost(WAIT).until(() -> active(pausableId).equals("no"));
    waitFor(d -> browser.findElement(By.id("toggle-active")).getText().equals("Resume deliveries"));
    waitFor(d -> browser.findElement(By.id("subscription-health")).getText().equals("inactive"));
    browser.findElement(By.id("toggle-active")).click();
    await().atMost(WAIT).until(() -> active(pausableId).equals("yes"));
    waitFor(d -> browser.findElement(By.id("toggle-active")).getText().equals("Pause deliveries"));

    // the page sent back masked values: each maps back to its own header, none to the first
    produce(auditTopic, "{\"amount\":1}");
    await().atMost(WAIT).until(() -> ok.requests().stream().anyMatch(r -> r.path().equals("/audit")));
    var request = ok.requests().stream().filter(r -> r.path().equals("/audit")).findFirst().orElseThrow();
    assertThat(request.headers().get("x-api-key")).containsExactly("FIRST", "SECOND");
    assertThat(request.headers().get("authorization")).containsExactly("Bearer ONE", "Basic TWO");
    assertThat(text()).doesNotContain("audit-url-secret").doesNotContain("SECOND");
  }

  @Test
  @Order(5)
  @DisplayName("the key is kept in session storage, never in the URL; a wrong key is refused plainly; sign-out forgets it")
  void signInAndOut() {
    browser.get(server.base + "/ui/");
    browser.executeScript("sessionStorage.clear()");
    browser.navigate().refresh();
    WebElement key = waitForElement("api-key");
    key.sendKeys("not-a-key" + Keys.ENTER);
    waitFor(d -> browser.findElement(By.id("sign-in-status")).getText().contains("401"));
    assertThat(browser.findElement(By.id("sign-in-status")).getText()).contains("not accepted").contains("not valid");

    signIn(ServerKeys.ADMIN);
    assertThat(browser.getCurrentUrl()).doesNotContain(ServerKeys.ADMIN);
    assertThat(browser.executeScript("return sessionStorage.getItem('webhookd.apiKey')")).isEqualTo(ServerKeys.ADMIN);
    assertThat(browser.executeScript("return localStorage.length")).isEqualTo(0L);
    assertThat(browser.executeScript("return document.cookie")).isEqualTo("");
    browser.findElement(By.id("sign-out")).click();
    waitForElement("api-key");
    assertThat(browser.executeScript("return sessionStorage.getItem('webhookd.apiKey')")).isNull();
    assertThat(browser.findElement(By.id("sign-out")).isDisplayed()).isFalse();
  }

  @Test
  @Order(6)
  @DisplayName("keyboard only: Tab reaches sign-out, search, filter and the first subscription in order, with a visible focus ring")
  void worksWithTheKeyboard() {
    signIn(ServerKeys.ADMIN);
    waitFor(d -> !ids().isEmpty());
    browser.executeScript("document.querySelector('.brand').focus()");
    List<String> order = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      browser.switchTo().activeElement().sendKeys(Keys.TAB);
      order.add(describe(browser.switchTo().activeElement()));
    }
    assertThat(order).containsSubsequence("a#/", "a#/system", "button#sign-out", "input#search", "select#health-filter");
    assertThat(order.get(order.indexOf("select#health-filter") + 1)).startsWith("a#/subscriptions/");
    Object outline = browser.executeScript("return getComputedStyle(document.activeElement).outlineStyle");
    assertThat(outline).isEqualTo("solid");
    // Enter on the focused link opens the subscription
    browser.switchTo().activeElement().sendKeys(Keys.ENTER);
    waitFor(d -> browser.getCurrentUrl().contains("#/subscriptions/"));
    waitFor(d -> browser.findElement(By.id("toggle-active")).isDisplayed());
  }

  @Test
  @Order(7)
  @DisplayName("phone width: the list fits the screen without sideways scrolling")
  void readableOnAPhone() throws IOException {
    Dimension laptop = browser.manage().window().getSize();
    try {
      browser.manage().window().setSize(new Dimension(390, 844));
      signIn(ServerKeys.ADMIN);
      waitFor(d -> health(unhealthyId).equals("unhealthy"));
      assertThat(browser.executeScript("return document.documentElement.scrollWidth <= window.innerWidth")).isEqualTo(true);
      screenshot("list-phone.png");
      browser.get(server.base + "/ui/#/subscriptions/" + unhealthyId);
      waitFor(d -> browser.findElement(By.id("activity")).getText().contains("503"));
      assertThat(browser.executeScript("return document.documentElement.scrollWidth <= window.innerWidth")).isEqualTo(true);
      screenshot("subscription-phone.png");
    } finally {
      browser.manage().window().setSize(laptop);
    }
  }

  @Test
  @Order(8)
  @DisplayName("admin: take offline and bring online from the page, each after a confirmation, change what the API reports")
  void offlineAndOnlineFromThePage() throws IOException {
    try {
      signIn(ServerKeys.ADMIN);
      browser.findElement(By.id("nav-system")).click();
      click("take-offline");
      WebElement dialog = browser.findElement(By.id("confirm"));
      waitFor(d -> dialog.isDisplayed());
      // cancelling, with the button or with Escape, changes nothing
      browser.findElement(By.id("confirm-cancel")).click();
      waitFor(d -> !dialog.isDisplayed());
      waitForElement("take-offline").sendKeys(Keys.ENTER);
      waitFor(d -> dialog.isDisplayed());
      browser.switchTo().activeElement().sendKeys(Keys.ESCAPE);
      waitFor(d -> !dialog.isDisplayed());
      assertThat(adminStatus().get("status").asText()).isEqualTo("online");

      click("take-offline");
      waitFor(d -> dialog.isDisplayed());
      browser.findElement(By.id("offline-message")).sendKeys("planned maintenance <b>now</b>");
      browser.findElement(By.id("confirm-ok")).click();
      await().atMost(WAIT).until(() -> adminStatus().get("status").asText().equals("offline"));
      assertThat(adminStatus().get("offline_message").asText()).isEqualTo("planned maintenance <b>now</b>");
      waitFor(d -> browser.findElement(By.id("system-online")).getText().equals("offline"));
      assertThat(browser.findElement(By.id("system-message")).getText()).isEqualTo("planned maintenance <b>now</b>");
      assertThat(browser.findElement(By.id("banner")).getText()).contains("All webhooks are offline.");
      screenshot("system-offline.png");

      click("bring-online");
      waitFor(d -> dialog.isDisplayed());
      browser.findElement(By.id("confirm-ok")).click();
      await().atMost(WAIT).until(() -> adminStatus().get("status").asText().equals("online"));
      waitFor(d -> browser.findElement(By.id("system-online")).getText().equals("online"));
      waitFor(d -> !browser.findElement(By.id("banner")).isDisplayed());
    } finally {
      server.post("/1/EventNotificationAdmin", ServerKeys.ADMIN, Map.of("status", "online"));
    }
  }


  @Test
  @Order(9)
  @DisplayName("dead letters on the subscription's page: listed with their record and failure; redeliver one, discard one after a confirmation, redeliver all")
  void deadLettersView() throws IOException {
    poisonFixed.set(false);
    String topic = topic("orders-");
    String id = create(ServerKeys.ADMIN, oneAtATime(doc("poisoned feed", poison.url().toString(), topic), "dead_letter"));
    produce(topic, "{\"n\":1,\"poison\":true}", "{\"n\":2,\"poison\":true}", "{\"n\":3,\"poison\":true}");
    signIn(ServerKeys.ADMIN);
    browser.get(server.base + "/ui/#/subscriptions/" + id);
    waitFor(d -> deadLetterIds().size() == 3);
    String table = browser.findElement(By.id("dead-letters")).getText();
    assertThat(table).contains(topic + "/0/0").contains("\"poison\":true").contains("HTTP 400").contains("amount is not a number");
    assertThat(browser.findElement(By.id("on-exhausted")).getText()).startsWith("dead_letter");
    assertThat(browser.findElement(By.id("ordering")).getText()).startsWith("partition");
    waitFor(d -> browser.findElement(By.id("activity")).getText().contains("dead_lettered"));
    fullPageScreenshot("dead-letters.png");

    poisonFixed.set(true);
    List<String> letters = deadLetterIds();
    click("redeliver-" + letters.get(0));
    waitFor(d -> deadLetterIds().equals(letters.subList(1, 3)));
    await().atMost(WAIT).until(() -> delivered(poison, topic).contains(0L));

    click("discard-" + letters.get(1));
    WebElement dialog = browser.findElement(By.id("confirm"));
    waitFor(d -> dialog.isDisplayed());
    browser.findElement(By.id("confirm-ok")).click();
    waitFor(d -> deadLetterIds().equals(List.of(letters.get(2))));
    assertThat(server.get("/1/Subscription/" + id + "/DeadLetters", ServerKeys.ADMIN).json().get("dead_letters")).hasSize(1);

    click("redeliver-all");
    waitFor(d -> deadLetterIds().isEmpty() && browser.findElement(By.id("dead-letters-summary")).getText().equals("None."));
    await().atMost(WAIT).until(() -> delivered(poison, topic).contains(2L));
    assertThat(delivered(poison, topic)).doesNotContain(1L);
    waitFor(d -> browser.findElement(By.id("activity")).getText().contains("redelivered"));
  }

  @Test
  @Order(10)
  @DisplayName("a failing batch: Skip (after a confirmation) moves it to the dead letters and delivery goes on; Send test shows the answer; Replay from a date and time delivers again")
  void skipTestAndReplay() throws IOException {
    poisonFixed.set(false);
    String topic = topic("orders-");
    String id = create(ServerKeys.ADMIN, oneAtATime(doc("stuck feed", poison.url().toString(), topic), "keep_retrying"));
    produce(topic, "{\"n\":1,\"poison\":true}");
    signIn(ServerKeys.ADMIN);
    browser.get(server.base + "/ui/#/subscriptions/" + id);
    waitFor(d -> d.findElement(By.id("on-exhausted")).getText().startsWith("keep_retrying"));
    waitFor(d -> !d.findElements(By.id("skip-batch")).isEmpty());
    String batch = browser.findElement(By.id("skip-batch")).getDomAttribute("data-batch");
    // the replay below starts at a whole second after the stuck message and before the next one
    long from = (System.currentTimeMillis() / 1000 + 1) * 1000;
    await().atMost(WAIT).until(() -> System.currentTimeMillis() > from);
    produce(topic, "{\"n\":2}");
    screenshot("failing-batch.png");

    click("skip-batch");
    WebElement dialog = browser.findElement(By.id("confirm"));
    waitFor(d -> dialog.isDisplayed());
    assertThat(browser.findElement(By.id("confirm-text")).getText()).contains(batch);
    browser.findElement(By.id("confirm-ok")).click();
    await().atMost(WAIT).until(() -> delivered(poison, topic).contains(1L));
    JsonNode letters = server.get("/1/Subscription/" + id + "/DeadLetters", ServerKeys.ADMIN).json().get("dead_letters");
    assertThat(letters).hasSize(1);
    assertThat(letters.get(0).get("batch_id").asText()).isEqualTo(batch);
    assertThat(letters.get(0).get("reason").asText()).isEqualTo("skipped");
    waitFor(d -> deadLetterIds().size() == 1 && d.findElements(By.id("skip-batch")).isEmpty());

    click("send-test");
    waitFor(d -> !d.findElements(By.id("test-result")).isEmpty());
    assertThat(browser.findElement(By.id("test-result")).getText()).contains("Test message delivered").contains("HTTP 200");
    await().atMost(WAIT).until(() -> poison.requests().stream()
        .anyMatch(r -> r.messages().stream().anyMatch(m -> m.topic().equals("webhookd.test"))));
    waitFor(d -> browser.findElement(By.id("activity")).getText().contains("test"));

    browser.executeScript(
        "const d = new Date(arguments[0]); const p = (x) => String(x).padStart(2, '0');"
            + "document.getElementById('replay-time').value = d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate())"
            + " + 'T' + p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds());",
        from);
    click("replay-submit");
    waitFor(d -> dialog.isDisplayed());
    browser.findElement(By.id("confirm-ok")).click();
    waitFor(d -> !d.findElements(By.id("replay-positions")).isEmpty());
    assertThat(browser.findElement(By.id("replay-positions")).getText()).contains(topic + "/0 offset 1");
    await().atMost(WAIT).until(() -> delivered(poison, topic).stream().filter(o -> o == 1L).count() == 2);
    assertThat(delivered(poison, topic)).doesNotContain(0L);
  }

  @Test
  @Order(11)
  @DisplayName("create and edit from the page: the filter shows its preview as you type, under the client's row filter, with a hint for a filter that can never match")
  void createAndEditWithAFilterPreview() {
    String topic = topic("orders-");
    produce(topic, "{\"region\":\"eu\",\"amount\":500}", "{\"region\":\"eu\",\"amount\":50}", "{\"region\":\"us\",\"amount\":900}");
    signIn(RestApiTest.BILLING);
    click("new-subscription");
    waitForElement("form-name").sendKeys("made in the page");
    browser.findElement(By.id("form-url")).sendKeys(ok.url().toString());
    browser.findElement(By.id("source-topic-0")).sendKeys(topic);
    browser.findElement(By.id("source-filters-0")).sendKeys("value.amount > `100`");
    // the client's row filter (region eu) is ANDed in: the us order of 900 is not shown
    waitFor(d -> d.findElement(By.id("filter-preview")).getText().contains("1 of 3 recent messages match"));
    browser.findElement(By.cssSelector("#filter-preview summary")).click();
    assertThat(browser.findElement(By.id("filter-preview")).getText()).contains("500").doesNotContain("900");

    WebElement filters = browser.findElement(By.id("source-filters-0"));
    filters.clear();
    filters.sendKeys("amount > `100`");
    waitFor(d -> d.findElement(By.id("filter-preview")).getText().contains("did you mean value.amount?"));
    assertThat(browser.findElement(By.id("filter-preview")).getText()).contains("0 of 3");

    WebElement topicField = browser.findElement(By.id("source-topic-0"));
    topicField.clear();
    topicField.sendKeys("shipments-x");
    waitFor(d -> d.findElement(By.id("filter-preview")).getText().contains("403"));

    topicField.clear();
    topicField.sendKeys(topic);
    filters.clear();
    filters.sendKeys("value.amount > `100`");
    waitFor(d -> d.findElement(By.id("filter-preview")).getText().contains("1 of 3"));
    new Select(browser.findElement(By.id("form-on-exhausted"))).selectByValue("dead_letter");
    new Select(browser.findElement(By.id("form-ordering"))).selectByValue("key");
    click("form-save");
    waitFor(d -> !d.findElements(By.id("created-secret")).isEmpty());
    assertThat(browser.findElement(By.id("created-secret")).getText()).contains("whsec_");
    String id = browser.getCurrentUrl().replaceAll(".*#/subscriptions/", "");
    JsonNode made = server.get("/1/Subscription/" + id, RestApiTest.BILLING).json();
    assertThat(made.get("name").asText()).isEqualTo("made in the page");
    assertThat(made.at("/source/0/jmes_filters/0").asText()).isEqualTo("value.amount > `100`");
    assertThat(made.at("/configuration/retry/on_exhausted").asText()).isEqualTo("dead_letter");
    assertThat(made.at("/configuration/ordering").asText()).isEqualTo("key");
    waitFor(d -> d.findElement(By.id("ordering")).getText().startsWith("key"));

    click("edit");
    waitFor(d -> d.findElement(By.id("form-name")).getDomProperty("value").equals("made in the page"));
    waitFor(d -> d.findElement(By.id("filter-preview")).getText().contains("1 of 3"));
    WebElement name = browser.findElement(By.id("form-name"));
    name.clear();
    name.sendKeys("renamed in the page");
    click("form-save");
    waitFor(d -> d.findElement(By.id("subscription-title")).getText().equals("renamed in the page"));
    JsonNode renamed = server.get("/1/Subscription/" + id, RestApiTest.BILLING).json();
    assertThat(renamed.get("version").asInt()).isEqualTo(2);
    assertThat(renamed.at("/configuration/ordering").asText()).isEqualTo("key");
    // the secret was shown once, at creation only
    assertThat(browser.findElements(By.id("created-secret"))).isEmpty();
  }
  // ---------------------------------------------------------------------------------------------

  static String topic(String prefix) {
    String t = prefix + UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopic(t, 1);
    return t;
  }

  static ObjectNode doc(String name, String url, String topic) {
    return Docs.subscription(name, url, topic);
  }

  /** One message a batch, no retries, then onExhausted. */
  static ObjectNode oneAtATime(ObjectNode doc, String onExhausted) {
    ((ObjectNode) doc.at("/configuration/batching")).put("max_batch_size", 1);
    ((ObjectNode) doc.at("/configuration/retry"))
        .put("max_retries", 0).put("initial_delay_ms", 200).put("max_delay_ms", 500).put("on_exhausted", onExhausted);
    return doc;
  }

  /** The offsets of the messages of this topic the receiver accepted, duplicates included. */
  static List<Long> delivered(WebhookReceiver receiver, String topic) {
    return receiver.deliveredMessages().stream().filter(m -> m.topic().equals(topic)).map(m -> m.offset()).toList();
  }

  /** The ids of the dead letters the page shows, in its order. */
  static List<String> deadLetterIds() {
    List<String> ids = new ArrayList<>();
    for (WebElement tr : browser.findElements(By.cssSelector("#dead-letters tr[data-id]"))) {
      ids.add(tr.getDomAttribute("data-id"));
    }
    return ids;
  }

  static String create(String key, ObjectNode doc) {
    TestServer.Answer a = server.post("/1/Subscription", key, doc);
    assertThat(a.status()).as(a.toString()).isEqualTo(201);
    return a.json().get("id").asText();
  }

  static void produce(String topic, String... values) {
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    for (String v : values) {
      records.add(new ProducerRecord<>(topic, "k", v.getBytes(StandardCharsets.UTF_8)));
    }
    kafka.produce(topic, records);
  }

  static JsonNode adminStatus() {
    return server.get("/1/EventNotificationAdmin", ServerKeys.ADMIN).json();
  }

  static String active(String id) {
    return server.get("/1/Subscription/" + id, ServerKeys.ADMIN).json().get("active").asText();
  }

  /** Opens the page with an empty session and signs in by typing the key and pressing Enter. */
  static void signIn(String key) {
    browser.get(server.base + "/ui/");
    browser.executeScript("sessionStorage.clear()");
    browser.get(server.base + "/ui/#/");
    browser.navigate().refresh();
    waitForElement("api-key").sendKeys(key + Keys.ENTER);
    waitFor(d -> browser.findElement(By.id("sign-out")).isDisplayed());
    waitFor(d -> browser.findElement(By.id("updated")).getText().startsWith("Updated"));
  }

  static void waitFor(Function<WebDriver, Boolean> condition) {
    new WebDriverWait(browser, WAIT)
        .pollingEvery(Duration.ofMillis(100))
        .ignoring(StaleElementReferenceException.class)
        .until(condition);
  }

  /** Clicks the element once it is shown; found again if the page re-rendered it meanwhile (a stale reference). */
  static void click(String id) {
    waitFor(d -> {
      WebElement e = d.findElement(By.id(id));
      if (!e.isDisplayed()) {
        return false;
      }
      e.click();
      return true;
    });
  }

  static WebElement waitForElement(String id) {
    waitFor(d -> !d.findElements(By.id(id)).isEmpty() && d.findElement(By.id(id)).isDisplayed());
    return browser.findElement(By.id(id));
  }

  /** Waits until the page has refreshed n more times by itself. */
  static void waitForRefreshes(int n) {
    for (int i = 0; i < n; i++) {
      String before = browser.findElement(By.id("updated")).getText();
      waitFor(d -> !d.findElement(By.id("updated")).getText().equals(before));
    }
  }

  /** The subscription ids the list shows now, in its order. */
  static List<String> ids() {
    List<String> ids = new ArrayList<>();
    for (WebElement a : browser.findElements(By.cssSelector("#subscriptions a[data-id]"))) {
      ids.add(a.getDomAttribute("data-id"));
    }
    return ids;
  }

  static String cell(String id, String label) {
    List<WebElement> cells =
        browser.findElements(By.xpath("//a[@data-id='" + id + "']/ancestor::tr/td[@data-label='" + label + "']"));
    return cells.isEmpty() ? "" : cells.get(0).getText();
  }

  static String health(String id) {
    return cell(id, "Health");
  }

  static String text() {
    return browser.findElement(By.tagName("body")).getText();
  }

  @SuppressWarnings("unchecked")
  static List<String> dialogs() {
    Object d = ((JavascriptExecutor) browser).executeScript("return window.__dialogs || []");
    return (List<String>) d;
  }

  static String describe(WebElement e) {
    String tag = e.getTagName();
    String id = e.getDomAttribute("id");
    String href = e.getDomAttribute("href");
    if (tag.equals("a") && href != null) {
      return "a" + href;
    }
    return tag + (id == null || id.isEmpty() ? "" : "#" + id);
  }

  static void screenshot(String name) throws IOException {
    Files.write(SCREENSHOTS.resolve(name), browser.getScreenshotAs(OutputType.BYTES));
  }

  /** A screenshot of the whole page: the window grows to the page's height for it. */
  static void fullPageScreenshot(String name) throws IOException {
    Dimension size = browser.manage().window().getSize();
    try {
      long height = (Long) browser.executeScript("return document.documentElement.scrollHeight");
      browser.manage().window().setSize(new Dimension(size.getWidth(), (int) Math.min(4000, height + 120)));
      screenshot(name);
    } finally {
      browser.manage().window().setSize(size);
    }
  }
}
