package io.webhookd.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.webhookd.OnlineState;
import io.webhookd.ConflictException;
import io.webhookd.NotFailingException;
import io.webhookd.Position;
import io.webhookd.Problem;
import io.webhookd.ReplayFrom;
import io.webhookd.Subscription;
import io.webhookd.json.SubscriptionJson;
import io.webhookd.SubscriptionNotFoundException;
import io.webhookd.SubscriptionSpec;
import io.webhookd.SubscriptionStatus;
import io.webhookd.TestDelivery;
import io.webhookd.ValidationException;
import io.webhookd.Webhookd;
import io.webhookd.WebhookdException;
import io.webhookd.internal.LogText;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The REST API of DESIGN.md on Javalin: routes, authentication and authorization, strict input,
 * and one error format for every answer that is not a success. Thread-safe once started.
 *
 * <p>Every failure is an {@link ApiError} (or a {@link ValidationException} from the codec)
 * turned into {@code {"error", "details"}}; Javalin's own 404/405/413 and Jetty's protocol errors
 * (431 for huge headers, 400 for malformed request lines) get the same shape. Anything else is a
 * bug: it is logged with an error id and answered 500 with only that id.
 *
 * <p>Every request to {@code /1/…} needs a key, whatever its method ({@code HEAD}, {@code OPTIONS}
 * and unknown ones too): a before-handler authenticates it before any route is matched. {@code
 * /metrics} needs the metrics key when one is configured. Text from a request that reaches the log
 * is escaped ({@link LogText}), so no input can forge a log line.
 *
 * <p>The same server serves the operator web page ({@link WebUi}) at {@code /ui/}, with {@code /}
 * redirecting there; those routes serve files, not the API, and are left out of {@link #ROUTES}.
 */
final class RestApi {
  private static final Logger log = LoggerFactory.getLogger(RestApi.class);
  private static final Logger access = LoggerFactory.getLogger("io.webhookd.server.access");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Pattern UUID_PATTERN =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final Pattern BEARER = Pattern.compile("(?i)bearer +(\\S+) *");
  private static final Pattern IF_MATCH = Pattern.compile("(?:W/)?\"([0-9]{1,18})\"");
  private static final String JSON_TYPE = "application/json";
  private static final String CALLER = "webhookd.caller";
  private static final String STARTED = "webhookd.started";

  /** The routes of the API, as {@code METHOD path}: the OpenAPI test compares them to the document. */
  static final List<String> ROUTES =
      List.of(
          "POST /1/Subscription",
          "GET /1/Subscription",
          "GET /1/Subscription/{id}",
          "PUT /1/Subscription/{id}",
          "DELETE /1/Subscription/{id}",
          "GET /1/Subscription/{id}/Status",
          "GET /1/Subscription/{id}/DeadLetters",
          "POST /1/Subscription/{id}/DeadLetters/Redeliver",
          "DELETE /1/Subscription/{id}/DeadLetters/{deadLetterId}",
          "POST /1/Subscription/{id}/Skip",
          "POST /1/Subscription/{id}/Replay",
          "POST /1/Subscription/{id}/Test",
          "POST /1/FilterPreview",
          "POST /1/EventNotificationAdmin",
          "GET /1/EventNotificationAdmin",
          "GET /1/Engines",
          "GET /health",
          "GET /health/live",
          "GET /metrics",
          "GET /openapi.json");

  private final Webhookd deliveries;
  private final AccessPolicy policy;
  private final Health health;
  private final MeterRegistry registry;
  private final Supplier<String> scrape;
  private final String instanceId;
  private final int maxBodyBytes;
  private final boolean deadLettersKept;
  private final byte @Nullable [] metricsKeyHash;
  /** One lock per client, so that two creates of one client cannot both pass its quota. */
  private final Map<String, Object> quotaLocks = new java.util.concurrent.ConcurrentHashMap<>();
  private final byte[] openApi;
  private final WebUi ui = new WebUi();
  private final Javalin app;
  private final List<String> registered = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Readiness of what the API depends on. */
  interface Health {
    /** Each dependency ("kafka", "database") and whether it is up; checked with a short timeout. */
    Map<String, Boolean> check();
  }

  RestApi(
      Webhookd deliveries,
      AccessPolicy policy,
      Health health,
      MeterRegistry registry,
      Supplier<String> scrape,
      String instanceId,
      int maxBodyBytes,
      @Nullable String metricsApiKey,
      boolean deadLettersKept) {
    this.deliveries = deliveries;
    this.deadLettersKept = deadLettersKept;
    this.metricsKeyHash = metricsApiKey == null ? null : ApiKeys.hash(metricsApiKey);
    this.policy = policy;
    this.health = health;
    this.registry = registry;
    this.scrape = scrape;
    this.instanceId = instanceId;
    this.maxBodyBytes = maxBodyBytes;
    this.openApi = loadOpenApi();
    this.app = Javalin.create(this::configure);
  }

  /** Starts listening; returns the bound port. */
  int start(String host, int port) {
    app.start(host, port);
    return app.port();
  }

  /** Stops taking requests and waits for the requests in progress. Idempotent. */
  void stop() {
    app.stop();
  }

  int port() {
    return app.port();
  }

  /** The routes Javalin registered, as {@code METHOD path}. */
  List<String> registeredRoutes() {
    return List.copyOf(registered);
  }

  private void configure(io.javalin.config.JavalinConfig config) {
    config.startup.showJavalinBanner = false;
    config.startup.showOldJavalinVersionWarning = false;
    config.http.prefer405over404 = true;
    config.http.maxRequestSize = maxBodyBytes;
    config.http.generateEtags = false;
    config.router.ignoreTrailingSlashes = true;
    config.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
    config.jetty.modifyHttpConfiguration(
        http -> {
          http.setSendServerVersion(false);
          http.setSendXPoweredBy(false);
          http.setRequestHeaderSize(16 * 1024);
        });

    config.events.handlerAdded(
        meta -> {
          String method = meta.getHttpMethod().name();
          if (!method.equals("BEFORE") && !method.equals("AFTER")
              && !method.equals("BEFORE_MATCHED") && !method.equals("AFTER_MATCHED")) {
            String route = method + " " + meta.getPath();
            // the web page's routes serve files, not the API: the OpenAPI document leaves them out
            if (!WebUi.ROUTES.contains(route)) {
              registered.add(route);
            }
          }
        });
    var routes = config.routes;
    routes.before(
        ctx -> {
          ctx.attribute(STARTED, System.nanoTime());
          ctx.header("Cache-Control", "no-store");
          ctx.header("X-Content-Type-Options", "nosniff");
        });
    routes.after(this::recordRequest);
    // before any route is matched: HEAD, OPTIONS and methods no route has need a key too
    routes.before("/1/*", this::authenticate);

    routes.post("/1/Subscription", this::create);
    routes.get("/1/Subscription", this::listSubscriptions);
    routes.get("/1/Subscription/{id}", this::getSubscription);
    routes.put("/1/Subscription/{id}", this::replace);
    routes.delete("/1/Subscription/{id}", this::delete);
    routes.get("/1/Subscription/{id}/Status", this::status);
    routes.get("/1/Subscription/{id}/DeadLetters", this::deadLetters);
    routes.post("/1/Subscription/{id}/DeadLetters/Redeliver", this::redeliver);
    routes.delete("/1/Subscription/{id}/DeadLetters/{deadLetterId}", this::discard);
    routes.post("/1/Subscription/{id}/Skip", this::skip);
    routes.post("/1/Subscription/{id}/Replay", this::replay);
    routes.post("/1/Subscription/{id}/Test", this::sendTest);
    routes.post("/1/FilterPreview", this::previewFilters);
    routes.post("/1/EventNotificationAdmin", this::setAdmin);
    routes.get("/1/EventNotificationAdmin", this::getAdmin);
    routes.get("/1/Engines", this::engines);
    routes.get("/health", this::readiness);
    routes.get("/health/live", ctx -> write(ctx, 200, NODES.objectNode().put("status", "UP")));
    routes.get("/metrics", this::metrics);
    routes.get(
        "/openapi.json", ctx -> ctx.status(200).contentType(JSON_TYPE).result(openApi));
    routes.get("/", ui::root);
    routes.get("/ui", ui::index);
    routes.get("/ui/{file}", ui::file);

    routes.exception(ApiError.class, (e, ctx) -> writeError(ctx, e.status(), e.getMessage(), e.details(), e.headers()));
    routes.exception(
        ValidationException.class,
        (e, ctx) -> write(ctx, 400, SubscriptionJson.toJson(e)));
    routes.exception(HttpResponseException.class, this::javalinError);
    routes.exception(WebhookdException.class, this::unavailable);
    routes.exception(Exception.class, this::unexpected);
  }

  /**
   * The engine's own failures that are not the caller's fault, chiefly a database that cannot be
   * reached: 503 with Retry-After, the details only in the log.
   */
  private void unavailable(WebhookdException e, Context ctx) {
    String errorId = UUID.randomUUID().toString();
    log.warn("error {}: {} {} failed: {}", errorId, ctx.method(), printable(shorten(ctx.path())), e.toString());
    ObjectNode body = errorBody("service unavailable (" + errorId + "): webhookd cannot complete this request right now, for example because its database is unreachable; try again", List.of());
    body.put("error_id", errorId);
    ctx.header("Retry-After", "5");
    write(ctx, 503, body);
  }

  // ---------------------------------------------------------------------------------------------
  // Handlers

  private void create(Context ctx) {
    AccessPolicy.Caller caller = authenticate(ctx);
    byte[] body = jsonBody(ctx);
    SubscriptionSpec spec = SubscriptionJson.parse(body);
    authorizeTopics(caller, spec);
    String fullSecret = spec.destination().signingSecret();
    if (fullSecret == null) {
      fullSecret = ApiKeys.newSigningSecret();
      spec = spec.toBuilder().signingSecret(fullSecret).build();
    }
    Subscription s = caller.isAdmin() ? deliveries.subscribe(spec, null) : subscribeWithinQuota(caller, spec);
    MDC.put("subscription_id", s.id());
    log.info("{} registered subscription {} ({}) on topics {}", caller, s.id(), LogText.escape(s.spec().name()), s.spec().topics());
    ObjectNode out = SubscriptionJson.toJson(s, true);
    // the one time the secret is shown in full: the caller needs it to verify signatures
    ((ObjectNode) out.path("destination").path("webhook")).put("signing_secret", fullSecret);
    ctx.header("Location", "/1/Subscription/" + s.id());
    ctx.header("ETag", etag(s));
    write(ctx, 201, out);
  }

  /**
   * Registers a client's subscription unless the client owns its {@code max_subscriptions}
   * already. Creates of one client are serialized on this server, so two at once cannot both
   * pass; servers sharing a database check again after the create and undo theirs when another
   * server's create took the last place (both may undo: the quota is never exceeded).
   */
  private Subscription subscribeWithinQuota(AccessPolicy.Caller caller, SubscriptionSpec spec) {
    String owner = caller.owner();
    int max = caller.maxSubscriptions();
    Subscription s;
    synchronized (quotaLocks.computeIfAbsent(owner, k -> new Object())) {
      long owned = owned(owner);
      if (owned >= max) {
        throw overQuota(caller, owned);
      }
      s = deliveries.subscribe(spec, owner);
    }
    long owned = owned(owner);
    if (owned > max) {
      deliveries.unsubscribe(s.id());
      throw overQuota(caller, owned - 1);
    }
    return s;
  }

  private long owned(String owner) {
    return deliveries.list().stream().filter(x -> owner.equals(x.owner())).count();
  }

  private static ApiError overQuota(AccessPolicy.Caller caller, long owned) {
    int max = caller.maxSubscriptions();
    return new ApiError(
        403,
        "client " + caller.client().name() + " has reached its quota of " + max + " subscription"
            + (max == 1 ? "" : "s") + " (max_subscriptions): delete one, or ask the admin to raise"
            + " max_subscriptions in the clients file",
        List.of(new Problem("max_subscriptions", "is " + max + ", and the client owns " + owned)),
        Map.of());
  }

  private void listSubscriptions(Context ctx) {
    AccessPolicy.Caller caller = authenticate(ctx);
    ArrayNode out = NODES.arrayNode();
    for (Subscription s : deliveries.list()) {
      if (caller.owns(s.owner())) {
        out.add(SubscriptionJson.toJson(s, true));
      }
    }
    write(ctx, 200, out);
  }

  private void getSubscription(Context ctx) {
    AccessPolicy.Caller caller = authenticate(ctx);
    Subscription s = visible(caller, ctx.pathParam("id"));
    ctx.header("ETag", etag(s));
    write(ctx, 200, SubscriptionJson.toJson(s, true));
  }

  private void replace(Context ctx) {
    AccessPolicy.Caller caller = authenticate(ctx);
    Subscription current = visible(caller, ctx.pathParam("id"));
    long expected = ifMatch(ctx);
    byte[] body = jsonBody(ctx);
    SubscriptionSpec spec = SubscriptionJson.parse(body, current.spec());
    authorizeTopics(caller, spec);
    if (spec.destination().signingSecret() == null && current.spec().destination().signingSecret() != null) {
      // a replacement without a secret keeps the one the client already verifies with
      spec = spec.toBuilder().signingSecret(current.spec().destination().signingSecret()).build();
    }
    Subscription updated;
    try {
      updated = deliveries.update(current.id(), spec, expected);
    } catch (ConflictException e) {
      if (expected >= 0) {
        throw new ApiError(
            412,
            "the subscription has changed since version " + e.expectedVersion()
                + "; it is now at version " + e.actualVersion() + ": read it again and reapply your change",
            List.of(new Problem("If-Match", "was \"" + e.expectedVersion() + "\", the current version is \"" + e.actualVersion() + "\"")),
            Map.of("ETag", "\"" + e.actualVersion() + "\""));
      }
      throw new ApiError(
          409,
          "the subscription was changed concurrently: read it again and reapply your change",
          List.of(),
          Map.of("ETag", "\"" + e.actualVersion() + "\""));
    } catch (SubscriptionNotFoundException e) {
      throw notFound(current.id());
    }
    MDC.put("subscription_id", updated.id());
    log.info("{} replaced subscription {} (version {})", caller, updated.id(), updated.version());
    ctx.header("ETag", etag(updated));
    write(ctx, 200, SubscriptionJson.toJson(updated, true));
  }

  private void delete(Context ctx) {
    AccessPolicy.Caller caller = authenticate(ctx);
    Subscription s = visible(caller, ctx.pathParam("id"));
    if (!deliveries.unsubscribe(s.id())) {
      throw notFound(s.id());
    }
    MDC.put("subscription_id", s.id());
    log.info("{} deleted subscription {}", caller, s.id());
    ctx.status(204);
  }

  private void status(Context ctx) {
    AccessPolicy.Caller caller = authenticate(ctx);
    Subscription s = visible(caller, ctx.pathParam("id"));
    SubscriptionStatus status = deliveries.status(s.id()).orElseThrow(() -> notFound(s.id()));
    write(ctx, 200, SubscriptionJson.toJson(status));
  }

  // ---------------------------------------------------------------------------------------------
  // Day-2 operations (issue 15): the subscription's owner or the admin, like the other
  // subscription endpoints; another client's subscription is a 404 as for one that does not exist.

  private void deadLetters(Context ctx) {
    AccessPolicy.Caller caller = authenticate(ctx);
    Subscription s = visible(caller, ctx.pathParam("id"));
    List<Problem> problems = new ArrayList<>();
    int limit = 100;
    String rawLimit = ctx.queryParam("limit");
    if (rawLimit != null) {
      try {
        limit = Integer.parseInt(rawLimit.trim());
        if (limit < 1 || limit > 1000) {
          problems.add(new Problem("limit", "must be between 1 and 1000, was " + limit));
        }
      } catch (NumberFormatException e) {
        problems.add(new Problem("limit", "must be an integer between 1 and 1000, was \"" + printable(shorten(rawLimit)) + "\""));
      }
    }
    String after = ctx.queryParam("after");
    if (after != null && (after.isEmpty() || after.length() > DayTwoJson.MAX_ID_LENGTH || after.chars().anyMatch(c -> c < 0x20 || c == 0x7f))) {
      problems.add(new Problem("after", "must be the next cursor of the previous page (at most " + DayTwoJson.MAX_ID_LENGTH
          + " printable characters), was \"" + printable(shorten(after)) + "\""));
    }
    if (!problems.isEmpty()) {
      throw new ValidationException(problems);
    }
    requireDeadLetters();
    write(ctx, 200, DayTwoJson.toJson(deliveries.deadLetters(s.id(), after, limit)));
  }

  private void redeliver(Context ctx) {
    AccessPolicy.Caller caller = authenticate(ctx);
    Subscription s = visible(caller, ctx.pathParam("id"));
    List<String> ids = DayTwoJson.parseRedeliver(SubscriptionJson.readTree(jsonBody(ctx)));
    requireDeadLetters();
    int n = deliveries.redeliver(s.id(), ids, who(caller));
    log.info("{} asked to redeliver {} dead letter(s) of subscription {}", caller, n, s.id());
    write(ctx, 202, DayTwoJson.redelivering(n));
  }

  private void discard(Context ctx) {
    AccessPolicy.Caller caller = authenticate(ctx);
    Subscription s = visible(caller, ctx.pathParam("id"));
    String deadLetterId = ctx.pathParam("deadLetterId");
    if (deadLetterId.length() > DayTwoJson.MAX_ID_LENGTH) {
      throw ApiError.notFound("no dead letter with id " + printable(shorten(deadLetterId)) + " in subscription " + s.id());
    }
    requireDeadLetters();
    if (!deliveries.discardDeadLetter(s.id(), deadLetterId, who(caller))) {
      throw ApiError.notFound("no dead letter with id " + printable(deadLetterId) + " in subscription " + s.id());
    }
    log.info("{} discarded dead letter {} of subscription {}", caller, printable(deadLetterId), s.id());
    ctx.status(204);
  }

  private void skip(Context ctx) {
    AccessPolicy.Caller caller = authenticate(ctx);
    Subscription s = visible(caller, ctx.pathParam("id"));
    String batchId = DayTwoJson.parseSkip(SubscriptionJson.readTree(jsonBody(ctx)));
    requireDeadLetters();
    try {
      deliveries.skip(s.id(), batchId, who(caller));
    } catch (NotFailingException e) {
      throw new ApiError(
          409,
          "batch " + printable(batchId) + " is not failing now: it was delivered, is not known, or no engine holds it;"
              + " read the batch_id of the latest failing api_call in the Status's recent_activity",
          List.of(new Problem("batch_id", "is not a failing batch of subscription " + s.id() + ", was \"" + printable(batchId) + "\"")),
          Map.of());
    }
    log.info("{} skipped batch {} of subscription {}", caller, printable(batchId), s.id());
    write(ctx, 200, DayTwoJson.skipped(batchId));
  }

  private void replay(Context ctx) {
    AccessPolicy.Caller caller = authenticate(ctx);
    Subscription s = visible(caller, ctx.pathParam("id"));
    ReplayFrom from = DayTwoJson.parseReplay(SubscriptionJson.readTree(jsonBody(ctx)));
    List<Position> positions = deliveries.replay(s.id(), from, who(caller));
    log.info("{} replayed subscription {}: {}", caller, s.id(), positions);
    write(ctx, 202, DayTwoJson.positions(positions));
  }

  private void sendTest(Context ctx) {
    AccessPolicy.Caller caller = authenticate(ctx);
    Subscription s = visible(caller, ctx.pathParam("id"));
    TestDelivery result = deliveries.sendTest(s.id(), who(caller));
    log.info("{} sent a test message to subscription {}: {}", caller, s.id(),
        result.statusCode() == null ? "no response" : "HTTP " + result.statusCode());
    write(ctx, 200, DayTwoJson.toJson(result));
  }

  private void previewFilters(Context ctx) {
    AccessPolicy.Caller caller = authenticate(ctx);
    DayTwoJson.PreviewRequest request = DayTwoJson.parsePreview(SubscriptionJson.readTree(jsonBody(ctx)));
    authorizeTopics(caller, request.sources());
    // the caller's row filters are ANDed in by the engine: a preview shows only what it could receive
    write(ctx, 200, DayTwoJson.toJson(deliveries.previewFilters(request.sources(), request.limit(), caller.owner())));
  }

  /** Who asked, as the activity records it: the client's name, or "admin". */
  private static String who(AccessPolicy.Caller caller) {
    return caller.isAdmin() ? "admin" : caller.client().name();
  }

  private void requireDeadLetters() {
    if (!deadLettersKept) {
      throw new ApiError(
          501,
          "this server's store keeps no dead letters: dead letters and skip need a store that keeps them",
          List.of(),
          Map.of());
    }
  }

  private void setAdmin(Context ctx) {
    requireAdmin(authenticate(ctx));
    byte[] body = jsonBody(ctx);
    OnlineState requested = SubscriptionJson.parseAdminState(body, Instant.now());
    deliveries.setOnline(requested.online(), requested.offlineMessage());
    log.info(
        "admin took every webhook {}{}",
        requested.online() ? "online" : "offline",
        requested.offlineMessage().isEmpty() ? "" : " (" + LogText.escape(requested.offlineMessage()) + ")");
    write(ctx, 200, SubscriptionJson.toJson(deliveries.adminStatus(), instanceId));
  }

  private void getAdmin(Context ctx) {
    requireAdmin(authenticate(ctx));
    write(ctx, 200, SubscriptionJson.toJson(deliveries.adminStatus(), instanceId));
  }

  /** The engines sharing this server's store, with how many subscriptions each runs: for admins. */
  private void engines(Context ctx) {
    requireAdmin(authenticate(ctx));
    write(ctx, 200, SubscriptionJson.toJson(deliveries.engines()));
  }

  private void readiness(Context ctx) {
    Map<String, Boolean> checks = health.check();
    boolean up = checks.values().stream().allMatch(Boolean::booleanValue);
    ObjectNode out = NODES.objectNode().put("status", up ? "UP" : "DOWN");
    ObjectNode c = out.putObject("checks");
    checks.forEach((k, v) -> c.put(k, v ? "UP" : "DOWN"));
    write(ctx, up ? 200 : 503, out);
  }

  private void metrics(Context ctx) {
    if (metricsKeyHash != null) {
      String header = ctx.header("Authorization");
      Matcher m = header == null ? null : BEARER.matcher(header);
      if (m == null || !m.matches() || !ApiKeys.matches(ApiKeys.hash(m.group(1)), metricsKeyHash)) {
        throw new ApiError(
            401,
            "/metrics needs the metrics key (WEBHOOKD_METRICS_API_KEY): send Authorization: Bearer <key>",
            List.of(new Problem("Authorization", header == null ? "is missing" : "is not the metrics key")),
            Map.of("WWW-Authenticate", "Bearer realm=\"webhookd-metrics\""));
      }
    }
    ctx.status(200)
        .contentType("text/plain; version=0.0.4; charset=utf-8")
        .result(scrape.get());
  }

  // ---------------------------------------------------------------------------------------------
  // Authentication, authorization, input

  private AccessPolicy.Caller authenticate(Context ctx) {
    AccessPolicy.Caller known = ctx.attribute(CALLER);
    if (known != null) {
      return known;
    }
    String header = ctx.header("Authorization");
    if (header == null || header.isBlank()) {
      throw new ApiError(
          401,
          "an API key is required: send Authorization: Bearer <key>",
          List.of(new Problem("Authorization", "is missing")),
          Map.of("WWW-Authenticate", "Bearer realm=\"webhookd\""));
    }
    Matcher m = BEARER.matcher(header);
    Optional<AccessPolicy.Caller> caller =
        m.matches() ? policy.authenticate(m.group(1)) : Optional.empty();
    if (caller.isEmpty()) {
      throw new ApiError(
          401,
          "the API key is not valid",
          List.of(new Problem("Authorization", m.matches() ? "names no known key" : "must be Bearer <key>")),
          Map.of("WWW-Authenticate", "Bearer realm=\"webhookd\", error=\"invalid_token\""));
    }
    ctx.attribute(CALLER, caller.get());
    return caller.get();
  }

  private static void requireAdmin(AccessPolicy.Caller caller) {
    if (!caller.isAdmin()) {
      throw new ApiError(403, "this endpoint is for the admin key only");
    }
  }

  private static void authorizeTopics(AccessPolicy.Caller caller, SubscriptionSpec spec) {
    authorizeTopics(caller, spec.sources());
  }

  /** 403 naming every topic of these sources that the client's policy does not allow. */
  private static void authorizeTopics(AccessPolicy.Caller caller, List<SubscriptionSpec.Source> sources) {
    if (caller.isAdmin()) {
      return;
    }
    List<Problem> denied = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (int i = 0; i < sources.size(); i++) {
      String topic = sources.get(i).topic();
      if (!caller.client().allows(topic) && seen.add(topic)) {
        denied.add(
            new Problem(
                "source[" + i + "].topic",
                "client " + caller.client().name() + " may not read topic " + topic));
      }
    }
    if (!denied.isEmpty()) {
      throw new ApiError(
          403,
          "your policy does not allow topic" + (seen.size() == 1 ? " " : "s ") + String.join(", ", seen),
          denied,
          Map.of());
    }
  }

  /** The subscription when it exists and the caller may see it; otherwise 404, the same either way. */
  private Subscription visible(AccessPolicy.Caller caller, String rawId) {
    if (!UUID_PATTERN.matcher(rawId).matches()) {
      throw notFound(rawId);
    }
    String id = rawId.toLowerCase(Locale.ROOT);
    MDC.put("subscription_id", id);
    Optional<Subscription> s = deliveries.get(id);
    if (s.isEmpty() || !caller.owns(s.get().owner())) {
      throw notFound(id);
    }
    return s.get();
  }

  private static ApiError notFound(String id) {
    String shown = id.length() > 64 ? id.substring(0, 64) + "…" : id;
    return ApiError.notFound("no subscription with id " + printable(shown));
  }

  private byte[] jsonBody(Context ctx) {
    String type = ctx.header("Content-Type");
    if (type == null || !isJson(type)) {
      throw new ApiError(
          415,
          "the body must be JSON",
          List.of(new Problem("Content-Type", "must be application/json, was " + (type == null ? "missing" : "\"" + printable(type) + "\""))),
          Map.of("Accept", JSON_TYPE));
    }
    long declared = ctx.req().getContentLengthLong();
    if (declared > maxBodyBytes) {
      throw tooLarge(declared);
    }
    try (InputStream in = ctx.req().getInputStream()) {
      byte[] body = in.readNBytes(maxBodyBytes + 1);
      if (body.length > maxBodyBytes) {
        throw tooLarge(-1);
      }
      return body;
    } catch (IOException e) {
      throw new ApiError(400, "the request body could not be read");
    }
  }

  private ApiError tooLarge(long size) {
    return new ApiError(
        413,
        "the request body is too large",
        List.of(new Problem("$", "must be at most " + maxBodyBytes + " bytes" + (size >= 0 ? ", was " + size : ""))),
        Map.of());
  }

  private static boolean isJson(String contentType) {
    String[] parts = contentType.split(";");
    if (!parts[0].trim().equalsIgnoreCase(JSON_TYPE)) {
      return false;
    }
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i].trim();
      int eq = p.indexOf('=');
      if (eq > 0 && p.substring(0, eq).trim().equalsIgnoreCase("charset")) {
        String cs = p.substring(eq + 1).trim().replace("\"", "");
        if (!cs.equalsIgnoreCase("utf-8") && !cs.equalsIgnoreCase("utf8")) {
          return false;
        }
      }
    }
    return true;
  }

  /** The version of {@code If-Match: "<version>"}, or -1 when absent or {@code *}. */
  private static long ifMatch(Context ctx) {
    String h = ctx.header("If-Match");
    if (h == null || h.isBlank() || h.trim().equals("*")) {
      return -1;
    }
    Matcher m = IF_MATCH.matcher(h.trim());
    if (!m.matches()) {
      throw new ApiError(
          400,
          "If-Match must be the quoted version of the subscription, as in its ETag",
          List.of(new Problem("If-Match", "must be like \"3\", was \"" + printable(h) + "\"")),
          Map.of());
    }
    return Long.parseLong(m.group(1));
  }

  private static String etag(Subscription s) {
    return "\"" + s.version() + "\"";
  }

  // ---------------------------------------------------------------------------------------------
  // Output

  private static void write(Context ctx, int status, JsonNode body) {
    try {
      ctx.status(status).contentType(JSON_TYPE).result(JSON.writeValueAsBytes(body));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ObjectNode errorBody(String error, List<Problem> details) {
    ObjectNode o = NODES.objectNode();
    o.put("error", error);
    ArrayNode d = o.putArray("details");
    for (Problem p : details) {
      d.addObject().put("field", p.field()).put("message", p.message());
    }
    return o;
  }

  private static void writeError(Context ctx, int status, String error, List<Problem> details, Map<String, String> headers) {
    headers.forEach(ctx::header);
    write(ctx, status, errorBody(error, details));
  }

  private void javalinError(HttpResponseException e, Context ctx) {
    int status = e.getStatus();
    String error =
        switch (status) {
          case 404 -> "no such resource: " + ctx.method() + " " + printable(shorten(ctx.path()));
          case 405 -> "method " + ctx.method() + " is not allowed on " + printable(shorten(ctx.path()));
          case 413 -> "the request body is too large";
          default -> printable(shorten(String.valueOf(e.getMessage())));
        };
    if (status == 405) {
      String allowed = allowedMethods(ctx.path());
      if (!allowed.isEmpty()) {
        ctx.header("Allow", allowed);
      }
    }
    if (status >= 500) {
      unexpected(e, ctx);
      return;
    }
    writeError(ctx, status, error, List.of(), Map.of());
  }

  private static String allowedMethods(String path) {
    List<String> methods = new ArrayList<>();
    for (String route : java.util.stream.Stream.concat(ROUTES.stream(), WebUi.ROUTES.stream()).toList()) {
      int sp = route.indexOf(' ');
      String template = route.substring(sp + 1).replaceAll("\\{[^/]+}", "[^/]+");
      if (path.replaceAll("/+$", "").matches(template)) {
        methods.add(route.substring(0, sp));
      }
    }
    return String.join(", ", methods);
  }

  private void unexpected(Exception e, Context ctx) {
    String errorId = UUID.randomUUID().toString();
    log.error("error {}: {} {} failed unexpectedly", errorId, ctx.method(), printable(shorten(ctx.path())), e);
    ObjectNode body = errorBody("internal error " + errorId + ": the server logged the details under this id", List.of());
    body.put("error_id", errorId);
    write(ctx, 500, body);
  }

  private void recordRequest(Context ctx) {
    Long started = ctx.attribute(STARTED);
    long nanos = started == null ? 0 : System.nanoTime() - started;
    String uri;
    try {
      io.javalin.router.Endpoint matched = ctx.endpoints().matchedHttpEndpoint();
      uri = matched == null ? "UNMATCHED" : matched.path;
    } catch (RuntimeException e) {
      uri = "UNMATCHED";
    }
    int status = ctx.statusCode();
    Timer.builder("http.server.requests")
        .description("HTTP requests to the REST API")
        .tag("method", ctx.method().name())
        .tag("uri", uri)
        .tag("status", String.valueOf(status))
        .tag("outcome", status < 400 ? "SUCCESS" : status < 500 ? "CLIENT_ERROR" : "SERVER_ERROR")
        .register(registry)
        .record(java.time.Duration.ofNanos(nanos));
    AccessPolicy.Caller caller = ctx.attribute(CALLER);
    if (!uri.equals("/metrics") && !uri.startsWith("/health")) {
      access.info(
          "{} {} {} {} ms ({})",
          ctx.method(),
          printable(shorten(ctx.path())),
          status,
          nanos / 1_000_000,
          caller == null ? "anonymous" : caller);
    }
    MDC.remove("subscription_id");
  }

  private static String shorten(String s) {
    return s.length() > 200 ? s.substring(0, 200) + "…" : s;
  }

  /** Control characters escaped, so that no input can forge a log line or a header. */
  static String printable(String s) {
    return LogText.escape(s);
  }

  private static byte[] loadOpenApi() {
    try (InputStream in = RestApi.class.getResourceAsStream("/openapi.json")) {
      if (in == null) {
        throw new IllegalStateException("openapi.json is missing from the class path");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Jetty's errors before Javalin sees the request (431, malformed URIs) in the API's shape. */
  static final class JsonErrorHandler extends ErrorHandler {
    JsonErrorHandler() {
      setShowStacks(false);
      setShowCauses(false);
      setShowMessageInTitle(false);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      int status = response.getStatus();
      if (status == 505) {
        // HTTP/0.9 and other unknown versions: a malformed request as far as this API goes
        status = 400;
        response.setStatus(400);
      }
      if (status < 400) {
        status = 500;
      }
      String reason = org.eclipse.jetty.http.HttpStatus.getMessage(status);
      byte[] body;
      try {
        body = JSON.writeValueAsBytes(errorBody(reason, List.of()));
      } catch (IOException e) {
        body = ("{\"error\":\"" + status + "\",\"details\":[]}").getBytes(StandardCharsets.UTF_8);
      }
      response.getHeaders().put("Content-Type", JSON_TYPE);
      response.getHeaders().put("Cache-Control", "no-store");
      response.write(true, java.nio.ByteBuffer.wrap(body), callback);
      return true;
    }
  }
}
