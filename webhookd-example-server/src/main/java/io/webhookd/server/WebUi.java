package io.webhookd.server;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The operator web page: the static files under {@code /ui/} of the class path (HTML, CSS and
 * JavaScript modules, no build step), served at {@code /ui/}. Thread-safe.
 *
 * <p>The files hold no data: every figure on the page comes from the REST API, called by the
 * page with the API key the operator typed in. So these routes need no key, and they are not
 * part of the API (not in {@link RestApi#ROUTES} nor in {@code openapi.json}).
 *
 * <p>Only names made of lower-case letters, digits and dashes with a known extension are looked
 * up, so no path can reach another resource of the class path. Each answer carries a
 * Content-Security-Policy that allows only this origin's scripts and styles (no inline script,
 * no inline style), refuses framing, and lets the page talk to this origin only.
 */
final class WebUi {
  /** The routes of the page, as {@code METHOD path}; kept out of the API's route list. */
  static final List<String> ROUTES = List.of("GET /", "GET /ui", "GET /ui/{file}");

  static final String CONTENT_SECURITY_POLICY =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

  private static final Pattern FILE = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}\\.(html|js|css|svg)");
  private static final Map<String, String> TYPES =
      Map.of(
          "html", "text/html; charset=utf-8",
          "js", "text/javascript; charset=utf-8",
          "css", "text/css; charset=utf-8",
          "svg", "image/svg+xml");

  private final Map<String, Optional<byte[]>> cache = new ConcurrentHashMap<>();

  /** {@code GET /}: the page is where a person lands. */
  void root(Context ctx) {
    ctx.header("Location", "/ui/");
    ctx.status(302);
  }

  /** {@code GET /ui} and {@code GET /ui/}: the page itself. */
  void index(Context ctx) {
    serve(ctx, "index.html");
  }

  /** {@code GET /ui/{file}}: one of the page's files, or 404. */
  void file(Context ctx) {
    serve(ctx, ctx.pathParam("file"));
  }

  private void serve(Context ctx, String name) {
    Matcher m = FILE.matcher(name);
    Optional<byte[]> body = m.matches() ? cache.computeIfAbsent(name, WebUi::load) : Optional.empty();
    if (body.isEmpty()) {
      throw ApiError.notFound("no such file of the web page: " + RestApi.printable(name.length() > 64 ? name.substring(0, 64) + "…" : name));
    }
    ctx.header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("Referrer-Policy", "no-referrer");
    ctx.header("X-Frame-Options", "DENY");
    ctx.status(200).contentType(TYPES.get(m.group(1))).result(body.get());
  }

  private static Optional<byte[]> load(String name) {
    try (InputStream in = WebUi.class.getResourceAsStream("/ui/" + name)) {
      return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
