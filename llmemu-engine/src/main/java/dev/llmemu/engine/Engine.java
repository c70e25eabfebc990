package dev.llmemu.engine;

import dev.llmemu.engine.internal.core.EngineCore;
import dev.llmemu.engine.internal.exec.Command;
import dev.llmemu.engine.internal.exec.Executive;
import dev.llmemu.engine.internal.exec.RealClock;
import dev.llmemu.engine.internal.exec.RealTimeInbox;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The engine running in real time on its own executive thread, for a front end (the HTTP server) to
 * submit requests to. Every method is thread-safe: calls become commands that the executive applies
 * between steps; outputs come back through each request's {@link OutputSink}, on the executive
 * thread.
 *
 * <pre>{@code
 * try (Engine engine = Engine.builder().latencyModel(StepLatencyModel.constant(ofMillis(10))).start()) {
 *   engine.submit(RequestSpec.builder().promptTokenIds(1, 2, 3).maxTokens(8).build(), out -> ...);
 * }
 * }</pre>
 */
public final class Engine implements AutoCloseable {
  private final EngineConfig config;
  private final RealClock clock = new RealClock();
  private final RealTimeInbox inbox = new RealTimeInbox();
  private final Executive executive;
  private final Thread thread;
  private volatile @Nullable Throwable failure;
  private final long frontendLatencyNanos;
  // Delays requests by the front end's latency before the engine sees them (vLLM's API server).
  private final @Nullable ScheduledExecutorService admissions;

