package io.webhookd.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.webhookd.server.TestServer.Answer;
import io.webhookd.testkit.KafkaExtension;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator page's files over HTTP: where they are, their headers, and what they may not contain. */
class WebUiTest {
  static final Map<String, String> FILES =
      Map.ofEntries(
          Map.entry("app.js", "text/javascript"),
          Map.entry("api.js", "text/javascript"),
          Map.entry("dom.js", "text/javascript"),
          Map.entry("list.js", "text/javascript"),
          Map.entry("subscription.js", "text/javascript"),
          Map.entry("operations.js", "text/javascript"),
          Map.entry("form.js", "text/javascript"),
          Map.entry("system.js", "text/javascript"),
          Map.entry("chart.js", "text/javascript"),
          Map.entry("style.css", "text/css"),
          Map.entry("favicon.svg", "image/svg+xml"));

  @TempDir static Path dir;
  static TestServer server;

  @BeforeAll
  static void start() throws IOException {
    server = TestServer.start(KafkaExtension.shared(1), dir.resolve("data"), RestApiTest.clientsFile(dir));
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  @DisplayName("/ redirects to /ui/, which serves the page without a key and with a strict Content-Security-Policy")
  void servesThePageWithSecurityHeaders() {
    Answer root = server.get("/", null);
    assertThat(root.status()).isEqualTo(302);
    assertThat(root.header("Location")).isEqualTo("/ui/");
    for (String path : List.of("/ui/", "/ui")) {
      Answer a = server.get(path, null);
      assertThat(a.status()).as(path).isEqualTo(200);
      assertThat(a.header("Content-Type")).startsWith("text/html");
      assertSecurityHeaders(a);
      assertThat(a.body()).contains("<script type=\"module\" src=\"/ui/app.js\"></script>");
    }
    assertThat(WebUi.CONTENT_SECURITY_POLICY)
        .isEqualTo("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  }

  @Test
  @DisplayName("every file the page loads is served with its content type and the same headers")
  void servesEachFile() {
    FILES.forEach(
        (name, type) -> {
          Answer a = server.get("/ui/" + name, null);
          assertThat(a.status()).as(name).isEqualTo(200);
          assertThat(a.header("Content-Type")).as(name).startsWith(type);
          assertSecurityHeaders(a);
          assertThat(a.body()).isEqualTo(resource(name));
        });
  }

  @Test
  @DisplayName("nothing else of the class path is reachable under /ui/, and no such path is a 5xx")
  void refusesOtherPaths() {
    for (String path :
        List.of(
            "/ui/missing.js", "/ui/App.js", "/ui/logback.xml", "/ui/openapi.json", "/ui/..%2fopenapi.json",
            "/ui/%2e%2e%2flogback.xml", "/ui/index.html%00.js", "/ui/.hidden.js", "/ui/a/b.js",
            "/ui/" + "a".repeat(300) + ".js")) {
      Answer a = server.get(path, null);
      assertThat(a.status()).as(path).isIn(400, 404);
      assertThat(a.body()).as(path).doesNotContain("<configuration").doesNotContain("\"openapi\"");
    }
    assertThat(server.call("POST", "/ui/app.js", null, "{}").status()).isEqualTo(405);
  }

  @Test
  @DisplayName("the page's routes are not API routes: the OpenAPI route list leaves them out")
  void pageRoutesAreNotApiRoutes() {
    assertThat(server.server.routes()).isNotEmpty().noneMatch(r -> r.contains("/ui") || r.equals("GET /"));
    assertThat(RestApi.ROUTES).noneMatch(WebUi.ROUTES::contains);
  }

  @Test
  @DisplayName("the sources build the page from text only: no inline script or style, no HTML from strings, nothing from another host")
  void sourcesBuildTheDomFromTextOnly() {
    String html = resource("index.html");
    assertThat(Pattern.compile("<script(?![^>]*\\ssrc=)").matcher(html).find()).as("inline script").isFalse();
    assertThat(Pattern.compile("\\son[a-z]+\\s*=", Pattern.CASE_INSENSITIVE).matcher(html).find()).as("handler attribute").isFalse();
    assertThat(html).doesNotContain("style=").doesNotContain("<style");
    for (String name : FILES.keySet()) {
      if (!name.endsWith(".js")) {
        continue;
      }
      String js = resource(name);
      assertThat(js)
          .as(name)
          .doesNotContain("innerHTML")
          .doesNotContain("outerHTML")
          .doesNotContain("insertAdjacentHTML")
          .doesNotContain("document.write")
          .doesNotContain("eval(")
          .doesNotContain("new Function")
          .doesNotContain("localStorage")
          .doesNotContain(".style.")
          .doesNotContain("'style'");
      Matcher url = Pattern.compile("https?://[^'\"`\\s]*").matcher(js);
      while (url.find()) {
        // the only absolute URL is the SVG namespace, which is a name, not a fetch
        assertThat(url.group()).as(name).isEqualTo("http://www.w3.org/2000/svg");
      }
    }
    // the key is sent in a header, and the page never puts it in a URL
    assertThat(resource("api.js")).contains("'Authorization'").contains("sessionStorage");
  }

  static void assertSecurityHeaders(Answer a) {
    assertThat(a.header("Content-Security-Policy")).isEqualTo(WebUi.CONTENT_SECURITY_POLICY);
    assertThat(a.header("X-Content-Type-Options")).isEqualTo("nosniff");
    assertThat(a.header("Referrer-Policy")).isEqualTo("no-referrer");
    assertThat(a.header("X-Frame-Options")).isEqualTo("DENY");
  }

  static String resource(String name) {
    try (InputStream in = WebUi.class.getResourceAsStream("/ui/" + name)) {
      assertThat(in).as(name).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
