package dev.llmemu.engine.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmemu.engine.Engine;
import dev.llmemu.engine.EngineConfig;
import dev.llmemu.engine.EngineObserver;
import dev.llmemu.engine.FinishReason;
import dev.llmemu.engine.OutputLengthModel;
import dev.llmemu.engine.RequestResult;
import dev.llmemu.engine.StepLatencyModel;
import dev.llmemu.engine.StepStats;
import dev.llmemu.engine.internal.server.AdminHooks;
import dev.llmemu.engine.internal.server.AdminJson;
import dev.llmemu.engine.internal.server.Faults;
import dev.llmemu.engine.internal.server.HttpServer;
import dev.llmemu.engine.internal.server.ServerSettings;
import dev.llmemu.engine.internal.server.VllmMetrics;
import dev.llmemu.engine.internal.text.Tokenizer;
import dev.llmemu.engine.profile.HardwareProfile;
import dev.llmemu.engine.profile.Profiles;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The in-process {@link EmulatedVllmServer}: vLLM's OpenAI-compatible HTTP API in front of the
 * emulated engine, running in this JVM on a real port.
 *
 * <pre>{@code
 * try (EmulatedVllmServer server = EmulatedVllmServer.builder().seed(42).start()) {
 *   OpenAIClient client =
 *       OpenAIOkHttpClient.builder().baseUrl(server.openAiBaseUrl()).apiKey("unused").build();
 *   ... // the code under test calls the server
 *   RecordedRequest request = server.takeRequest();
 *   assertThat(request.model()).isEqualTo(server.servedModelName());
 * }
 * }</pre>
 *
 * <p>Without {@link Builder#profile}, the server runs {@link Profiles#DEFAULT_PROFILE}. It binds to
 * 127.0.0.1 on an ephemeral port unless told otherwise. {@link #start()} is explicit (a second call
 * does nothing); {@link #close()} is idempotent, and a closed server cannot be started again.
 * Thread-safe.
 */
final class LocalVllmServer implements EmulatedVllmServer {
  private enum State {
    NEW,
    STARTED,
    CLOSED
  }

  private final HardwareProfile profile;
  private final EngineConfig engineConfig;
  private final StepLatencyModel latencyModel;
  private final OutputLengthModel outputLengthModel;
  private final List<String> servedModelNames;
  private final String host;
  private final int requestedPort;
  private final List<String> apiKeys;
  private final double timeScale;
  private final Duration readinessDelay;
  private final int maxWaitingRequests;
  private final int maxRequestBodyBytes;
  private final boolean enablePromptTokensDetails;
  private final boolean enableForceIncludeUsage;
  private final boolean recordRequests;
  private final double failureRate;
  private final int failureStatus;
  private final @Nullable Integer ioThreads;
  private final Duration frontendLatency;
  private final Duration frontendPerOutput;

  private final LinkedBlockingQueue<RecordedRequest> recorded = new LinkedBlockingQueue<>();
  private final AtomicInteger requestCount = new AtomicInteger();
  // For remote handles (GET /llmemu/recorded) and load tests (GET /llmemu/requests): bounded.
  private final BoundedLog<RecordedRequest> recordedLog = new BoundedLog<>(10_000);
  private final BoundedLog<RequestResult> timings = new BoundedLog<>(50_000);
  private final AdminHooks admin =
      new AdminHooks() {
        @Override
        public ObjectNode recorded(long after, int limit) {
          ObjectNode n = JsonNodeFactory.instance.objectNode();
          n.put("request_count", requestCount.get());
          ArrayNode data = n.putArray("data");
          for (RecordedRequest r : recordedLog.snapshot()) {
            if (r.sequenceNumber() > after && data.size() < limit) {
              data.add(AdminJson.recorded(r));
            }
          }
          return n;
        }

        @Override
        public ObjectNode timings(String prefix) {
          ObjectNode n = JsonNodeFactory.instance.objectNode();
          ArrayNode data = n.putArray("data");
          for (RequestResult r : timings.snapshot()) {
            // engine ids are "<cmpl|chatcmpl>-<client id>-<prompt index>-<sequence>"
            String id = r.parentRequestId();
            int dash = id.indexOf('-');
            int last = id.lastIndexOf('-');
            int prev = last > dash ? id.lastIndexOf('-', last - 1) : -1;
            if (dash < 0 || prev <= dash) {
              continue;
            }
            String client = id.substring(dash + 1, prev);
            if (client.startsWith(prefix)) {
              int index = Integer.parseInt(id.substring(prev + 1, last));
              data.add(AdminJson.timing(client, index, r));
            }
          }
          return n;
        }

        @Override
        public void reset() {
          LocalVllmServer.this.reset();
        }
      };
  private final Object lock = new Object();
  private State state = State.NEW;
  private @Nullable Engine engine;
  private @Nullable VllmMetrics metrics;
  private @Nullable HttpServer http;
  private @Nullable Faults faults;
  private int port = -1;

  LocalVllmServer(Builder b) {
    this.profile = b.profile();
    this.engineConfig = b.engineConfig();
    this.latencyModel = b.latencyModel != null ? b.latencyModel : profile.latencyModel();
    this.outputLengthModel = b.outputLengthModel;
    this.servedModelNames =
        b.servedModelNames.isEmpty() ? List.of(profile.model()) : List.copyOf(b.servedModelNames);
    this.host = b.host;
    this.requestedPort = b.port;
    this.apiKeys = List.copyOf(b.apiKeys);
    this.timeScale = b.timeScale;
    this.readinessDelay = b.readinessDelay;
    this.maxWaitingRequests = b.maxWaitingRequests;
    this.maxRequestBodyBytes = b.maxRequestBodyBytes;
    this.enablePromptTokensDetails = b.enablePromptTokensDetails;
    this.enableForceIncludeUsage = b.enableForceIncludeUsage;
    this.recordRequests = b.recordRequests;
    this.failureRate = b.failureRate;
    this.failureStatus = b.failureStatus;
    this.ioThreads = b.ioThreads;
    // vLLM's API-server costs come with the profile's latency model; a custom latency model
    // (a constant step in a test) models the whole server, unless frontend(...) says otherwise.
    if (b.frontendLatency != null) {
      this.frontendLatency = b.frontendLatency;
      this.frontendPerOutput = java.util.Objects.requireNonNull(b.frontendPerOutput);
    } else if (b.latencyModel == null) {
      this.frontendLatency = profile.frontendLatency();
      this.frontendPerOutput = profile.frontendPerOutput();
    } else {
      this.frontendLatency = Duration.ZERO;
      this.frontendPerOutput = Duration.ZERO;
    }
  }

  /**
   * Starts the engine and binds the port. Calling it again does nothing.
   *
   * @throws IllegalStateException if the server was closed
   * @throws java.io.UncheckedIOException if the port cannot be bound
   */
  public LocalVllmServer start() {
    synchronized (lock) {
      if (state == State.STARTED) {
        return this;
      }
      if (state == State.CLOSED) {
        throw new IllegalStateException("close() already called");
      }
      Tokenizer.preload();
      VllmMetrics m = new VllmMetrics(servedModelNames.get(0), engineConfig);
      HttpServer[] httpRef = new HttpServer[1];
      EngineObserver observer =
          new EngineObserver() {
            @Override
            public void onStep(StepStats stats) {
              m.onStep(stats);
              HttpServer h = httpRef[0];
              if (h != null) {
                h.onStep(stats.deliveredNanos());
              }
            }

            @Override
            public void onFirstToken(String requestId, long ttftNanos) {
              m.onFirstToken(requestId, ttftNanos);
            }

            @Override
            public void onInterTokenLatency(long nanos) {
              m.onInterTokenLatency(nanos);
            }

            @Override
            public void onRequestFinished(RequestResult result) {
              m.onRequestFinished(result);
              timings.add(result);
            }
          };
      Engine e =
          Engine.builder()
              .config(engineConfig)
              .latencyModel(latencyModel)
              .outputLengthModel(outputLengthModel)
              .observer(observer)
              .timeScale(timeScale)
              .frontend(frontendLatency, frontendPerOutput)
              .start();
      Faults f = new Faults(engineConfig.seed());
      f.set(failureRate, failureStatus);
      ServerSettings settings =
          new ServerSettings(
              host,
              requestedPort,
              servedModelNames,
              profile.model(),
              apiKeys,
              maxRequestBodyBytes,
              readinessDelay,
              maxWaitingRequests,
              enablePromptTokensDetails,
              enableForceIncludeUsage,
              recordRequests,
              VLLM_VERSION,
              ioThreads);
      HttpServer h =
          new HttpServer(
              settings,
              e,
              m,
              f,
              r -> {
                requestCount.incrementAndGet();
                recorded.add(r);
                recordedLog.add(r);
              },
              admin);
      httpRef[0] = h;
      try {
        port = h.start();
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        h.close();
        e.close();
        throw new IllegalStateException("interrupted while binding " + host, ex);
      } catch (RuntimeException ex) {
        h.close();
        e.close();
        throw new IllegalStateException(
            "could not bind " + host + ":" + requestedPort + ": " + ex.getMessage(), ex);
      }
      engine = e;
      metrics = m;
      http = h;
      faults = f;
      state = State.STARTED;
      return this;
    }
  }

  /** Stops the server and the engine; requests in flight are cut off. Idempotent. */
  @Override
  public void close() {
    HttpServer h;
    Engine e;
    synchronized (lock) {
      if (state == State.CLOSED) {
        return;
      }
      state = State.CLOSED;
      h = http;
      e = engine;
    }
    if (h != null) {
      h.close();
    }
    if (e != null) {
      e.close();
    }
  }

  private void checkStarted() {
    synchronized (lock) {
      if (state == State.NEW) {
        throw new IllegalStateException("call start() first");
      }
      if (state == State.CLOSED && engine == null) {
        throw new IllegalStateException("close() already called");
      }
    }
  }

  /** The bound port. */
  public int port() {
    checkStarted();
    return port;
  }

  /** The address the server is bound to, as given to the builder. */
  public String host() {
    return host;
  }

  /** {@code http://HOST:PORT}, e.g. {@code http://127.0.0.1:41234}. */
  public String baseUrl() {
    checkStarted();
    return "http://" + urlHost() + ":" + port;
  }

  /** {@link #baseUrl()} + {@code /v1}: what an OpenAI client takes as its base URL. */
  public String openAiBaseUrl() {
    return baseUrl() + "/v1";
  }

  /** A URL on this server: {@code url("/metrics")}. */
  public String url(String path) {
    Objects.requireNonNull(path, "path");
    return baseUrl() + (path.startsWith("/") ? path : "/" + path);
  }

  private String urlHost() {
    String h = host;
    if (h.equals("0.0.0.0")) {
      return "127.0.0.1";
    }
    if (h.equals("::") || h.equals("[::]")) {
      return "[::1]";
    }
    try {
      if (!h.startsWith("[") && InetAddress.getByName(h) instanceof Inet6Address) {
        return "[" + h + "]";
      }
    } catch (UnknownHostException e) {
      // a name: use as is
    }
    return h;
  }

  /** The model name clients send as {@code model} (the first served name). */
  @Override
  public List<String> servedModelNames() {
    return servedModelNames;
  }

  public HardwareProfile profile() {
    return profile;
  }

  /** The engine settings in force: the profile's, with the builder's overrides. */
  public EngineConfig engineConfig() {
    return engineConfig;
  }

  /**
   * The next request the server received, waiting for one if needed.
   *
   * @throws IllegalStateException if request recording was switched off
   */
  public RecordedRequest takeRequest() throws InterruptedException {
    checkRecording();
    return recorded.take();
  }

  /** The next request the server received, or null if none arrives within {@code timeout}. */
  public @Nullable RecordedRequest takeRequest(Duration timeout) throws InterruptedException {
    checkRecording();
    return recorded.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void checkRecording() {
    if (!recordRequests) {
      throw new IllegalStateException("request recording is off: use recordRequests(true)");
    }
  }

  /** How many requests the server has received (every path, errors included). */
  public int requestCount() {
    return requestCount.get();
  }

  /** The {@code vllm:*} metrics as of the last engine step. */
  public ServerMetrics metrics() {
    checkStarted();
    VllmMetrics m = Objects.requireNonNull(metrics);
    Map<String, Long> success = new LinkedHashMap<>();
    for (FinishReason r : FinishReason.values()) {
      if (r != FinishReason.ABORT) {
        success.put(r.wireName(), m.finishedByReason().getOrDefault(r, 0L));
      }
    }
    return new ServerMetrics(
        m.lastRunning(),
        m.lastWaiting(),
        m.lastKvUsage(),
        (long) m.counterValue("vllm:prompt_tokens"),
        (long) m.counterValue("vllm:generation_tokens"),
        (long) m.counterValue("vllm:num_preemptions"),
        (long) m.counterValue("vllm:prefix_cache_queries"),
        (long) m.counterValue("vllm:prefix_cache_hits"),
        success);
  }

  /** What {@code GET /metrics} answers: Prometheus text format 0.0.4. */
  public String metricsText() {
    checkStarted();
    return Objects.requireNonNull(metrics).text();
  }

  @Override
  public Optional<Engine> engine() {
    checkStarted();
    return Optional.of(Objects.requireNonNull(engine));
  }

  @Override
  public void setTimeScale(double scale) {
    checkStarted();
    Objects.requireNonNull(engine).setTimeScale(scale);
  }

  /** Answers this share of generation requests with {@code status} (0 switches it off). */
  public void setFailureRate(double rate, int status) {
    checkStarted();
    Objects.requireNonNull(faults).set(rate, status);
  }

  /**
   * Puts the server back to its built state between tests: forgets recorded requests (and resets
   * {@link #requestCount()}), and restores the builder's time scale and failure rate. Requests in
   * flight go on; metrics and {@link RecordedRequest#sequenceNumber()} keep counting, as a real
   * server's counters do.
   */
  public void reset() {
    checkStarted();
    recorded.clear();
    recordedLog.clear();
    requestCount.set(0);
    Objects.requireNonNull(engine).setTimeScale(timeScale);
    Objects.requireNonNull(faults).set(failureRate, failureStatus);
  }

  @Override
  public String toString() {
    synchronized (lock) {
      return switch (state) {
        case NEW -> "EmulatedVllmServer{new}";
        case STARTED -> "EmulatedVllmServer{port=" + port + "}";
        case CLOSED -> "EmulatedVllmServer{closed}";
      };
    }
  }
}
