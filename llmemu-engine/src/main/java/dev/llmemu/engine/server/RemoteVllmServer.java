package dev.llmemu.engine.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmemu.engine.Engine;
import dev.llmemu.engine.internal.server.AdminJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * A handle on a server in another process, over HTTP: llmemu in a container, or any
 * OpenAI-compatible server (where llmemu's {@code /llmemu/...} extras are missing).
 */
final class RemoteVllmServer implements EmulatedVllmServer {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration POLL = Duration.ofMillis(20);

  private final String baseUrl;
  private final URI root;
  private final Runnable onClose;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final ArrayDeque<RecordedRequest> pending = new ArrayDeque<>();
  private long lastSeen = -1;
  private volatile @Nullable List<String> modelNames;

  private final @Nullable String apiKey;

  RemoteVllmServer(String baseUrl, @Nullable String apiKey, Runnable onClose) {
    this.apiKey = apiKey;
    Objects.requireNonNull(baseUrl, "baseUrl");
    String b = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    if (b.endsWith("/v1")) {
      b = b.substring(0, b.length() - 3);
    }
    this.root = URI.create(b);
    if (root.getHost() == null || root.getScheme() == null) {
      throw new IllegalArgumentException(
          "not an http(s) URL: '" + baseUrl + "'; expected e.g. http://localhost:8000");
    }
    this.baseUrl = b;
    this.onClose = Objects.requireNonNull(onClose, "onClose");
  }

  @Override
  public EmulatedVllmServer start() {
    checkOpen();
    return this;
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      onClose.run();
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("close() already called");
    }
  }

  @Override
  public int port() {
    int p = root.getPort();
    return p >= 0 ? p : root.getScheme().equals("https") ? 443 : 80;
  }

  @Override
  public String host() {
    return root.getHost();
  }

  @Override
  public String baseUrl() {
    return baseUrl;
  }

  @Override
  public List<String> servedModelNames() {
    List<String> names = modelNames;
    if (names == null) {
      List<String> found = new java.util.ArrayList<>();
      try {
        // llmemu's admin endpoint: not recorded as traffic under test
        json(llmemuGet("/llmemu/config"))
            .path("served_model_names")
            .forEach(n -> found.add(n.asText()));
      } catch (UnsupportedOperationException e) {
        // not llmemu: ask the OpenAI API
      }
      if (!found.isEmpty()) {
        names = List.copyOf(found);
        modelNames = names;
        return names;
      }
      JsonNode data = json(get("/v1/models")).path("data");
      if (!data.isArray() || data.isEmpty()) {
        throw new IllegalStateException(baseUrl + "/v1/models lists no model");
      }
      data.forEach(m -> found.add(m.path("id").asText()));
      names = List.copyOf(found);
      modelNames = names;
    }
    return names;
  }

  @Override
  public RecordedRequest takeRequest() throws InterruptedException {
    RecordedRequest r;
    while ((r = takeRequest(Duration.ofSeconds(1))) == null) {
      // keep waiting, as an in-process server's takeRequest() does
    }
    return r;
  }

  @Override
  public synchronized @Nullable RecordedRequest takeRequest(Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (!pending.isEmpty()) {
        return pending.poll();
      }
      JsonNode page = json(llmemuGet("/llmemu/recorded?after=" + lastSeen + "&limit=100"));
      for (JsonNode n : page.path("data")) {
        RecordedRequest r = AdminJson.recorded(n);
        lastSeen = Math.max(lastSeen, r.sequenceNumber());
        pending.add(r);
      }
      if (!pending.isEmpty()) {
        return pending.poll();
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return null;
      }
      Thread.sleep(Math.max(1, Math.min(POLL.toMillis(), left / 1_000_000)));
    }
  }

  @Override
  public int requestCount() {
    return json(llmemuGet("/llmemu/recorded?after=" + Long.MAX_VALUE))
        .path("request_count")
        .asInt();
  }

  @Override
  public ServerMetrics metrics() {
    return parseMetrics(metricsText());
  }

  @Override
  public String metricsText() {
    return get("/metrics");
  }

  @Override
  public void setTimeScale(double scale) {
    llmemuPost("/llmemu/config", "{\"time_scale\":" + scale + "}");
  }

  @Override
  public void setFailureRate(double rate, int status) {
    llmemuPost(
        "/llmemu/config", "{\"failure_rate\":" + rate + ",\"failure_status\":" + status + "}");
  }

  @Override
  public synchronized void reset() {
    llmemuPost("/llmemu/reset", "{}");
    pending.clear();
    lastSeen = Long.MAX_VALUE / 2;
    // sequence numbers keep counting on the server: skip everything recorded before the reset
    JsonNode page = json(llmemuGet("/llmemu/recorded?after=-1&limit=1000"));
    lastSeen = -1;
    for (JsonNode n : page.path("data")) {
      lastSeen = Math.max(lastSeen, n.path("sequence_number").asLong());
    }
  }

  @Override
  public Optional<Engine> engine() {
    return Optional.empty();
  }

  /** Parses the {@code vllm:*} series of Prometheus text into a snapshot. */
  static ServerMetrics parseMetrics(String text) {
    double running = 0;
    double waiting = 0;
    double kv = 0;
    double prompt = 0;
    double generation = 0;
    double preemptions = 0;
    double queries = 0;
    double hits = 0;
    Map<String, Long> success = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.isEmpty() || line.charAt(0) == '#') {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      if (space < 0) {
        continue;
      }
      String name = line.substring(0, brace >= 0 ? brace : line.indexOf(' '));
      double value;
      try {
        value = Double.parseDouble(line.substring(space + 1));
      } catch (NumberFormatException e) {
        continue;
      }
      switch (name) {
        case "vllm:num_requests_running" -> running = value;
        case "vllm:num_requests_waiting" -> waiting = value;
        case "vllm:kv_cache_usage_perc" -> kv = value;
        case "vllm:prompt_tokens_total" -> prompt = value;
        case "vllm:generation_tokens_total" -> generation = value;
        case "vllm:num_preemptions_total" -> preemptions = value;
        case "vllm:prefix_cache_queries_total" -> queries = value;
        case "vllm:prefix_cache_hits_total" -> hits = value;
        case "vllm:request_success_total" -> {
          int at = line.indexOf("finished_reason=\"");
          if (at >= 0) {
            int end = line.indexOf('"', at + 17);
            String reason = line.substring(at + 17, end);
            // as the in-process snapshot: the finish reasons the engine produces, abort aside
            if (reason.equals("stop") || reason.equals("length")) {
              success.put(reason, (long) value);
            }
          }
        }
        default -> {}
      }
    }
    return new ServerMetrics(
        (int) running,
        (int) waiting,
        kv,
        (long) prompt,
        (long) generation,
        (long) preemptions,
        (long) queries,
        (long) hits,
        success);
  }

  private String get(String path) {
    checkOpen();
    HttpResponse<String> res = send(HttpRequest.newBuilder(URI.create(baseUrl + path)).GET());
    if (res.statusCode() != 200) {
      throw new IllegalStateException(
          "GET " + baseUrl + path + " answered " + res.statusCode() + ": " + res.body());
    }
    return res.body();
  }

  private String llmemuGet(String path) {
    checkOpen();
    HttpResponse<String> res = send(HttpRequest.newBuilder(URI.create(baseUrl + path)).GET());
    return llmemuBody(res, "GET " + path);
  }

  private void llmemuPost(String path, String body) {
    checkOpen();
    HttpResponse<String> res =
        send(
            HttpRequest.newBuilder(URI.create(baseUrl + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    llmemuBody(res, "POST " + path);
  }

  private String llmemuBody(HttpResponse<String> res, String what) {
    if (res.statusCode() == 404) {
      throw new UnsupportedOperationException(
          baseUrl
              + " is not an llmemu server ("
              + what
              + " answered 404): llmemu's extras are not available");
    }
    if (res.statusCode() != 200) {
      throw new IllegalStateException(what + " answered " + res.statusCode() + ": " + res.body());
    }
    return res.body();
  }

  private HttpResponse<String> send(HttpRequest.Builder request) {
    if (apiKey != null) {
      request.header("Authorization", "Bearer " + apiKey);
    }
    try {
      return http.send(
          request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reach " + baseUrl + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while calling " + baseUrl, e);
    }
  }

  private static JsonNode json(String body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return "EmulatedVllmServer{remote=" + baseUrl + (closed.get() ? ", closed" : "") + "}";
  }
}
