package dev.llmemu.examples.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.llmemu.engine.server.ServerMetrics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToDoubleFunction;

/**
 * A reverse proxy for OpenAI-compatible servers: {@code POST /v1/completions} and {@code
 * /v1/chat/completions} go to the backend the {@link Router} picks, and the answer (an SSE stream
 * or a JSON body) is streamed back event by event. The proxy counts each request's prompt tokens
 * ({@code cl100k_base}) and reads its {@code max_tokens} for the router, and counts the streamed
 * events that carry output, so a router knows how far each request has got.
 *
 * <p>Other paths: {@code GET /metrics} answers the backends' {@code vllm:num_requests_running} and
 * {@code vllm:num_requests_waiting} summed and {@code vllm:kv_cache_usage_perc} averaged (the
 * cluster first, then one sample per backend), plus the router's own counts; {@code GET
 * /llmemu/requests} merges the backends' answers (so llmemu's load driver finds the engine's timing
 * of every request); anything else goes to the first backend ({@code /v1/models}, {@code /health},
 * …). Each routed answer carries {@code X-Router-Backend} with the backend's index.
 *
 * <p>Built on the JDK's {@code com.sun.net.httpserver} and {@code java.net.http} client: one
 * handler thread per request in flight. Binds to loopback on an ephemeral port by default.
 */
public final class RouterProxy implements AutoCloseable {
  static {
    // The JDK server leaves Nagle's algorithm on unless told otherwise; small SSE events would then
    // wait for the client's delayed ACK. It reads this once, before the first server is created.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  /** The response header naming the backend that served a routed request. */
  public static final String BACKEND_HEADER = "X-Router-Backend";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] CHOICE = "\"choices\":[{".getBytes(StandardCharsets.US_ASCII);
  // Headers the JDK client sets itself, and hop-by-hop ones.
  private static final Set<String> SKIPPED_REQUEST_HEADERS =
      Set.of("host", "content-length", "connection", "expect", "upgrade", "transfer-encoding");
  private static final Set<String> SKIPPED_RESPONSE_HEADERS =
      Set.of("content-length", "connection", "transfer-encoding", "date", "server");

  private final Router router;
  private final List<Backend> backends;
  private final HttpServer server;
  private final ExecutorService handlers;
  private final HttpClient client;
  private final Encoding tokenizer;
  private final Object routingLock = new Object();
  private volatile boolean closed;