  private Engine(Builder b) {
    this.config = b.config;
    EngineCore core =
        new EngineCore(
            b.config,
            b.latencyModel,
            b.outputLengthModel,
            b.observer,
            b.produceText,
            Math.round(b.frontendPerOutput.toNanos() * b.timeScale));
    this.frontendLatencyNanos = Math.round(b.frontendLatency.toNanos() * b.timeScale);
    this.admissions =
        frontendLatencyNanos == 0
            ? null
            : Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "llmemu-frontend");
                  t.setDaemon(true);
                  return t;
                });
    this.executive = new Executive(core, clock, inbox, b.timeScale);
    this.thread = new Thread(this::runExecutive, "llmemu-executive");
    thread.setDaemon(true);
    thread.start();
  }

  public static Builder builder() {
    return new Builder();
  }

  private void runExecutive() {
    try {
      executive.run();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | Error e) {
      failure = e;
    }
  }

  public EngineConfig config() {
    return config;
  }

  /** Engine time now, in nanoseconds (the clock that stamps outputs). */
  public long nanoTime() {
    return clock.now();
  }

  /** False once the engine was closed or its executive died. */
  public boolean isAlive() {
    return thread.isAlive() && !inbox.isStopped();
  }

  /** Why the executive died, if it did. */
  public @Nullable Throwable failure() {
    return failure;
  }

  /**
   * Submits a request, arriving now. Validation that depends only on the configuration happens
   * here, on the caller's thread.
   *
   * @throws IllegalArgumentException with vLLM's message if the request cannot be served
   * @throws IllegalStateException if the engine is closed
   */
  public void submit(RequestSpec spec, OutputSink sink) {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(sink, "sink");
    checkOpen();
    validate(spec, config);
    long arrival = clock.now();
    Command add =
        (core, now) -> {
          try {
            core.addRequest(spec, arrival, sink);
          } catch (IllegalArgumentException e) {
            sink.reject(e);
          }
        };
    ScheduledExecutorService delay = admissions;
    if (delay == null) {
      inbox.post(add);
    } else {
      try {
        delay.schedule(() -> inbox.post(add), frontendLatencyNanos, TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        throw new IllegalStateException("engine closed", e);
      }
    }
  }

  /** Aborts a request (e.g. its client disconnected); its KV blocks are freed. */
  public void abort(String requestId) {
    Objects.requireNonNull(requestId, "requestId");
    if (!inbox.isStopped()) {
      inbox.post((core, now) -> core.abort(requestId, now));
    }
  }

  /** Changes the time scale at runtime (see {@link Builder#timeScale}). */
  public void setTimeScale(double scale) {
    executive.setTimeScale(scale);
  }

  public double timeScale() {
    return executive.timeScale();
  }

  /**
   * Reads engine state on the executive thread, between steps. The function must be quick and must
   * not keep references to engine internals.
   */
  public <T> CompletableFuture<T> inspect(Function<EngineState, T> reader) {
    CompletableFuture<T> result = new CompletableFuture<>();
    if (inbox.isStopped()) {
      result.completeExceptionally(new IllegalStateException("engine closed"));
      return result;
    }
    inbox.post(
        (core, now) -> {
          try {
            result.complete(reader.apply(new EngineState(core)));
          } catch (RuntimeException e) {
            result.completeExceptionally(e);
          }
        });
    return result;
  }

  /** Stops the executive; requests in flight get no further output. Idempotent. */
  @Override
  public void close() {
    if (inbox.isStopped()) {
      return;
    }
    if (admissions != null) {
      admissions.shutdownNow();
    }
    inbox.stop();
    executive.stop();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void checkOpen() {
    if (inbox.isStopped()) {
      throw new IllegalStateException("engine closed");
    }
    Throwable f = failure;
    if (f != null) {
      throw new IllegalStateException("engine failed: " + f, f);
    }
  }

  /**
   * Checks a request against the configuration, with vLLM's engine-side message.
   *
   * @throws IllegalArgumentException if the prompt leaves no room for an output token
   */
  public static void validate(RequestSpec spec, EngineConfig config) {
    if (spec.promptLength() >= config.maxModelLen()) {
      throw new IllegalArgumentException(
          "The decoder prompt (length "
              + spec.promptLength()
              + ") plus the number of requested output tokens (at least 1) is longer than the"
              + " maximum model length of "
              + config.maxModelLen()
              + ". Make sure that `max_model_len` is no smaller than the number of text tokens"
              + " plus `max_tokens`.");
    }
  }

  /** A read-only view of engine state, valid only inside {@link #inspect}. */
  public static final class EngineState {
    private final EngineCore core;

    private EngineState(EngineCore core) {
      this.core = core;
    }

    public int numRunning() {
      return core.numRunning();
    }

    public int numWaiting() {
      return core.numWaiting();
    }

    public double kvCacheUsage() {
      return core.kvCacheUsage();
    }

    /** Free KV blocks, evictable cached ones included. */
    public int freeBlocks() {
      return core.blockPool().numFreeBlocks();
    }

    /** Requests submitted and not yet finished. */
    public int activeRequests() {
      return core.activeRequests();
    }

    public long totalSteps() {
      return core.totalSteps();
    }

    /** Blocks neither referenced nor free: always 0 unless the engine has a bug. */
    public int leakedBlocks() {
      return core.blockPool().leakedBlocks();
    }

    /** Drops the prefix cache if no block is in use (vLLM's {@code /reset_prefix_cache}). */
    public boolean resetPrefixCache() {
      return core.blockPool().resetPrefixCache();
    }
  }

  /** Configures and starts an {@link Engine}. */
  public static final class Builder {
    private EngineConfig config = EngineConfig.builder().build();
    private StepLatencyModel latencyModel = StepLatencyModel.constant(Duration.ofMillis(10));
    private OutputLengthModel outputLengthModel = OutputLengthModel.maxTokens();
    private EngineObserver observer = EngineObserver.NONE;
    private double timeScale = 1.0;
    private boolean produceText = true;
    private Duration frontendLatency = Duration.ZERO;
    private Duration frontendPerOutput = Duration.ZERO;

    private Builder() {}

    public Builder config(EngineConfig value) {
      config = Objects.requireNonNull(value, "config");
      return this;
    }

    public Builder latencyModel(StepLatencyModel value) {
      latencyModel = Objects.requireNonNull(value, "latencyModel");
      return this;
    }

    public Builder outputLengthModel(OutputLengthModel value) {
      outputLengthModel = Objects.requireNonNull(value, "outputLengthModel");
      return this;
    }

    public Builder observer(EngineObserver value) {
      observer = Objects.requireNonNull(value, "observer");
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

    /**
     * vLLM's API-server costs that engine steps do not include: {@code latency} before a request
     * reaches the engine (HTTP, tokenization, IPC), and {@code perOutput} for every output of a
     * step (detokenization and SSE, one event loop for all streams), which delays when outputs
     * reach clients ({@link RequestOutput#timestampNanos()}, {@link StepStats#deliveredNanos()}).
     * Both are scaled by the time scale at start. Default: none.
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

    /** Whether outputs carry text (default true); without it only token ids are produced. */
    public Builder produceText(boolean value) {
      produceText = value;
      return this;
    }

    public Engine start() {
      return new Engine(this);
    }
  }
}
