package io.webhookd.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.burt.jmespath.jackson.JacksonRuntime;
import io.webhookd.Subscription;
import io.webhookd.spi.RowFilterPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may call the API and what each caller may see: the admin key, and the clients of {@code
 * WEBHOOKD_CLIENTS_FILE} with their topic policies and row filters. Immutable and thread-safe.
 *
 * <p>A client may subscribe to a topic when at least one of its policy's {@code topics} entries
 * matches it ({@code *} in an entry matches any run of characters, dots included). Every entry
 * that matches a topic and has a {@code filter} adds that filter to the client's deliveries from
 * the topic; they are ANDed, so adding an entry never widens what a client sees. A subscription
 * whose owner is no longer a client, or whose topic the owner's policy no longer allows (the file
 * changed between restarts), delivers nothing from that topic.
 *
 * <p>A client may own at most {@code max_subscriptions} subscriptions (its entry's field, default
 * {@value #DEFAULT_MAX_SUBSCRIPTIONS}; each costs a Kafka consumer and threads); the admin has no
 * quota.
 */
final class AccessPolicy {
  private static final Logger log = LoggerFactory.getLogger(AccessPolicy.class);

  /** A client's quota of subscriptions when its entry names none. */
  static final int DEFAULT_MAX_SUBSCRIPTIONS = 100;

  /** The largest quota an entry may give. */
  static final int MAX_MAX_SUBSCRIPTIONS = 100_000;

  /** A JMESPath filter that no message passes. */
  static final String DENY_ALL = "`false`";

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
  private static final Pattern TOPIC_PATTERN = Pattern.compile("[A-Za-z0-9._*-]{1,249}");
  private static final JacksonRuntime JMES = new JacksonRuntime();
  private static final ObjectMapper STRICT =
      new ObjectMapper(JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

  /** An authenticated caller: the admin, or a client. */
  record Caller(@Nullable Client client) {
    static final Caller ADMIN = new Caller(null);

    boolean isAdmin() {
      return client == null;
    }

    /** How many subscriptions this caller may own: the client's quota; the admin has none. */
    int maxSubscriptions() {
      return client == null ? Integer.MAX_VALUE : client.maxSubscriptions();
    }

    /** The owner recorded on the subscriptions this caller creates: the client name, or null. */
    @Nullable String owner() {
      return client == null ? null : client.name();
    }

    /** Whether this caller may see a subscription with this owner. */
    boolean owns(@Nullable String subscriptionOwner) {
      return client == null || client.name().equals(subscriptionOwner);
    }

    @Override
    public String toString() {
      return client == null ? "admin" : "client " + client.name();
    }
  }

  /** One entry of a client's policy. */
  record TopicRule(String topic, @Nullable String filter, Pattern regex) {
    boolean matches(String name) {
      return regex.matcher(name).matches();
    }
  }

  /** A client: its name, the hash of its key (never the key), its policy and its quota. */
  record Client(String name, byte[] keyHash, List<TopicRule> topics, int maxSubscriptions) {
    boolean allows(String topic) {
      return topics.stream().anyMatch(r -> r.matches(topic));
    }

    List<String> filtersFor(String topic) {
      if (!allows(topic)) {
        return List.of(DENY_ALL);
      }
      return topics.stream().filter(r -> r.matches(topic) && r.filter() != null).map(TopicRule::filter).toList();
    }

    @Override
    public String toString() {
      return "Client[" + name + ", topics=" + topics.stream().map(TopicRule::topic).toList()
          + ", maxSubscriptions=" + maxSubscriptions + "]";
    }
  }

  private final byte[] adminHash;
  private final List<Client> clients;

  private AccessPolicy(byte[] adminHash, List<Client> clients) {
    this.adminHash = adminHash;
    this.clients = List.copyOf(clients);
  }

  /**
   * The policy of the admin key and the clients file.
   *
   * @throws ConfigException listing every problem of the clients file
   */
  static AccessPolicy load(String adminKey, @Nullable Path clientsFile) {
    if (clientsFile == null) {
      return new AccessPolicy(ApiKeys.hash(adminKey), List.of());
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(clientsFile);
    } catch (IOException e) {
      throw new ConfigException("WEBHOOKD_CLIENTS_FILE " + clientsFile + " cannot be read: " + e);
    }
    return parse(adminKey, bytes, clientsFile.toString());
  }

  static AccessPolicy parse(String adminKey, byte[] json, String source) {
    String where = "clients file " + source + ": ";
    JsonNode root;
    try {
      root = STRICT.readTree(json);
    } catch (JsonProcessingException e) {
      throw new ConfigException(where + "is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ConfigException(where + "cannot be read: " + e.getMessage());
    }
    List<String> problems = new ArrayList<>();
    List<Client> clients = new ArrayList<>();
    if (root == null || !root.isObject()) {
      throw new ConfigException(where + "must be a JSON object {\"clients\": [...]}");
    }
    unknown(root, Set.of("clients"), "", where, problems);
    JsonNode list = root.get("clients");
    if (list == null || !list.isArray()) {
      problems.add(where + "clients must be an array");
    } else {
      Set<String> names = new HashSet<>();
      Set<String> keys = new HashSet<>();
      byte[] adminHash = ApiKeys.hash(adminKey);
      for (int i = 0; i < list.size(); i++) {
        String at = "clients[" + i + "]";
        JsonNode c = list.get(i);
        if (!c.isObject()) {
          problems.add(where + at + " must be an object");
          continue;
        }
        unknown(c, Set.of("name", "api_key", "policy", "max_subscriptions"), at + ".", where, problems);
        int maxSubscriptions = DEFAULT_MAX_SUBSCRIPTIONS;
        JsonNode quota = c.get("max_subscriptions");
        if (quota != null && !quota.isNull()) {
          if (quota.isIntegralNumber() && quota.canConvertToInt()
              && quota.intValue() >= 0 && quota.intValue() <= MAX_MAX_SUBSCRIPTIONS) {
            maxSubscriptions = quota.intValue();
          } else {
            problems.add(
                where + at + ".max_subscriptions must be an integer between 0 and " + MAX_MAX_SUBSCRIPTIONS
                    + ", was " + (quota.toString().length() > 40 ? quota.toString().substring(0, 40) + "…" : quota));
          }
        }
        String name = text(c, "name");
        if (name == null || !NAME.matcher(name).matches()) {
          problems.add(
              where + at + ".name must be 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit");
        } else if (!names.add(name)) {
          problems.add(where + at + ".name " + ServerConfig.quote(name) + " is used by another client");
        }
        String key = text(c, "api_key");
        byte[] keyHash = null;
        if (key == null) {
          problems.add(where + at + ".api_key is required (a string)");
        } else if (key.length() < ServerConfig.MIN_ADMIN_KEY_LENGTH || !ApiKeys.isWellFormed(key)) {
          problems.add(
              where + at + ".api_key must be at least " + ServerConfig.MIN_ADMIN_KEY_LENGTH
                  + " printable ASCII characters without spaces");
        } else if (!keys.add(key)) {
          problems.add(where + at + ".api_key is the same as another client's");
        } else {
          keyHash = ApiKeys.hash(key);
          if (ApiKeys.matches(keyHash, adminHash)) {
            problems.add(where + at + ".api_key is the admin key: give each client a key of its own");
          }
        }
        List<TopicRule> rules = new ArrayList<>();
        JsonNode policy = c.get("policy");
        if (policy == null || !policy.isObject()) {
          problems.add(where + at + ".policy is required: {\"topics\": [...]}");
        } else {
          unknown(policy, Set.of("topics"), at + ".policy.", where, problems);
          JsonNode topics = policy.get("topics");
          if (topics == null || !topics.isArray()) {
            problems.add(where + at + ".policy.topics must be an array");
          } else {
            for (int j = 0; j < topics.size(); j++) {
              String tat = at + ".policy.topics[" + j + "]";
              JsonNode t = topics.get(j);
              if (!t.isObject()) {
                problems.add(where + tat + " must be an object {\"topic\": ..., \"filter\": ...}");
                continue;
              }
              unknown(t, Set.of("topic", "filter"), tat + ".", where, problems);
              String topic = text(t, "topic");
              if (topic == null || !TOPIC_PATTERN.matcher(topic).matches()) {
                problems.add(
                    where + tat + ".topic must be a topic name or a pattern with '*' (letters, digits, '.', '_', '-', '*')");
                continue;
              }
              JsonNode f = t.get("filter");
              String filter = null;
              if (f != null && !f.isNull()) {
                if (!f.isTextual() || f.asText().isBlank()) {
                  problems.add(where + tat + ".filter must be a JMESPath expression (a string)");
                  continue;
                }
                filter = f.asText();
                String why = checkJmes(filter);
                if (why != null) {
                  problems.add(where + tat + ".filter " + why);
                  continue;
                }
              }
              rules.add(new TopicRule(topic, filter, glob(topic)));
            }
          }
        }
        if (name != null && keyHash != null) {
          clients.add(new Client(name, keyHash, rules, maxSubscriptions));
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return new AccessPolicy(ApiKeys.hash(adminKey), clients);
  }

  /** The caller a bearer key belongs to; every known key is compared, in constant time. */
  Optional<Caller> authenticate(@Nullable String presentedKey) {
    if (presentedKey == null || presentedKey.isEmpty()) {
      return Optional.empty();
    }
    byte[] h = ApiKeys.hash(presentedKey);
    Caller found = null;
    if (ApiKeys.matches(h, adminHash)) {
      found = Caller.ADMIN;
    }
    for (Client c : clients) {
      // no early exit: every comparison is made whoever matched
      if (ApiKeys.matches(h, c.keyHash()) && found == null) {
        found = new Caller(c);
      }
    }
    return Optional.ofNullable(found);
  }

  List<Client> clients() {
    return clients;
  }

  Optional<Client> client(String name) {
    return clients.stream().filter(c -> c.name().equals(name)).findFirst();
  }

  /**
   * The row filters of the engine: for a subscription owned by a client, the client's filters for
   * the topic (or {@link #DENY_ALL} when the client or its permission is gone); none for the
   * admin's.
   */
  RowFilterPolicy rowFilterPolicy() {
    return new RowFilterPolicy() {
      @Override
      public List<String> filtersFor(Subscription subscription, String topic) {
        String owner = subscription.owner();
        if (owner == null) {
          return List.of();
        }
        Optional<Client> c = client(owner);
        if (c.isEmpty()) {
          log.warn(
              "subscription {} belongs to client {} which is not in the clients file: it delivers nothing",
              subscription.id(),
              owner);
          return List.of(DENY_ALL);
        }
        if (!c.get().allows(topic)) {
          log.warn(
              "subscription {}: client {} may no longer read topic {}: it delivers nothing from it",
              subscription.id(),
              owner,
              topic);
        }
        return c.get().filtersFor(topic);
      }

      @Override
      public String toString() {
        return "clients-file row filters";
      }
    };
  }

  static @Nullable String checkJmes(String expression) {
    if (expression.length() > 4096) {
      return "must be at most 4096 characters, was " + expression.length();
    }
    try {
      JMES.compile(expression);
      return null;
    } catch (RuntimeException | StackOverflowError e) {
      String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      return "is not a valid JMESPath expression (" + (m.length() > 200 ? m.substring(0, 200) + "…" : m) + ")";
    }
  }

  private static Pattern glob(String topic) {
    String[] parts = topic.split("\\*", -1);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < parts.length; i++) {
      if (i > 0) {
        sb.append(".*");
      }
      sb.append(Pattern.quote(parts[i]));
    }
    return Pattern.compile(sb.toString());
  }

  private static @Nullable String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v != null && v.isTextual() ? v.asText() : null;
  }

  private static void unknown(JsonNode n, Set<String> known, String prefix, String where, List<String> problems) {
    Iterator<Map.Entry<String, JsonNode>> it = n.fields();
    while (it.hasNext()) {
      String f = it.next().getKey();
      if (!known.contains(f)) {
        problems.add(where + prefix + f + " is not a known field (known: " + String.join(", ", known.stream().sorted().toList()) + ")");
      }
    }
  }
}
