package dev.llmemu.engine.profile;

import dev.llmemu.engine.EngineConfig;
import dev.llmemu.engine.StepLatencyModel;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A GPU running a model under given vLLM engine settings: how long each engine step takes there
 * ({@link #latencyModel()}), the engine configuration vLLM would use on it ({@link
 * #engineConfig()}: its default batch limits, KV-cache size, model length), and the latency of
 * vLLM's front end that engine steps do not include ({@link #frontendLatency()}). Immutable.
 *
 * <p>Load one with {@link Profiles#load(String)}; see docs/profiles.md for the file format.
 */
public final class HardwareProfile {
  private final String name;
  private final String gpu;
  private final String model;
  private final int tensorParallelSize;
  private final EngineConfig engineConfig;
  private final StepLatencyModel latencyModel;
  private final String description;
  private final Duration frontendLatency;
  private final Duration frontendPerOutput;
  private final String source;
  private final String format;
  private final @Nullable String provenance;
  private final @Nullable String fidelity;

  public HardwareProfile(
      String name,
      String gpu,
      String model,
      int tensorParallelSize,
      EngineConfig engineConfig,
      StepLatencyModel latencyModel,
      String description) {
    this(
        name,
        gpu,
        model,
        tensorParallelSize,
        engineConfig,
        latencyModel,
        description,
        Duration.ZERO,
        Duration.ZERO,
        "(in memory)",
        "custom",
        null,
        null);
  }

  /**
   * @param frontendLatency per-request latency of vLLM's API-server process (HTTP, tokenization,
   *     IPC) not covered by engine steps
   * @param frontendPerOutput cost of vLLM's API-server event loop per output of an engine step
   *     (detokenization, output object, SSE chunk); see {@link #frontendPerOutput()}
   * @param source where the profile was loaded from
   * @param format the file format and version, e.g. {@code llmemu-profile/1} or {@code llm-emu/2.0}
   * @param provenance the profile's provenance as JSON text, if it has one
   * @param fidelity the profile's measured fidelity as JSON text, if it has one
   */
  public HardwareProfile(
      String name,
      String gpu,
      String model,
      int tensorParallelSize,
      EngineConfig engineConfig,
      StepLatencyModel latencyModel,
      String description,
      Duration frontendLatency,
      Duration frontendPerOutput,
      String source,
      String format,
      @Nullable String provenance,
      @Nullable String fidelity) {
    this.name = Objects.requireNonNull(name, "name");
    this.gpu = Objects.requireNonNull(gpu, "gpu");
    this.model = Objects.requireNonNull(model, "model");
    if (tensorParallelSize < 1) {
      throw new IllegalArgumentException(
          "tensor parallel size must be at least 1, got " + tensorParallelSize);
    }
    this.tensorParallelSize = tensorParallelSize;
    this.engineConfig = Objects.requireNonNull(engineConfig, "engineConfig");
    this.latencyModel = Objects.requireNonNull(latencyModel, "latencyModel");
    this.description = Objects.requireNonNull(description, "description");
    this.frontendLatency = Objects.requireNonNull(frontendLatency, "frontendLatency");
    if (frontendLatency.isNegative()) {
      throw new IllegalArgumentException(
          "frontendLatency must not be negative: " + frontendLatency);
    }
    this.frontendPerOutput = Objects.requireNonNull(frontendPerOutput, "frontendPerOutput");
    if (frontendPerOutput.isNegative()) {
      throw new IllegalArgumentException(
          "frontendPerOutput must not be negative: " + frontendPerOutput);
    }
    this.source = Objects.requireNonNull(source, "source");
    this.format = Objects.requireNonNull(format, "format");
    this.provenance = provenance;
    this.fidelity = fidelity;
  }

  /** The profile's name, {@code <gpu>-<model>[-tp<N>]}. */
  public String name() {
    return name;
  }

  public String gpu() {
    return gpu;
  }

  /** The model's Hugging Face id, which is also the default served model name. */
  public String model() {
    return model;
  }

  public int tensorParallelSize() {
    return tensorParallelSize;
  }

  /** vLLM's engine settings on this GPU and model; override fields with {@code toBuilder()}. */
  public EngineConfig engineConfig() {
    return engineConfig;
  }

  public StepLatencyModel latencyModel() {
    return latencyModel;
  }

  public String description() {
    return description;
  }

  /**
   * Per-request latency of vLLM's API-server process that engine steps do not include: HTTP
   * handling, tokenization and IPC before the engine sees a request, detokenization and streaming
   * after (except the per-output cost that grows with the batch, {@link #frontendPerOutput()}). A
   * front end that emulates vLLM adds it between a request's arrival and its submission to the
   * engine (the {@link dev.llmemu.engine.Simulator} does when built with {@code profile(..)}). Zero
   * for profiles that do not model it.
   */
  public Duration frontendLatency() {
    return frontendLatency;
  }

  /**
   * Cost of vLLM's API-server event loop per output of an engine step: detokenizing the new token,
   * building the request's output and serializing and writing its SSE chunk. The loop handles one
   * step's outputs after another, so an output reaches its client when the loop has handled its
   * step's outputs and those of earlier steps; at high concurrency this adds latency to every token
   * (TTFT and end-to-end latency) without slowing the engine. The {@link
   * dev.llmemu.engine.Simulator} applies it when built with {@code profile(..)}; a real-time front
   * end that emulates vLLM delays each step's writes the same way. Zero for profiles that do not
   * model it.
   */
  public Duration frontendPerOutput() {
    return frontendPerOutput;
  }

  /** Where the profile was loaded from: a bundled name, a file path or a URL. */
  public String source() {
    return source;
  }

  /** The file format and version it was read from, e.g. {@code llmemu-profile/1}. */
  public String format() {
    return format;
  }

  /** The profile's provenance (sources, method, date) as JSON text, if it records one. */
  public Optional<String> provenance() {
    return Optional.ofNullable(provenance);
  }

  /** The profile's measured fidelity against real runs as JSON text, if it records any. */
  public Optional<String> fidelity() {
    return Optional.ofNullable(fidelity);
  }

  /** KV-cache capacity in tokens ("GPU KV cache size" in vLLM's start-up log). */
  public long kvCacheTokens() {
    return engineConfig.kvCacheTokens();
  }

  /** The same profile with other engine settings (e.g. a user's {@code --max-num-seqs}). */
  public HardwareProfile withEngineConfig(EngineConfig config) {
    return new HardwareProfile(
        name,
        gpu,
        model,
        tensorParallelSize,
        config,
        latencyModel,
        description,
        frontendLatency,
        frontendPerOutput,
        source,
        format,
        provenance,
        fidelity);
  }

  @Override
  public String toString() {
    return "HardwareProfile{"
        + name
        + ": "
        + model
        + " on "
        + gpu
        + (tensorParallelSize > 1 ? " x" + tensorParallelSize : "")
        + "}";
  }
}
