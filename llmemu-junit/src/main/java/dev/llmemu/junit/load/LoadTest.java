package dev.llmemu.junit.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmemu.engine.internal.text.SyntheticVocabulary;
import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.engine.workload.ArrivalProcess;
import dev.llmemu.engine.workload.LengthDistribution;
import dev.llmemu.engine.workload.LengthPair;
import dev.llmemu.engine.workload.LengthPairDistribution;
import dev.llmemu.engine.workload.ShareGptLengths;
import dev.llmemu.junit.internal.LoadReports;
import dev.llmemu.junit.internal.MetricsScraper;
import dev.llmemu.junit.internal.StreamedRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * Drives load against an OpenAI-compatible server (llmemu or a real vLLM) with streaming requests
 * and measures every request as {@code vllm bench serve} does.
 *
 * <pre>{@code
 * BenchmarkResult result = LoadTest.against(vllm)
 *     .openLoop(ArrivalProcess.poisson(20))
 *     .requests(500)
 *     .lengths(ShareGptLengths.pairs())
 *     .run();
 * assertThat(result).ttft().p99().isLessThan(Duration.ofMillis(300));
 * }</pre>
 *
 * <p><b>Load.</b> Open loop ({@link #openLoop}) sends request {@code i} at the arrival process's
 * i-th time whatever the server does, optionally capped at {@link #maxConcurrency} requests in
 * flight (as {@code vllm bench serve --max-concurrency}: a request past the cap waits, and its
 * clock starts when it is sent). Closed loop ({@link #closedLoop}) keeps a fixed number of clients
 * busy, each sending its next request when its last one ends. A run stops sending after {@link
 * #requests} requests or, if set, after {@link #duration}, whichever comes first; requests in
 * flight then finish. {@link #warmup} requests go first and are not measured.
 *
 * <p><b>Requests.</b> Streaming completions (default) or chat completions ({@link #endpoint}), with
 * {@code stream_options.include_usage} and, unless switched off, {@code ignore_eos} so outputs are
 * exactly their {@code max_tokens}. Lengths are fixed, uniform, ShareGPT-like ({@link
 * ShareGptLengths}) or your own list; prompts are built from words that are single {@code
 * cl100k_base} tokens, so a prompt of N words is N tokens to llmemu (a real model's tokenizer
 * counts differently), or are your own ({@link #prompts}). Everything random follows from {@link
 * #seed}: request {@code i} has the same shape in every run.
 *
 * <p><b>Measurement</b> ({@link RequestRecord}, {@link BenchmarkResult}): TTFT, TPOT = (E2E −
 * TTFT)/(output tokens − 1), ITL (every gap, pooled), E2E, with {@code vllm bench serve}'s
 * definitions; failures by kind (HTTP status, error event, time-out, connection). Against llmemu
 * the result also carries the engine's own per-request timing (queue, prefill, decode, preemptions)
 * and the server's queue and KV-cache usage over time, sampled from {@code /metrics}.
 *
 * <p><b>Threads.</b> Each request in flight holds one thread reading its stream (OkHttp's blocking
 * I/O), with a small stack: thousands of concurrent streams are fine. A {@code LoadTest} is a
 * mutable builder: configure it on one thread, then {@link #run()} it (as often as you like).
 *
 * <p><b>Reports.</b> Every run writes {@code <name>.json} ({@code vllm bench serve --save-result}
 * keys) and {@code <name>.png} (latency CDFs, server state over time) under {@code
 * target/llmemu-reports} (or {@code -Dllmemu.reports.dir}); inside a test that uses
 * {@code @EmulatedVllm} or {@code EmulatedVllmExtension} it also publishes JUnit report entries.
 */
public final class LoadTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long THREAD_STACK_BYTES = 256 * 1024;
  private static final int PRESTARTED_THREADS = 2048;
  // The names of ArrivalProcess's factories: "poisson(20.0/s)", "gamma(8.0/s, burstiness=0.5)".
  private static final Pattern RATE =
      Pattern.compile(
          "(poisson|gamma|constant)\\(([0-9.Ee+-]+)/s(?:, burstiness=([0-9.Ee+-]+))?\\)");

  private final String baseUrl;
  private @Nullable String apiKey;
  private Endpoint endpoint = Endpoint.COMPLETIONS;
  private @Nullable String model;
  private ArrivalProcess arrivals = ArrivalProcess.allAtOnce();
  private int closedLoopClients;
  private int maxConcurrency;
  private int requests = 100;
  private @Nullable Duration duration;
  private LengthPairDistribution lengths =
      LengthPairDistribution.independent(
          LengthDistribution.fixed(256), LengthDistribution.fixed(128));
  private LengthDistribution promptLength = LengthDistribution.fixed(256);
  private LengthDistribution outputLength = LengthDistribution.fixed(128);
  private @Nullable List<LengthPair> lengthList;
  private @Nullable List<String> prompts;
  private boolean ignoreEos = true;
  private int warmup;
  private Duration requestTimeout = Duration.ofMinutes(5);
  private @Nullable Slo slo;
  private long seed;
  private Duration metricsInterval = Duration.ofMillis(200);
  private String label = "load";
  private final Map<String, String> headers = new LinkedHashMap<>();
  private IntFunction<Map<String, String>> requestHeaders = i -> Map.of();
  private boolean report = true;
  private @Nullable Path reportDirectory;
  private @Nullable String upstream;

  private LoadTest(String baseUrl) {
    this.baseUrl = root(Objects.requireNonNull(baseUrl, "baseUrl"));
  }

  private static Duration positive(Duration value, String what) {
    Objects.requireNonNull(value, what);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, got " + value);
    }
    return value;
  }

  /** A server's root: without a trailing slash or {@code /v1}. */
  private static String root(String url) {
    String b = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    return b.endsWith("/v1") ? b.substring(0, b.length() - 3) : b;
  }

  /**
   * A load test against the server at {@code baseUrl}: its root ({@code http://host:8000}); an
   * OpenAI base URL ending in {@code /v1} is accepted too.
   */
  public static LoadTest against(String baseUrl) {
    return new LoadTest(baseUrl);
  }

  /** A load test against {@code server} (an injected or hand-built {@link EmulatedVllmServer}). */
  public static LoadTest against(EmulatedVllmServer server) {
    return new LoadTest(server.baseUrl());
  }

  /**
   * The llmemu server behind the target, when the target is your own service in front of it (a chat
   * backend, a gateway) that speaks the OpenAI streaming format: the engine's per-request timing
   * ({@code GET /llmemu/requests}) and the {@code /metrics} timeline are then read from this server
   * instead of the target, so that a failed latency assertion still shows how long each request
   * queued in the engine. Requests are matched by their {@code X-Request-Id}, which the service
   * must pass on to the server (as it would for tracing); a request it does not pass on has no
   * server timing. The server's own calls carry no API key.
   *
   * <pre>{@code
   * LoadTest.against(myService.baseUrl()).upstream(vllm).endpoint(Endpoint.CHAT)...
   * }</pre>
   */
  public LoadTest upstream(EmulatedVllmServer server) {
    return upstream(server.baseUrl());
  }

  /** As {@link #upstream(EmulatedVllmServer)}, for the server at {@code baseUrl}. */
  public LoadTest upstream(String baseUrl) {
    upstream = root(Objects.requireNonNull(baseUrl, "baseUrl"));
    return this;
  }

  /** Sends {@code Authorization: Bearer <key>} (servers started with {@code --api-key}). */
  public LoadTest apiKey(String key) {
    apiKey = Objects.requireNonNull(key, "key");
    return this;
  }

  /** Completions (default) or chat completions, with {@code vllm bench serve}'s payloads. */
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
   * Open loop (the default, with every request at once): request {@code i} is sent at the process's
   * i-th arrival time, whatever the server does. Combine with {@link #maxConcurrency} to cap
   * requests in flight.
   */
  public LoadTest openLoop(ArrivalProcess process) {
    arrivals = Objects.requireNonNull(process, "process");
    closedLoopClients = 0;
    return this;
  }

  /** Closed loop: {@code clients} clients, each sending its next request when one finishes. */
  public LoadTest closedLoop(int clients) {
    if (clients < 1) {
      throw new IllegalArgumentException("closed loop needs at least 1 client, got " + clients);
    }
    closedLoopClients = clients;
    return this;
  }

  /**
   * Open loop only: at most this many requests in flight (0, the default: no cap), as {@code vllm
   * bench serve --max-concurrency}.
   */
  public LoadTest maxConcurrency(int value) {
    if (value < 0) {
      throw new IllegalArgumentException("max concurrency must not be negative, got " + value);
    }
    maxConcurrency = value;
    return this;
  }

  /** How many requests to send at most (default 100), warm-up not included. */
  public LoadTest requests(int count) {
    if (count < 1) {
      throw new IllegalArgumentException("request count must be at least 1, got " + count);
    }
    requests = count;
    return this;
  }

  /**
   * Stops sending new requests this long after the start, even if fewer than {@link #requests} were
   * sent; requests in flight finish.
   */
  public LoadTest duration(Duration value) {
    duration = positive(value, "duration");
    return this;
  }

  /** Prompt lengths in tokens (default 256), drawn independently of output lengths. */
  public LoadTest promptLength(LengthDistribution value) {
    promptLength = Objects.requireNonNull(value, "promptLength");
    lengths = LengthPairDistribution.independent(promptLength, outputLength);
    lengthList = null;
    return this;
  }

  /** {@code max_tokens} of each request (default 128), drawn independently of prompt lengths. */
  public LoadTest outputLength(LengthDistribution value) {
    outputLength = Objects.requireNonNull(value, "outputLength");
    lengths = LengthPairDistribution.independent(promptLength, outputLength);
    lengthList = null;
    return this;
  }

  /**
   * Prompt and output lengths drawn as pairs, e.g. {@link ShareGptLengths#pairs()} (synthetic
   * ShareGPT-like lengths) or {@link LengthPairDistribution#choice(List)}.
   */
  public LoadTest lengths(LengthPairDistribution value) {
    lengths = Objects.requireNonNull(value, "lengths");
    lengthList = null;
    return this;
  }

  /**
   * Your own request shapes, used in order: request {@code i} gets {@code pairs.get(i % size)}
   * (replaying a trace). For a random draw from the list use {@link
   * LengthPairDistribution#choice(List)}.
   */
  public LoadTest lengths(List<LengthPair> pairs) {
    if (pairs.isEmpty()) {
      throw new IllegalArgumentException("length pairs must not be empty");
    }
    lengthList = List.copyOf(pairs);
    return this;
  }

  /**
   * Your own prompts, used in order ({@code prompts.get(i % size)}) instead of generated ones;
   * output lengths still come from the length settings. Prompt token counts are then the server's
   * ({@code usage.prompt_tokens}).
   */
  public LoadTest prompts(List<String> value) {
    if (value.isEmpty()) {
      throw new IllegalArgumentException("prompts must not be empty");
    }
    prompts = List.copyOf(value);
    return this;
  }

  /**
   * Whether requests set {@code ignore_eos} (default true: outputs are exactly {@code max_tokens},
   * as with {@code vllm bench serve --ignore-eos}).
   */
  public LoadTest ignoreEos(boolean value) {
    ignoreEos = value;
    return this;
  }

  /**
   * Requests sent before the measured run (up to 8 at a time, shaped as the run's), to warm up
   * connections, JIT and caches; they are not in the result (default 0).
   */
  public LoadTest warmup(int count) {
    if (count < 0) {
      throw new IllegalArgumentException("warm-up count must not be negative, got " + count);
    }
    warmup = count;
    return this;
  }

  /** A request that takes longer fails with a {@code TIMEOUT} error (default 5 minutes). */
  public LoadTest requestTimeout(Duration value) {
    requestTimeout = positive(value, "request timeout");
    return this;
  }

  /** The SLO for {@code request_goodput} and SLO attainment in the result and its report. */
  public LoadTest slo(Slo value) {
    slo = Objects.requireNonNull(value, "slo");
    return this;
  }

  /** Seeds prompt contents, lengths and arrival times (default 0). */
  public LoadTest seed(long value) {
    seed = value;
    return this;
  }

  /** How often to sample the server's {@code /metrics} (default 200 ms; zero: never). */
  public LoadTest metricsInterval(Duration value) {
    Objects.requireNonNull(value, "metricsInterval");
    if (value.isNegative()) {
      throw new IllegalArgumentException("metrics interval must not be negative, got " + value);
    }
    metricsInterval = value;
    return this;
  }

  /** A name for the run, used in descriptions, report file names and report entries. */
  public LoadTest label(String value) {
    label = Objects.requireNonNull(value, "label");
    return this;
  }

  /**
   * A header sent with every request, e.g. llmemu's fault injection: {@code
   * header("X-Llmemu-Drop-After-Tokens", "3")}.
   */
  public LoadTest header(String name, String value) {
    headers.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
    return this;
  }

  /**
   * Headers for request {@code i} (added to {@link #header}'s), e.g. to fail every tenth one:
   * {@code requestHeaders(i -> i % 10 == 0 ? Map.of("X-Llmemu-Error-Status", "503") : Map.of())}.
   */
  public LoadTest requestHeaders(IntFunction<Map<String, String>> value) {
    requestHeaders = Objects.requireNonNull(value, "requestHeaders");
    return this;
  }

  /** Whether {@link #run()} writes its report files (default true). */
  public LoadTest report(boolean value) {
    report = value;
    return this;
  }

  /** Where report files go (default {@code -Dllmemu.reports.dir}, else target/llmemu-reports). */
  public LoadTest reportDirectory(Path value) {
    reportDirectory = Objects.requireNonNull(value, "reportDirectory");
    return this;
  }

  /**
   * Runs the load, blocking until every request has finished, failed or timed out.
   *
   * @throws IllegalStateException if the server cannot be reached to find its model
   */
  public BenchmarkResult run() {
    Config c = snapshot();
    OkHttpClient client = client(c);
    try {
      String modelName = c.model != null ? c.model : firstModel(client, c);
      // Unique per run, so that the server's timing of an earlier run is never taken for this one.
      String runId = "llmemu-" + UUID.randomUUID().toString().substring(0, 8);
      if (c.warmup > 0) {
        // Warm-up shapes come from another stream, so the measured requests do not change.
        Config w = c.forWarmup();
        int clients = Math.min(w.requests, 8);
        runClosed(client, w, modelName, runId + "w", clients, pool(clients), System.nanoTime());
      }
      // Threads are started before the clock: dispatching a request is then a hand-over.
      int inFlight =
          c.closedLoopClients > 0
              ? c.closedLoopClients
              : c.maxConcurrency > 0 ? Math.min(c.maxConcurrency, c.requests) : c.requests;
      ThreadPoolExecutor pool = pool(Math.min(inFlight, PRESTARTED_THREADS));
      Instant startedAt = Instant.now();
      long start = System.nanoTime();
      MetricsScraper scraper =
          c.metricsInterval.isZero()
              ? null
              : new MetricsScraper(client, c.observed(baseUrl), c.metricsInterval, start);
      List<RequestRecord> records;
      long end;
      List<MetricsSample> samples = List.of();
      try {
        records =
            c.closedLoopClients > 0
                ? runClosed(client, c, modelName, runId, c.closedLoopClients, pool, start)
                : runOpen(client, c, modelName, runId, pool, start);
        end = System.nanoTime();
      } finally {
        if (scraper != null) {
          scraper.close();
          samples = scraper.samples();
        }
      }
      records = attachServerTimings(client, c, runId, records);
      BenchmarkResult result =
          new BenchmarkResult(
              description(c, modelName),
              startedAt,
              Duration.ofNanos(end - start),
              records,
              samples,
              settings(c, modelName),
              c.slo);
      if (c.report) {
        LoadReports.finished(result, c.label, c.reportDirectory);
      }
      return result;
    } finally {
      client.dispatcher().cancelAll();
      client.dispatcher().executorService().shutdown();
      client.connectionPool().evictAll();
    }
  }

  /** An immutable copy of the settings, so a run is not affected by later builder calls. */
  private Config snapshot() {
    return new Config(
        apiKey,
        endpoint,
        model,
        arrivals,
        closedLoopClients,
        maxConcurrency,
        requests,
        duration,
        lengths,
        lengthList,
        prompts,
        ignoreEos,
        warmup,
        requestTimeout,
        slo,
        seed,
        metricsInterval,
        label,
        Map.copyOf(headers),
        requestHeaders,
        report,
        reportDirectory,
        upstream,
        0);
  }

  private record Config(
      @Nullable String apiKey,
      Endpoint endpoint,
      @Nullable String model,
      ArrivalProcess arrivals,
      int closedLoopClients,
      int maxConcurrency,
      int requests,
      @Nullable Duration duration,
      LengthPairDistribution lengths,
      @Nullable List<LengthPair> lengthList,
      @Nullable List<String> prompts,
      boolean ignoreEos,
      int warmup,
      Duration requestTimeout,
      @Nullable Slo slo,
      long seed,
      Duration metricsInterval,
      String label,
      Map<String, String> headers,
      IntFunction<Map<String, String>> requestHeaders,
      boolean report,
      @Nullable Path reportDirectory,
      @Nullable String upstream,
      long shapeStream) {

    /** Where the engine's timing and metrics are read: the upstream server, else the target. */
    String observed(String target) {
      return upstream != null ? upstream : target;
    }

    Config forWarmup() {
      return new Config(
          apiKey,
          endpoint,
          model,
          arrivals,
          closedLoopClients,
          maxConcurrency,
          warmup,
          null,
          lengths,
          lengthList,
          prompts,
          ignoreEos,
          0,
          requestTimeout,
          slo,
          seed,
          metricsInterval,
          label,
          headers,
          i -> Map.of(),
          false,
          reportDirectory,
          upstream,
          1);
    }

    @Nullable Long deadline(long start) {
      return duration == null ? null : start + duration.toNanos();
    }
  }

  private static OkHttpClient client(Config c) {
    Dispatcher dispatcher = new Dispatcher();
    dispatcher.setMaxRequests(Integer.MAX_VALUE);
    dispatcher.setMaxRequestsPerHost(Integer.MAX_VALUE);
    return new OkHttpClient.Builder()
        .dispatcher(dispatcher)
        .connectionPool(new ConnectionPool(Math.min(c.requests, 4096), 1, TimeUnit.MINUTES))
        .connectTimeout(Duration.ofSeconds(10))
        .readTimeout(c.requestTimeout)
        .callTimeout(c.requestTimeout)
        .retryOnConnectionFailure(false)
        .build();
  }

  private String firstModel(OkHttpClient client, Config c) {
    Request.Builder rb = new Request.Builder().url(baseUrl + "/v1/models");
    if (c.apiKey != null) {
      rb.header("Authorization", "Bearer " + c.apiKey);
    }
    try (Response response = client.newCall(rb.build()).execute()) {
      if (!response.isSuccessful()) {
        throw new IllegalStateException(
            "GET "
                + baseUrl
                + "/v1/models answered "
                + response.code()
                + "; set the model with LoadTest.model(...)"
                + (response.code() == 401 ? " and the key with apiKey(...)" : ""));
      }
      JsonNode data = JSON.readTree(response.body().string()).path("data");
      if (!data.isArray() || data.isEmpty()) {
        throw new IllegalStateException(
            baseUrl + "/v1/models lists no model; set it with LoadTest.model(...)");
      }
      return data.get(0).path("id").asText();
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot reach " + baseUrl + "/v1/models: " + e.getMessage(), e);
    }
  }

  /** Prompt text and lengths of one request. */
  private record Shape(String prompt, int promptTokens, int maxTokens) {}

  /** Request {@code i}'s shape: a pure function of the seed, the stream and {@code i}. */
  private static Shape shape(Config c, int i) {
    SplittableRandom random = new SplittableRandom(mix(c.seed, c.shapeStream, i));
    LengthPair lengths =
        c.lengthList != null ? c.lengthList.get(i % c.lengthList.size()) : c.lengths.sample(random);
    if (c.prompts != null) {
      return new Shape(c.prompts.get(i % c.prompts.size()), -1, lengths.output());
    }
    SyntheticVocabulary vocab = SyntheticVocabulary.get();
    StringBuilder text = new StringBuilder(lengths.prompt() * 7);
    for (int k = 0; k < lengths.prompt(); k++) {
      text.append(vocab.textOf(vocab.wordToken(random.nextInt(vocab.size()))));
    }
    return new Shape(text.toString(), lengths.prompt(), lengths.output());
  }

  private static long mix(long seed, long stream, int index) {
    long z = seed * 0x9E3779B97F4A7C15L + stream * 0xC2B2AE3D27D4EB4FL + index;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private RequestRecord send(
      OkHttpClient client, Config c, String modelName, int index, String runId, long start) {
    Shape shape = shape(c, index);
    String body =
        StreamedRequest.body(c.endpoint, modelName, shape.prompt, shape.maxTokens, c.ignoreEos);
    Map<String, String> h = new LinkedHashMap<>(c.headers);
    h.putAll(c.requestHeaders.apply(index));
    if (c.apiKey != null) {
      h.put("Authorization", "Bearer " + c.apiKey);
    }
    return StreamedRequest.send(
        client,
        baseUrl,
        h,
        c.endpoint,
        body,
        index,
        runId + "-" + index,
        start,
        shape.promptTokens);
  }

  private List<RequestRecord> runOpen(
      OkHttpClient client,
      Config c,
      String modelName,
      String runId,
      ExecutorService pool,
      long start) {
    long[] at = c.arrivals.arrivalsNanos(c.requests, new SplittableRandom(mix(c.seed, 2, 0)));
    Long deadline = c.deadline(start);
    AtomicReferenceArray<RequestRecord> results = new AtomicReferenceArray<>(c.requests);
    java.util.concurrent.Semaphore gate =
        c.maxConcurrency > 0 ? new java.util.concurrent.Semaphore(c.maxConcurrency) : null;
    int sent = 0;
    CountDownLatch done = new CountDownLatch(c.requests);
    try {
      for (int i = 0; i < c.requests; i++) {
        long sendAt = start + at[i];
        if (deadline != null && sendAt - deadline > 0) {
          break;
        }
        for (long wait = sendAt - System.nanoTime(); wait > 0; wait = sendAt - System.nanoTime()) {
          LockSupport.parkNanos(wait);
          checkInterrupted(client);
        }
        if (gate != null) {
          acquire(gate, client);
          if (deadline != null && System.nanoTime() - deadline > 0) {
            gate.release();
            break;
          }
        }
        int index = i;
        pool.execute(
            () -> {
              try {
                results.set(index, send(client, c, modelName, index, runId, start));
              } finally {
                if (gate != null) {
                  gate.release();
                }
                done.countDown();
              }
            });
        sent++;
      }
      for (int i = sent; i < c.requests; i++) {
        done.countDown();
      }
      await(done, client);
    } finally {
      pool.shutdownNow();
    }
    return collect(results, sent);
  }

  private List<RequestRecord> runClosed(
      OkHttpClient client,
      Config c,
      String modelName,
      String runId,
      int clients,
      ExecutorService pool,
      long start) {
    Long deadline = c.deadline(start);
    AtomicReferenceArray<RequestRecord> results = new AtomicReferenceArray<>(c.requests);
    AtomicInteger next = new AtomicInteger();
    AtomicInteger sent = new AtomicInteger();
    int workers = Math.min(clients, c.requests);
    CountDownLatch done = new CountDownLatch(workers);
    try {
      for (int w = 0; w < workers; w++) {
        pool.execute(
            () -> {
              try {
                for (int i = next.getAndIncrement();
                    i < c.requests
                        && (deadline == null || System.nanoTime() - deadline < 0)
                        && !Thread.currentThread().isInterrupted();
                    i = next.getAndIncrement()) {
                  results.set(i, send(client, c, modelName, i, runId, start));
                  sent.incrementAndGet();
                }
              } finally {
                done.countDown();
              }
            });
      }
      await(done, client);
    } finally {
      pool.shutdownNow();
    }
    return collect(results, c.requests);
  }

  private static List<RequestRecord> collect(AtomicReferenceArray<RequestRecord> results, int n) {
    List<RequestRecord> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      RequestRecord r = results.get(i);
      if (r != null) {
        out.add(r);
      }
    }
    return out;
  }

  /**
   * Threads with small stacks, one per request in flight; {@code prestarted} of them wait ready,
   * more are made as needed.
   */
  private static ThreadPoolExecutor pool(int prestarted) {
    AtomicInteger n = new AtomicInteger();
    ThreadFactory factory =
        r -> {
          Thread t = new Thread(null, r, "llmemu-load-" + n.incrementAndGet(), THREAD_STACK_BYTES);
          t.setDaemon(true);
          return t;
        };
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            prestarted, Integer.MAX_VALUE, 10, TimeUnit.SECONDS, new SynchronousQueue<>(), factory);
    pool.allowCoreThreadTimeOut(true);
    pool.prestartAllCoreThreads();
    return pool;
  }

  private static void acquire(java.util.concurrent.Semaphore gate, OkHttpClient client) {
    try {
      gate.acquire();
    } catch (InterruptedException e) {
      interrupted(client, e);
    }
  }

  private static void await(CountDownLatch done, OkHttpClient client) {
    try {
      done.await();
    } catch (InterruptedException e) {
      interrupted(client, e);
    }
  }

  private static void checkInterrupted(OkHttpClient client) {
    if (Thread.currentThread().isInterrupted()) {
      interrupted(client, new InterruptedException());
    }
  }

  private static void interrupted(OkHttpClient client, InterruptedException e) {
    client.dispatcher().cancelAll();
    Thread.currentThread().interrupt();
    throw new IllegalStateException("load test interrupted; requests in flight were cancelled", e);
  }

  /**
   * Adds the engine's per-request timing when the server is llmemu ({@code GET /llmemu/requests}).
   * The engine records a request just after its last token is sent, so the last few may need a
   * moment to appear.
   */
  private List<RequestRecord> attachServerTimings(
      OkHttpClient client, Config c, String runId, List<RequestRecord> records) {
    long wanted = records.stream().filter(RequestRecord::success).count();
    Map<String, ServerTiming> timings = new HashMap<>();
    long giveUp = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    while (true) {
      Map<String, ServerTiming> found = fetchServerTimings(client, c, runId);
      if (found == null) {
        return records; // not llmemu: client-side numbers stand alone
      }
      timings = found;
      long matched =
          records.stream().filter(r -> r.success() && found.containsKey(r.requestId())).count();
      if (matched >= wanted || System.nanoTime() - giveUp > 0) {
        break;
      }
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
    List<RequestRecord> out = new ArrayList<>(records.size());
    for (RequestRecord r : records) {
      out.add(r.withServer(timings.get(r.requestId())));
    }
    return out;
  }

  private @Nullable Map<String, ServerTiming> fetchServerTimings(
      OkHttpClient client, Config c, String runId) {
    Request.Builder rb =
        new Request.Builder().url(c.observed(baseUrl) + "/llmemu/requests?prefix=" + runId + "-");
    if (c.apiKey != null && c.upstream == null) {
      rb.header("Authorization", "Bearer " + c.apiKey);
    }
    try (Response response = client.newCall(rb.build()).execute()) {
      if (!response.isSuccessful()) {
        return null;
      }
      Map<String, ServerTiming> timings = new HashMap<>();
      for (JsonNode n : JSON.readTree(response.body().string()).path("data")) {
        if (n.path("prompt_index").asInt() != 0 || n.path("choice").asInt() != 0) {
          continue;
        }
        timings.put(
            n.path("request_id").asText(),
            new ServerTiming(
                millis(n.path("queue_time_ms").asDouble()),
                millis(n.path("prefill_time_ms").asDouble()),
                millis(n.path("decode_time_ms").asDouble()),
                n.path("preemptions").asInt(),
                n.path("prompt_tokens").asInt(),
                n.path("cached_tokens").asInt()));
      }
      return timings;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static Duration millis(double ms) {
    return Duration.ofNanos(Math.round(ms * 1e6));
  }

  private String description(Config c, String modelName) {
    String load =
        c.closedLoopClients > 0
            ? "closed loop, " + c.closedLoopClients + " clients"
            : "open loop " + c.arrivals + (c.maxConcurrency > 0 ? " max " + c.maxConcurrency : "");
    return c.label
        + ": "
        + c.requests
        + " "
        + c.endpoint.name().toLowerCase(Locale.ROOT)
        + " requests to "
        + modelName
        + " at "
        + baseUrl
        + (c.upstream != null ? " (in front of " + c.upstream + ")" : "")
        + ", "
        + load
        + ", "
        + (c.lengthList != null ? c.lengthList.size() + " given length pairs" : c.lengths)
        + (c.prompts != null ? ", given prompts" : "")
        + (c.duration != null ? ", for at most " + c.duration : "");
  }

  private Map<String, Object> settings(Config c, String modelName) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("backend", c.endpoint == Endpoint.CHAT ? "openai-chat" : "openai");
    s.put("endpoint_type", c.endpoint == Endpoint.CHAT ? "openai-chat" : "openai");
    s.put("label", c.label);
    s.put("model_id", modelName);
    s.put("tokenizer_id", null);
    s.put("num_prompts", c.requests);
    Matcher m = RATE.matcher(c.arrivals.toString());
    boolean rated = c.closedLoopClients == 0 && m.matches();
    boolean infinite = c.closedLoopClients > 0 || c.arrivals.toString().equals("all-at-once");
    // vllm bench's request_rate; null for an arrival process of your own
    s.put(
        "request_rate",
        infinite ? (Object) "inf" : rated ? (Object) Double.parseDouble(m.group(2)) : null);
    Double burstiness = 1.0; // vllm bench's default, and Poisson's
    if (rated && m.group(1).equals("gamma")) {
      burstiness = Double.parseDouble(m.group(3));
    } else if (rated && m.group(1).equals("constant")) {
      burstiness = null; // evenly spaced: not a gamma process
    }
    s.put("burstiness", burstiness);
    s.put(
        "max_concurrency",
        c.closedLoopClients > 0
            ? (Object) c.closedLoopClients
            : c.maxConcurrency > 0 ? (Object) c.maxConcurrency : null);
    s.put("llmemu_base_url", baseUrl);
    s.put("llmemu_upstream", c.upstream);
    s.put("llmemu_endpoint", c.endpoint.path());
    s.put("llmemu_arrivals", c.closedLoopClients > 0 ? "closed loop" : c.arrivals.toString());
    s.put("llmemu_lengths", c.lengthList != null ? "given list" : c.lengths.toString());
    s.put("llmemu_ignore_eos", c.ignoreEos);
    s.put("llmemu_warmup", c.warmup);
    s.put("llmemu_duration_limit_s", c.duration == null ? null : c.duration.toNanos() / 1e9);
    s.put("llmemu_seed", c.seed);
    return s;
  }
}
