package dev.llmemu.engine.server;

import dev.llmemu.engine.Engine;
import dev.llmemu.engine.EngineConfig;
import dev.llmemu.engine.OutputLengthModel;
import dev.llmemu.engine.StepLatencyModel;
import dev.llmemu.engine.cli.Main;
import dev.llmemu.engine.profile.HardwareProfile;
import dev.llmemu.engine.profile.Profiles;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * An emulated vLLM server: vLLM's OpenAI-compatible HTTP API in front of the emulated engine.
 *
 * <pre>{@code
 * try (EmulatedVllmServer server = EmulatedVllmServer.builder().profile("h100-llama-3.1-8b").start()) {
 *   OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(server.openAiBaseUrl()).apiKey("x").build();
 *   ...
 *   RecordedRequest request = server.takeRequest();
 * }
 * }</pre>
 *
 * <p>{@link #builder()} runs the server in this JVM, bound to 127.0.0.1 on an ephemeral port unless
 * told otherwise; {@link #remote(String)} is a handle on a server in another process (a container,
 * or any OpenAI-compatible server such as a real vLLM, where llmemu's extras are unavailable).
 * {@link #start()} is explicit (a second call does nothing); {@link #close()} is idempotent, and a
 * closed server cannot be started again. Thread-safe.
 */
public interface EmulatedVllmServer extends AutoCloseable {
  /** The vLLM version whose API shapes the server emulates, as {@code /version} reports it. */
  String VLLM_VERSION = "0.18.0+llmemu";

  /** Configures a server that runs in this JVM. */
  static Builder builder() {
    return new Builder();
  }

  /**
   * A handle on a running server at {@code baseUrl} (its root, e.g. {@code http://host:8000}).
   * Against llmemu every method works; against another OpenAI-compatible server (a real vLLM), the
   * llmemu extras ({@link #takeRequest}, {@link #reset}, {@link #setTimeScale}, {@link
   * #setFailureRate}) throw {@link UnsupportedOperationException}. Closing it does nothing to the
   * server.
   */
  static EmulatedVllmServer remote(String baseUrl) {
    return new RemoteVllmServer(baseUrl, null, () -> {});
  }

  /**
   * As {@link #remote(String)}, running {@code onClose} (e.g. stopping a container) when the handle
   * is closed.
   */
  static EmulatedVllmServer remote(String baseUrl, Runnable onClose) {
    return new RemoteVllmServer(baseUrl, null, onClose);
  }

  /**
   * As {@link #remote(String, Runnable)}, for a server started with {@code --api-key}: the handle
   * sends {@code Authorization: Bearer <apiKey>} on its own calls (llmemu requires the key on
   * {@code /llmemu/...} as on {@code /v1}).
   */
  static EmulatedVllmServer remote(String baseUrl, @Nullable String apiKey, Runnable onClose) {
    return new RemoteVllmServer(baseUrl, apiKey, onClose);
  }

  /**
   * Starts the engine and binds the port (in-process servers); does nothing if already started.
   *
   * @throws IllegalStateException if the server was closed
   */
  EmulatedVllmServer start();

  /** Stops the server (or releases the handle); requests in flight are cut off. Idempotent. */
  @Override
  void close();

  /** The port clients connect to. */
  int port();

  /** The host clients connect to. */
  String host();

  /** {@code http://HOST:PORT}, e.g. {@code http://127.0.0.1:41234}. */
  String baseUrl();

  /** {@link #baseUrl()} + {@code /v1}: what an OpenAI client takes as its base URL. */
  default String openAiBaseUrl() {
    return baseUrl() + "/v1";
  }

  /** A URL on this server: {@code url("/metrics")}. */
  default String url(String path) {
    Objects.requireNonNull(path, "path");
    return baseUrl() + (path.startsWith("/") ? path : "/" + path);
  }

  /** The model name clients send as {@code model} (the first served name). */
  default String servedModelName() {
    return servedModelNames().get(0);
  }

  /** Every name the server answers to, as {@code /v1/models} lists them. */
  List<String> servedModelNames();

  /**
   * The next request the server received, waiting for one if needed.
   *
   * @throws IllegalStateException if request recording was switched off
   */
  RecordedRequest takeRequest() throws InterruptedException;

  /** The next request the server received, or null if none arrives within {@code timeout}. */
  @Nullable RecordedRequest takeRequest(Duration timeout) throws InterruptedException;

  /** How many requests the server has received (every path, errors included). */
  int requestCount();

  /** The {@code vllm:*} metrics as of the last engine step. */
  ServerMetrics metrics();

  /** What {@code GET /metrics} answers: Prometheus text format 0.0.4. */
  String metricsText();

  /** Changes how fast the emulated GPU runs (1: its real speed; 0.1: ten times faster). */
  void setTimeScale(double scale);

  /** Answers this share of generation requests with {@code status} (0 switches it off). */
  void setFailureRate(double rate, int status);

  /**
   * Puts the server back to its built state between tests: forgets recorded requests (and resets
   * {@link #requestCount()}), and restores the built time scale and failure rate. Requests in
   * flight go on; metrics keep counting, as a real server's counters do.
   */
  void reset();

  /** The engine, for white-box checks, when the server runs in this JVM. */
  Optional<Engine> engine();

  /** Configures an {@link EmulatedVllmServer}; every setting has a default. */
  public static final class Builder {
    String profileName = Profiles.DEFAULT_PROFILE;
    @Nullable HardwareProfile profile;
    Consumer<EngineConfig.Builder> configOverrides = c -> {};
    @Nullable StepLatencyModel latencyModel;
    OutputLengthModel outputLengthModel = OutputLengthModel.maxTokens();
    final List<String> servedModelNames = new ArrayList<>();
    String host = "127.0.0.1";
    int port;
    final List<String> apiKeys = new ArrayList<>();
    @Nullable Long seed;
    double timeScale = 1.0;
    Duration readinessDelay = Duration.ZERO;
    int maxWaitingRequests;
    int maxRequestBodyBytes = 32 * 1024 * 1024;
    boolean enablePromptTokensDetails;
    boolean enableForceIncludeUsage;
    boolean recordRequests = true;
    double failureRate;
    int failureStatus = 500;
    @Nullable Integer ioThreads;
    @Nullable Duration frontendLatency;
    @Nullable Duration frontendPerOutput;

    Builder() {}

    /**
     * vLLM's API-server costs outside the engine step: {@code latency} per request before the
     * engine sees it, {@code perOutput} per streamed output (one event loop for every stream).
     * Default: the profile's calibrated values, or none when {@link #latencyModel} replaces the
     * profile's model (a constant step then stays exact).
     */
    public Builder frontend(Duration latency, Duration perOutput) {
      if (latency.isNegative() || perOutput.isNegative()) {
        throw new IllegalArgumentException(
            "front-end costs must not be negative, got " + latency + " and " + perOutput);
      }
      frontendLatency = latency;
      frontendPerOutput = perOutput;
      return this;
    }

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
     * The engine settings a server built now would run with: the profile's, then the seed, then the
     * overrides, in order.
     */
    public EngineConfig engineConfig() {
      EngineConfig.Builder cb = profile().engineConfig().toBuilder();
      if (seed != null) {
        cb.seed(seed);
      }
      configOverrides.accept(cb);
      return cb.build();
    }

    /** The profile as set so far (loading it by name if needed). */
    public HardwareProfile profile() {
      HardwareProfile p = profile;
      if (p == null) {
        p = Profiles.load(profileName);
        profile = p;
      }
      return p;
    }

    /**
     * Applies {@code vllm serve} flags, as {@code llmemu serve} takes them: {@code
     * args("--max-num-seqs", "32", "--scheduling-policy", "priority")}. Only the flags given change
     * anything; they apply in order with the other builder calls.
     *
     * @throws IllegalArgumentException with the CLI's message for an unknown or bad flag
     */
    public Builder args(String... vllmServeFlags) {
      Main.applyServeFlags(this, List.of(vllmServeFlags));
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
      return new LocalVllmServer(this);
    }

    /** Builds and starts the server. */
    public EmulatedVllmServer start() {
      return build().start();
    }
  }
}