  private RouterProxy(Router router, List<Backend> backends, InetSocketAddress address)
      throws IOException {
    this.router = router;
    this.backends = List.copyOf(backends);
    this.tokenizer = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);
    AtomicInteger threads = new AtomicInteger();
    this.handlers =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "router-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    this.server = HttpServer.create(address, 1024);
    server.createContext("/", this::handle);
    server.setExecutor(handlers);
  }

  /** Starts a proxy on 127.0.0.1 and an ephemeral port in front of {@code backendBaseUrls}. */
  public static RouterProxy start(Router router, List<String> backendBaseUrls) {
    return start(
        router, backendBaseUrls, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
  }

  /** Starts a proxy on {@code address} in front of {@code backendBaseUrls}. */
  public static RouterProxy start(
      Router router, List<String> backendBaseUrls, InetSocketAddress address) {
    Objects.requireNonNull(router, "router");
    if (backendBaseUrls.isEmpty()) {
      throw new IllegalArgumentException("a router needs at least one backend");
    }
    List<Backend> backends = new ArrayList<>();
    for (int i = 0; i < backendBaseUrls.size(); i++) {
      backends.add(new Backend(i, URI.create(backendBaseUrls.get(i))));
    }
    RouterProxy proxy;
    try {
      proxy = new RouterProxy(router, backends, address);
    } catch (IOException e) {
      throw new IllegalStateException("cannot bind the router to " + address + ": " + e, e);
    }
    router.start(proxy.backends);
    proxy.server.start();
    return proxy;
  }

  /** {@code http://127.0.0.1:PORT}: what clients use instead of one backend's URL. */
  public String baseUrl() {
    InetSocketAddress a = server.getAddress();
    return "http://" + a.getAddress().getHostAddress() + ":" + a.getPort();
  }

  public Router router() {
    return router;
  }

  /** The backends, with the router's book of each. */
  public List<Backend> backends() {
    return backends;
  }

  /** Requests ever routed to each backend, in order. */
  public List<Long> dispatchedPerBackend() {
    return backends.stream().map(Backend::dispatched).toList();
  }

  /** Stops accepting requests, cuts off those in flight and stops the router. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    server.stop(0);
    handlers.shutdownNow();
    router.close();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getRawPath();
      if (method.equals("POST")
          && (path.equals("/v1/completions") || path.equals("/v1/chat/completions"))) {
        route(exchange);
      } else if (method.equals("GET") && path.equals("/metrics")) {
        metrics(exchange);
      } else if (method.equals("GET") && path.equals("/llmemu/requests")) {
        mergedRequests(exchange);
      } else {
        forward(exchange, backends.get(0), exchange.getRequestBody().readAllBytes(), null);
      }
    } catch (IOException | RuntimeException e) {
      if (!closed) {
        throw e;
      }
    }
  }

  private void route(HttpExchange exchange) throws IOException {
    byte[] body = exchange.getRequestBody().readAllBytes();
    RoutedRequest request = describe(exchange.getRequestURI().getRawPath(), body);
    Backend backend;
    Backend.InFlight inFlight;
    synchronized (routingLock) {
      backend = backends.get(router.choose(request, backends));
      inFlight = backend.dispatch(request);
    }
    try {
      forward(exchange, backend, body, inFlight);
    } finally {
      backend.finish(inFlight);
    }
  }

  /** Prompt tokens and {@code max_tokens} of a generation request; zeros if it is not JSON. */
  RoutedRequest describe(String path, byte[] body) {
    JsonNode json;
    try {
      json = JSON.readTree(body);
    } catch (IOException e) {
      return new RoutedRequest(0, -1);
    }
    if (json == null || !json.isObject()) {
      return new RoutedRequest(0, -1);
    }
    int prompt = 0;
    JsonNode maxTokens;
    if (path.endsWith("/chat/completions")) {
      for (JsonNode message : json.path("messages")) {
        prompt += 4 + countText(message.path("content")); // role and template tokens, roughly
      }
      maxTokens = json.path("max_completion_tokens");
      if (!maxTokens.canConvertToInt() || maxTokens.isNull()) {
        maxTokens = json.path("max_tokens");
      }
    } else {
      JsonNode p = json.path("prompt");
      if (p.isArray() && !p.isEmpty() && p.get(0).isNumber()) {
        prompt = p.size(); // token ids
      } else if (p.isArray() && !p.isEmpty() && p.get(0).isArray()) {
        prompt = p.get(0).size();
      } else {
        prompt = countText(p);
      }
      maxTokens =
          json.has("max_tokens") ? json.path("max_tokens") : JSON.getNodeFactory().numberNode(16);
    }
    int max = maxTokens.isIntegralNumber() && maxTokens.asInt() > 0 ? maxTokens.asInt() : -1;
    return new RoutedRequest(prompt, max);
  }

  private int countText(JsonNode node) {
    if (node.isTextual()) {
      return tokenizer.countTokensOrdinary(node.asText());
    }
    int sum = 0;
    if (node.isArray()) {
      for (JsonNode part : node) {
        sum += part.isTextual() ? countText(part) : countText(part.path("text"));
      }
    }
    return sum;
  }

  /**
   * Sends the request to {@code backend} and streams the answer back; counts output events on
   * {@code inFlight} when it is a routed request.
   */
  private void forward(
      HttpExchange exchange, Backend backend, byte[] body, Backend.InFlight inFlight)
      throws IOException {
    URI target = backend.uri(exchange.getRequestURI().getRawPath() + query(exchange));
    HttpRequest.Builder rb =
        HttpRequest.newBuilder(target)
            .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
    exchange
        .getRequestHeaders()
        .forEach(
            (name, values) -> {
              if (!SKIPPED_REQUEST_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                values.forEach(v -> rb.header(name, v));
              }
            });
    HttpResponse<InputStream> response;
    try {
      response = client.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      badGateway(exchange, backend + " did not answer: " + e);
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      badGateway(exchange, "interrupted");
      return;
    }
    try (InputStream in = response.body()) {
      response
          .headers()
          .map()
          .forEach(
              (name, values) -> {
                if (!SKIPPED_RESPONSE_HEADERS.contains(name.toLowerCase(Locale.ROOT))
                    && !name.startsWith(":")) {
                  exchange.getResponseHeaders().put(name, values);
                }
              });
      if (inFlight != null) {
        exchange.getResponseHeaders().set(BACKEND_HEADER, Integer.toString(backend.index()));
      }
      boolean head = exchange.getRequestMethod().equals("HEAD");
      exchange.sendResponseHeaders(response.statusCode(), head ? -1 : 0);
      if (head) {
        return;
      }
      OutputStream out = exchange.getResponseBody();
      String type = response.headers().firstValue("content-type").orElse("");
      if (type.startsWith("text/event-stream")) {
        copyEvents(in, out, inFlight);
      } else {
        in.transferTo(out);
      }
      out.flush();
    }
  }

  /**
   * Copies an SSE stream line by line, flushing at the end of each event (a blank line) so every
   * event reaches the client when the backend sent it, and counts events with output.
   */
  private static void copyEvents(InputStream in, OutputStream out, Backend.InFlight inFlight)
      throws IOException {
    byte[] buf = new byte[8192];
    ByteArrayOutputStream line = new ByteArrayOutputStream(512);
    int n;
    while ((n = in.read(buf)) > 0) {
      int from = 0;
      for (int i = 0; i < n; i++) {
        if (buf[i] != '\n') {
          continue;
        }
        line.write(buf, from, i + 1 - from);
        from = i + 1;
        byte[] l = line.toByteArray();
        line.reset();
        out.write(l);
        if (l.length == 1 || (l.length == 2 && l[0] == '\r')) {
          out.flush(); // end of an event
        } else if (inFlight != null && isOutputEvent(l)) {
          inFlight.tokenStreamed();
        }
      }
      line.write(buf, from, n - from);
    }
    if (line.size() > 0) {
      out.write(line.toByteArray());
    }
  }

  /** A {@code data:} line whose JSON has a non-empty {@code choices} array. */
  private static boolean isOutputEvent(byte[] l) {
    if (l.length < 6 || l[0] != 'd' || l[1] != 'a' || l[2] != 't' || l[3] != 'a' || l[4] != ':') {
      return false;
    }
    outer:
    for (int i = 5; i + CHOICE.length <= l.length; i++) {
      for (int k = 0; k < CHOICE.length; k++) {
        if (l[i + k] != CHOICE[k]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  private static String query(HttpExchange exchange) {
    String q = exchange.getRequestURI().getRawQuery();
    return q == null ? "" : "?" + q;
  }

  private static void badGateway(HttpExchange exchange, String message) throws IOException {
    ObjectNode error = JSON.createObjectNode();
    ObjectNode e = error.putObject("error");
    e.put("message", message);
    e.put("type", "BadGateway");
    e.putNull("param");
    e.put("code", 502);
    send(exchange, 502, "application/json", JSON.writeValueAsBytes(error));
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      exchange.getResponseBody().write(body);
    }
  }

  /** GETs {@code pathAndQuery} from every backend at once; a failed call answers null. */
  private List<HttpResponse<String>> fanOut(String pathAndQuery) {
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (Backend b : backends) {
      calls.add(
          client
              .sendAsync(
                  HttpRequest.newBuilder(b.uri(pathAndQuery))
                      .timeout(Duration.ofSeconds(5))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .exceptionally(e -> null));
    }
    return calls.stream().map(CompletableFuture::join).toList();
  }

  private void metrics(HttpExchange exchange) throws IOException {
    List<CompletableFuture<ServerMetrics>> calls = new ArrayList<>();
    for (Backend b : backends) {
      calls.add(CompletableFuture.supplyAsync(b::metrics, handlers).exceptionally(e -> null));
    }
    List<ServerMetrics> answers = calls.stream().map(CompletableFuture::join).toList();
    StringBuilder text = new StringBuilder();
    gauge(
        text,
        answers,
        "vllm:num_requests_running",
        "Requests running, summed over the backends.",
        ServerMetrics::numRequestsRunning,
        false);
    gauge(
        text,
        answers,
        "vllm:num_requests_waiting",
        "Requests waiting, summed over the backends.",
        ServerMetrics::numRequestsWaiting,
        false);
    gauge(
        text,
        answers,
        "vllm:kv_cache_usage_perc",
        "KV-cache usage, averaged over the backends.",
        ServerMetrics::kvCacheUsage,
        true);
    text.append("# HELP router_requests_outstanding Requests the router has in flight.\n");
    text.append("# TYPE router_requests_outstanding gauge\n");
    for (Backend b : backends) {
      text.append("router_requests_outstanding{backend=\"")
          .append(b.index())
          .append("\"} ")
          .append(b.outstanding())
          .append('\n');
    }
    text.append("# HELP router_requests_total Requests the router has sent.\n");
    text.append("# TYPE router_requests_total counter\n");
    for (Backend b : backends) {
      text.append("router_requests_total{backend=\"")
          .append(b.index())
          .append("\"} ")
          .append(b.dispatched())
          .append('\n');
    }
    send(
        exchange,
        200,
        "text/plain; version=0.0.4; charset=utf-8",
        text.toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * One gauge: the cluster's value first (summed, or averaged over the backends that answered),
   * since readers that take the first sample (llmemu's load driver) then see the cluster, then one
   * sample per backend that answered.
   */
  private static void gauge(
      StringBuilder text,
      List<ServerMetrics> answers,
      String name,
      String help,
      ToDoubleFunction<ServerMetrics> value,
      boolean average) {
    int known = 0;
    double total = 0;
    for (ServerMetrics m : answers) {
      if (m != null) {
        total += value.applyAsDouble(m);
        known++;
      }
    }
    text.append("# HELP ").append(name).append(' ').append(help).append('\n');
    text.append("# TYPE ").append(name).append(" gauge\n");
    double cluster = average ? (known == 0 ? 0 : total / known) : total;
    text.append(name).append("{backend=\"all\"} ").append(cluster).append('\n');
    for (int i = 0; i < answers.size(); i++) {
      ServerMetrics m = answers.get(i);
      if (m != null) {
        text.append(name)
            .append("{backend=\"")
            .append(i)
            .append("\"} ")
            .append(value.applyAsDouble(m))
            .append('\n');
      }
    }
  }

  private void mergedRequests(HttpExchange exchange) throws IOException {
    List<HttpResponse<String>> answers =
        fanOut(exchange.getRequestURI().getRawPath() + query(exchange));
    ObjectNode merged = JSON.createObjectNode();
    ArrayNode data = merged.putArray("data");
    int failed = 502;
    boolean any = false;
    for (HttpResponse<String> a : answers) {
      if (a != null && a.statusCode() == 200) {
        any = true;
        for (JsonNode n : JSON.readTree(a.body()).path("data")) {
          data.add(n);
        }
      } else if (a != null && failed == 502) {
        failed = a.statusCode();
      }
    }
    if (!any) {
      // e.g. 404 from a real vLLM, which has no such endpoint
      send(
          exchange,
          failed,
          "application/json",
          "{\"detail\":\"Not Found\"}".getBytes(StandardCharsets.UTF_8));
      return;
    }
    send(exchange, 200, "application/json", JSON.writeValueAsBytes(merged));
  }
}
