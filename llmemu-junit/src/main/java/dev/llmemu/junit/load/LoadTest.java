package dev.llmemu.junit.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmemu.engine.internal.text.SyntheticVocabulary;
import dev.llmemu.engine.workload.ArrivalProcess;
import dev.llmemu.engine.workload.LengthDistribution;
import dev.llmemu.junit.internal.LoadReports;
import dev.llmemu.junit.internal.MetricsScraper;
import dev.llmemu.junit.internal.StreamedRequest;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * Drives load against an OpenAI-compatible server (llmemu or a real vLLM) with streaming requests
 * and measures them as {@code vllm bench serve} does.
 *
 * <pre>{@code
 * BenchmarkResult result = LoadTest.against(server.baseUrl())
 *     .openLoop(ArrivalProcess.poisson(20))
 *     .requests(500)
 *     .promptLength(LengthDistribution.uniform(200, 400))
 *     .outputLength(LengthDistribution.fixed(128))
 *     .run();
 * assertThat(result).ttft().p99().isLessThan(Duration.ofMillis(300));
 * }</pre>
 *
 * <p>Open loop sends each request at its arrival time whatever the server does ({@link #openLoop});
 * closed loop keeps a fixed number of requests in flight ({@link #closedLoop}). A run is bounded by
 * a request count and optionally a duration after which no new request is sent. Prompts are built
 * from words that are single {@code cl100k_base} tokens, so a prompt of N words is N tokens to
 * llmemu. Requests set {@code ignore_eos} unless told otherwise, so outputs are exactly their
 * {@code max_tokens}.
 */
public final class LoadTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String baseUrl;
  private @Nullable String apiKey;
  private Endpoint endpoint = Endpoint.COMPLETIONS;
  private @Nullable String model;
  private @Nullable ArrivalProcess arrivals = ArrivalProcess.allAtOnce();
  private int concurrency;
  private int requests = 100;
  private @Nullable Duration duration;
  private LengthDistribution promptLength = LengthDistribution.fixed(256);
  private LengthDistribution outputLength = LengthDistribution.fixed(128);
  private @Nullable List<String> prompts;
  private boolean ignoreEos = true;
  private int warmup;
  private Duration requestTimeout = Duration.ofMinutes(5);
  private @Nullable Slo slo;
  private long seed;
  private Duration metricsInterval = Duration.ofMillis(200);
  private String label = "llmemu";

  private LoadTest(String baseUrl) {
    Objects.requireNonNull(baseUrl, "baseUrl");
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
  }

  /** A load test against the server at {@code baseUrl} (its root, not {@code /v1}). */
  public static LoadTest against(String baseUrl) {
    return new LoadTest(baseUrl);
  }

  /** Sends {@code Authorization: Bearer <key>}. */
  public LoadTest apiKey(@Nullable String key) {
    apiKey = key;
    return this;
  }

  public LoadTest endpoint(Endpoint value) {
    endpoint = Objects.requireNonNull(value, "endpoint");
    return this;
  }

  /** The model to ask for; by default the first one {@code /v1/models} lists. */
  public LoadTest model(String value) {
    model = Objects.requireNonNull(value, "model");
    return this;
  }

  /**
   * Open loop: request {@code i} is sent at the process's i-th arrival time, whatever the server
   * does. Combine with {@link #maxConcurrency} to cap requests in flight, as {@code vllm bench
   * serve --max-concurrency}.
   */
  public LoadTest openLoop(ArrivalProcess process) {
    arrivals = Objects.requireNonNull(process, "process");
    return this;
  }

  /** Closed loop: {@code inFlight} clients, each sending its next request when one finishes. */
  public LoadTest closedLoop(int inFlight) {
    if (inFlight < 1) {
      throw new IllegalArgumentException(
          "closed-loop concurrency must be at least 1, got " + inFlight);
    }
    arrivals = null;
    concurrency = inFlight;
    return this;
  }

  /** Caps requests in flight in open loop (0: no cap). */
  public LoadTest maxConcurrency(int value) {
    if (value < 0) {
      throw new IllegalArgumentException("max concurrency must not be negative, got " + value);
    }
    concurrency = value;
    return this;
  }

  /** How many requests to send (default 100). */
  public LoadTest requests(int count) {
    if (count < 1) {
      throw new IllegalArgumentException("request count must be at least 1, got " + count);
    }
    requests = count;
    return this;
  }

  /** Stops sending new requests this long after the start; requests in flight finish. */
  public LoadTest duration(Duration value) {
    Objects.requireNonNull(value, "duration");
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException("duration must be positive, got " + value);
    }
    duration = value;
    return this;
  }

  /** Prompt lengths in tokens (default 256). */
  public LoadTest promptLength(LengthDistribution value) {
    promptLength = Objects.requireNonNull(value, "promptLength");
    prompts = null;
    return this;
  }

  /** {@code max_tokens} of each request (default 128). */
  public LoadTest outputLength(LengthDistribution value) {
    outputLength = Objects.requireNonNull(value, "outputLength");
    return this;
  }

  /** Your own prompts, used in turn instead of generated ones. */
  public LoadTest prompts(List<String> value) {
    if (value.isEmpty()) {
      throw new IllegalArgumentException("prompts must not be empty");
    }
    prompts = List.copyOf(value);
    return this;
  }

  /** Whether requests set {@code ignore_eos} (default true: outputs are exactly max_tokens). */
  public LoadTest ignoreEos(boolean value) {
    ignoreEos = value;
    return this;
  }

  /** Requests sent and discarded before the measured run. */
  public LoadTest warmup(int count) {
    if (count < 0) {
      throw new IllegalArgumentException("warm-up count must not be negative, got " + count);
    }
    warmup = count;
    return this;
  }

  /** A request that takes longer fails with a time-out (default 5 minutes). */
  public LoadTest requestTimeout(Duration value) {
    requestTimeout = Objects.requireNonNull(value, "requestTimeout");
    return this;
  }

  /** The SLO for {@code request_goodput} and attainment in the result. */
  public LoadTest slo(Slo value) {
    slo = Objects.requireNonNull(value, "slo");
    return this;
  }

  /** Seeds prompt contents, lengths and arrival times (default 0). */
  public LoadTest seed(long value) {
    seed = value;
    return this;
  }

  /** How often to sample the server's {@code /metrics} (default 200 ms; zero disables). */
  public LoadTest metricsInterval(Duration value) {
    metricsInterval = Objects.requireNonNull(value, "metricsInterval");
    return this;
  }

  /** A name for the run, used in reports. */
  public LoadTest label(String value) {
    label = Objects.requireNonNull(value, "label");
    return this;
  }

  /** Runs the load test, blocking until every request has finished or timed out. */
  public BenchmarkResult run() {
    OkHttpClient client = client();
    try {
      String modelName = model != null ? model : firstModel(client);
      SplittableRandom random = new SplittableRandom(seed);
      String runId = "llmemu-load-" + Long.toHexString(random.nextLong() & 0xFFFFFFFFL);
      List<Shape> shapes = shapes(requests, random.split());
      if (warmup > 0) {
        List<Shape> warm = shapes(warmup, random.split());
        runClosed(
            client,
            modelName,
            warm,
            runId + "-warmup",
            Math.min(warmup, 8),
            System.nanoTime(),
            null);
      }
      Instant startedAt = Instant.now();
      long start = System.nanoTime();
      List<RequestRecord> records;
      List<MetricsSample> samples = List.of();
      MetricsScraper scraper =
          metricsInterval.isZero()
              ? null
              : new MetricsScraper(client, baseUrl, metricsInterval, start);
      try {
        long deadline = duration == null ? Long.MAX_VALUE : start + duration.toNanos();
        records =
            arrivals == null
                ? runClosed(client, modelName, shapes, runId, concurrency, start, deadline)
                : runOpen(client, modelName, shapes, runId, start, deadline, random.split());
      } finally {
        if (scraper != null) {
          scraper.close();
          samples = scraper.samples();
        }
      }
      long end = start;
      for (RequestRecord r : records) {
        Duration e2e = r.e2eLatency();
        long finish = r.start().toNanos() + (e2e == null ? 0 : e2e.toNanos());
        end = Math.max(end, start + finish);
      }
      records = attachServerTimings(client, runId, records);
      BenchmarkResult result =
          new BenchmarkResult(
              description(modelName),
              startedAt,
              Duration.ofNanos(end - start),
              records,
              samples,
              settings(modelName),
              slo);
      LoadReports.finished(result, label);
      return result;
    } finally {
      client.dispatcher().executorService().shutdown();
      client.connectionPool().evictAll();
    }
  }

  private OkHttpClient client() {
    Dispatcher dispatcher = new Dispatcher();
    dispatcher.setMaxRequests(100_000);
    dispatcher.setMaxRequestsPerHost(100_000);
    return new OkHttpClient.Builder()
        .dispatcher(dispatcher)
        .connectionPool(
            new ConnectionPool(Math.max(16, Math.min(requests, 2048)), 1, TimeUnit.MINUTES))
        .connectTimeout(Duration.ofSeconds(10))
        .readTimeout(requestTimeout)
        .callTimeout(requestTimeout)
        .retryOnConnectionFailure(false)
        .build();
  }

  private String firstModel(OkHttpClient client) {
    Request.Builder rb = new Request.Builder().url(baseUrl + "/v1/models");
    if (apiKey != null) {
      rb.header("Authorization", "Bearer " + apiKey);
    }
    try (Response response = client.newCall(rb.build()).execute()) {
      if (!response.isSuccessful()) {
        throw new IllegalStateException(
            "GET "
                + baseUrl
                + "/v1/models answered "
                + response.code()
                + "; set the model with model(...)");
      }
      JsonNode data = JSON.readTree(response.body().string()).path("data");
      if (!data.isArray() || data.isEmpty()) {
        throw new IllegalStateException(
            baseUrl + "/v1/models lists no model; set it with model(...)");
      }
      return data.get(0).path("id").asText();
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot reach " + baseUrl + "/v1/models: " + e.getMessage(), e);
    }
  }

  /** Prompt text and lengths of each request, drawn from the seed. */
  private record Shape(String prompt, int promptTokens, int maxTokens) {}

  private List<Shape> shapes(int count, SplittableRandom random) {
    SyntheticVocabulary vocab = SyntheticVocabulary.get();
    List<Shape> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int maxTokens = outputLength.sample(random);
      if (prompts != null) {
        String p = prompts.get(i % prompts.size());
        out.add(new Shape(p, 0, maxTokens));
        continue;
      }
      int length = promptLength.sample(random);
      StringBuilder text = new StringBuilder(length * 6);
      for (int k = 0; k < length; k++) {
        String word = vocab.textOf(vocab.wordToken(random.nextInt(vocab.size())));
        text.append(word);
      }
      out.add(new Shape(text.toString(), length, maxTokens));
    }
    return out;
  }

  private RequestRecord send(
      OkHttpClient client, String modelName, Shape shape, int index, String runId, long start) {
    String body =
        StreamedRequest.body(endpoint, modelName, shape.prompt, shape.maxTokens, ignoreEos);
    return StreamedRequest.send(
        client,
        baseUrl,
        apiKey,
        endpoint,
        body,
        index,
        runId + "-" + index,
        start,
        shape.promptTokens);
  }

  private List<RequestRecord> runOpen(
      OkHttpClient client,
      String modelName,
      List<Shape> shapes,
      String runId,
      long start,
      long deadline,
      SplittableRandom random) {
    ArrivalProcess process = Objects.requireNonNull(arrivals);
    long[] at = process.arrivalsNanos(shapes.size(), random);
    ExecutorService pool = Executors.newCachedThreadPool(daemon("llmemu-load"));
    Semaphore gate = concurrency > 0 ? new Semaphore(concurrency) : null;
    List<Future<RequestRecord>> futures = new ArrayList<>();
    try {
      for (int i = 0; i < shapes.size(); i++) {
        long sendAt = start + at[i];
        if (sendAt > deadline) {
          break;
        }
        for (long wait = sendAt - System.nanoTime(); wait > 0; wait = sendAt - System.nanoTime()) {
          LockSupport.parkNanos(wait);
        }
        if (gate != null) {
          gate.acquireUninterruptibly();
        }
        int index = i;
        Shape shape = shapes.get(i);
        futures.add(
            pool.submit(
                () -> {
                  try {
                    return send(client, modelName, shape, index, runId, start);
                  } finally {
                    if (gate != null) {
                      gate.release();
                    }
                  }
                }));
      }
      return collect(futures);
    } finally {
      pool.shutdownNow();
    }
  }

  private List<RequestRecord> runClosed(
      OkHttpClient client,
      String modelName,
      List<Shape> shapes,
      String runId,
      int inFlight,
      long start,
      @Nullable Long deadline) {
    int workers = Math.max(1, inFlight);
    ExecutorService pool = Executors.newFixedThreadPool(workers, daemon("llmemu-load"));
    AtomicInteger next = new AtomicInteger();
    RequestRecord[] results = new RequestRecord[shapes.size()];
    List<Future<?>> futures = new ArrayList<>();
    long stopAt = deadline == null ? Long.MAX_VALUE : deadline;
    try {
      for (int w = 0; w < workers; w++) {
        futures.add(
            pool.submit(
                () -> {
                  for (int i = next.getAndIncrement();
                      i < shapes.size() && System.nanoTime() < stopAt;
                      i = next.getAndIncrement()) {
                    results[i] = send(client, modelName, shapes.get(i), i, runId, start);
                  }
                }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("load test interrupted", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("load test worker failed", e.getCause());
    } finally {
      pool.shutdownNow();
    }
    List<RequestRecord> out = new ArrayList<>();
    for (RequestRecord r : results) {
      if (r != null) {
        out.add(r);
      }
    }
    return out;
  }

  private static List<RequestRecord> collect(List<Future<RequestRecord>> futures) {
    List<RequestRecord> out = new ArrayList<>(futures.size());
    try {
      for (Future<RequestRecord> f : futures) {
        out.add(f.get());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("load test interrupted", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("load test request failed", e.getCause());
    }
    return out;
  }

  /** Adds the engine's per-request timing when the server is llmemu (its /llmemu/requests). */
  private List<RequestRecord> attachServerTimings(
      OkHttpClient client, String runId, List<RequestRecord> records) {
    Map<String, ServerTiming> timings = new HashMap<>();
    Request.Builder rb =
        new Request.Builder().url(baseUrl + "/llmemu/requests?prefix=" + runId + "-");
    if (apiKey != null) {
      rb.header("Authorization", "Bearer " + apiKey);
    }
    try (Response response = client.newCall(rb.build()).execute()) {
      if (!response.isSuccessful()) {
        return records;
      }
      for (JsonNode n : JSON.readTree(response.body().string()).path("data")) {
        timings.put(
            n.path("request_id").asText(),
            new ServerTiming(
                millis(n.path("queue_time_ms").asDouble()),
                millis(n.path("prefill_time_ms").asDouble()),
                millis(n.path("decode_time_ms").asDouble()),
                n.path("preemptions").asInt(),
                n.path("cached_tokens").asInt()));
      }
    } catch (IOException | RuntimeException e) {
      return records; // not an llmemu server, or it is gone: client-side numbers stand alone
    }
    List<RequestRecord> out = new ArrayList<>(records.size());
    for (RequestRecord r : records) {
      out.add(r.withServer(timings.get(r.requestId())));
    }
    return out;
  }

  private static Duration millis(double ms) {
    return Duration.ofNanos(Math.round(ms * 1e6));
  }

  private String description(String modelName) {
    String load = arrivals == null ? "closed loop x" + concurrency : "open loop " + arrivals;
    return label
        + ": "
        + requests
        + " "
        + endpoint.name().toLowerCase(java.util.Locale.ROOT)
        + " requests to "
        + modelName
        + " at "
        + baseUrl
        + ", "
        + load
        + (prompts != null ? ", user prompts" : ", prompts " + promptLength)
        + ", outputs "
        + outputLength
        + (duration != null ? ", for at most " + duration : "");
  }

  private Map<String, Object> settings(String modelName) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("label", label);
    s.put("backend", "openai" + (endpoint == Endpoint.CHAT ? "-chat" : ""));
    s.put("endpoint_type", endpoint.path());
    s.put("model_id", modelName);
    s.put("base_url", baseUrl);
    s.put("num_prompts", requests);
    s.put("arrivals", arrivals == null ? "closed-loop" : arrivals.toString());
    s.put("max_concurrency", concurrency == 0 ? null : concurrency);
    s.put("ignore_eos", ignoreEos);
    s.put("seed", seed);
    return s;
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
