package dev.llmemu.engine.server;

import dev.llmemu.engine.Engine;
import dev.llmemu.engine.EngineConfig;
import dev.llmemu.engine.EngineObserver;
import dev.llmemu.engine.FinishReason;
import dev.llmemu.engine.OutputLengthModel;
import dev.llmemu.engine.RequestResult;
import dev.llmemu.engine.StepLatencyModel;
import dev.llmemu.engine.StepStats;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * An emulated vLLM server: vLLM's OpenAI-compatible HTTP API in front of the emulated engine,
 * running in this JVM on a real port.
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
public final class EmulatedVllmServer implements AutoCloseable {
  /** The vLLM version whose API shapes the server emulates, as {@code /version} reports it. */
  public static final String VLLM_VERSION = "0.18.0+llmemu";

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

  private final LinkedBlockingQueue<RecordedRequest> recorded = new LinkedBlockingQueue<>();
  private final AtomicInteger requestCount = new AtomicInteger();
  private final Object lock = new Object();
  private State state = State.NEW;
  private @Nullable Engine engine;
  private @Nullable VllmMetrics metrics;
  private @Nullable HttpServer http;
  private @Nullable Faults faults;
  private int port = -1;

  private EmulatedVllmServer(Builder b) {
    this.profile = b.profile != null ? b.profile : Profiles.load(b.profileName);
    EngineConfig.Builder cb = profile.engineConfig().toBuilder();
    if (b.seed != null) {
      cb.seed(b.seed);
    }
    b.configOverrides.accept(cb);
    this.engineConfig = cb.build();
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
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts the engine and binds the port. Calling it again does nothing.
   *
   * @throws IllegalStateException if the server was closed
   * @throws java.io.UncheckedIOException if the port cannot be bound
   */
  public EmulatedVllmServer start() {
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
                h.onStep();
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
            }
          };
      Engine e =
          Engine.builder()
              .config(engineConfig)
              .latencyModel(latencyModel)
              .outputLengthModel(outputLengthModel)
              .observer(observer)
              .timeScale(timeScale)
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
              });
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
  public String servedModelName() {
    return servedModelNames.get(0);
  }

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

  /** The running engine, e.g. to {@link Engine#inspect} its KV cache. */
  public Engine engine() {
    checkStarted();
    return Objects.requireNonNull(engine);
  }

  /** Changes how fast the emulated GPU runs (1: its real speed; 0.1: ten times faster). */
  public void setTimeScale(double scale) {
    engine().setTimeScale(scale);
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

  /** Configures an {@link EmulatedVllmServer}; every setting has a default. */
  public static final class Builder {
    private String profileName = Profiles.DEFAULT_PROFILE;
    private @Nullable HardwareProfile profile;
    private Consumer<EngineConfig.Builder> configOverrides = c -> {};
    private @Nullable StepLatencyModel latencyModel;
    private OutputLengthModel outputLengthModel = OutputLengthModel.maxTokens();
    private final List<String> servedModelNames = new ArrayList<>();
    private String host = "127.0.0.1";
    private int port;
    private final List<String> apiKeys = new ArrayList<>();
    private @Nullable Long seed;
    private double timeScale = 1.0;
    private Duration readinessDelay = Duration.ZERO;
    private int maxWaitingRequests;
    private int maxRequestBodyBytes = 32 * 1024 * 1024;
    private boolean enablePromptTokensDetails;
    private boolean enableForceIncludeUsage;
    private boolean recordRequests = true;
    private double failureRate;
    private int failureStatus = 500;
    private @Nullable Integer ioThreads;

    private Builder() {}

    /**
     * A bundled hardware profile by name, or a profile file or URL ({@link Profiles#load}).
     * Default: {@link Profiles#DEFAULT_PROFILE}.
     */
    public Builder profile(String nameOrLocation) {
      profileName = Objects.requireNonNull(nameOrLocation, "profile");
      profile = null;
      return this;
    }

    public Builder profile(HardwareProfile value) {
      profile = Objects.requireNonNull(value, "profile");
      return this;
    }

    /**
     * Overrides engine settings on top of the profile's, as {@code vllm serve} flags do: {@code
     * .engineConfig(c -> c.maxNumSeqs(8).maxModelLen(4096))}. Calls accumulate, applied in order.
     */
    public Builder engineConfig(Consumer<EngineConfig.Builder> overrides) {
      configOverrides = configOverrides.andThen(Objects.requireNonNull(overrides, "overrides"));
      return this;
    }

    /** Replaces the profile's step latency model (e.g. a constant step for a test). */
    public Builder latencyModel(StepLatencyModel value) {
      latencyModel = Objects.requireNonNull(value, "latencyModel");
      return this;
    }

    /**
     * When requests without {@code ignore_eos} emit EOS. Default: never (they run to {@code
     * max_tokens} or the context limit).
     */
    public Builder outputLengthModel(OutputLengthModel value) {
      outputLengthModel = Objects.requireNonNull(value, "outputLengthModel");
      return this;
    }

    /** {@code --served-model-name}: the names clients use; default: the profile's model id. */
    public Builder servedModelName(String... names) {
      servedModelNames.clear();
      for (String n : names) {
        servedModelNames.add(Objects.requireNonNull(n, "name"));
      }
      return this;
    }

    /** {@code --host}; default 127.0.0.1 (a container binds 0.0.0.0). */
    public Builder host(String value) {
      host = Objects.requireNonNull(value, "host");
      return this;
    }

    /** {@code --port}; default 0, an ephemeral port (see {@link #port()}). */
    public Builder port(int value) {
      if (value < 0 || value > 65535) {
        throw new IllegalArgumentException("port must be in [0, 65535], got " + value);
      }
      port = value;
      return this;
    }

    /** {@code --api-key}: requests to {@code /v1} must send {@code Authorization: Bearer KEY}. */
    public Builder apiKey(String... keys) {
      apiKeys.clear();
      for (String k : keys) {
        apiKeys.add(Objects.requireNonNull(k, "key"));
      }
      return this;
    }

    /** {@code --seed}: every random choice of the emulator follows from it. */
    public Builder seed(long value) {
      seed = value;
      return this;
    }

    /**
     * Step durations are multiplied by this: 1 is the emulated GPU's speed, 0.1 ten times faster.
     */
    public Builder timeScale(double value) {
      if (!(value > 0) || Double.isInfinite(value)) {
        throw new IllegalArgumentException("time scale must be positive and finite, got " + value);
      }
      timeScale = value;
      return this;
    }

    /** For this long after start, {@code /health} and the API answer 503 (a model loading). */
    public Builder readinessDelay(Duration value) {
      if (value.isNegative()) {
        throw new IllegalArgumentException("readiness delay must not be negative, got " + value);
      }
      readinessDelay = value;
      return this;
    }

    /**
     * Answer 429 with {@code Retry-After} once this many requests wait in the engine. Default 0:
     * unbounded, as vLLM's queue is.
     */
    public Builder maxWaitingRequests(int value) {
      if (value < 0) {
        throw new IllegalArgumentException(
            "max waiting requests must not be negative, got " + value);
      }
      maxWaitingRequests = value;
      return this;
    }

    /** Larger request bodies are answered 413. Default 32 MiB. */
    public Builder maxRequestBodyBytes(int value) {
      if (value < 1024) {
        throw new IllegalArgumentException(
            "max request body must be at least 1024 bytes, got " + value);
      }
      maxRequestBodyBytes = value;
      return this;
    }

    /** vLLM's {@code --enable-prompt-tokens-details}: usage carries {@code cached_tokens}. */
    public Builder enablePromptTokensDetails(boolean value) {
      enablePromptTokensDetails = value;
      return this;
    }

    /** vLLM's {@code --enable-force-include-usage}: every stream ends with a usage chunk. */
    public Builder enableForceIncludeUsage(boolean value) {
      enableForceIncludeUsage = value;
      return this;
    }

    /** Keep received requests for {@code takeRequest()} (default true; off for load tests). */
    public Builder recordRequests(boolean value) {
      recordRequests = value;
      return this;
    }

    /** Answer this share of generation requests with {@code status}, at random (seeded). */
    public Builder failureRate(double rate, int status) {
      if (!(rate >= 0 && rate <= 1)) {
        throw new IllegalArgumentException("failure rate must be in [0, 1], got " + rate);
      }
      if (status < 400 || status > 599) {
        throw new IllegalArgumentException("failure status must be 4xx or 5xx, got " + status);
      }
      failureRate = rate;
      failureStatus = status;
      return this;
    }

    /** Netty event-loop threads (default: the number of cores, at least 2). */
    public Builder ioThreads(int value) {
      if (value < 1) {
        throw new IllegalArgumentException("io threads must be at least 1, got " + value);
      }
      ioThreads = value;
      return this;
    }

    /** Builds the server without starting it. */
    public EmulatedVllmServer build() {
      return new EmulatedVllmServer(this);
    }

    /** Builds and starts the server. */
    public EmulatedVllmServer start() {
      return build().start();
    }
  }
}
