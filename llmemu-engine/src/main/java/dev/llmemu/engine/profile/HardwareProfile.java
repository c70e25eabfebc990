package dev.llmemu.engine.profile;

import dev.llmemu.engine.EngineConfig;
import dev.llmemu.engine.StepLatencyModel;
import java.util.Objects;

/**
 * A GPU running a model under given vLLM engine settings: how long each engine step takes there
 * ({@link #latencyModel()}) and the engine configuration vLLM would use on it ({@link
 * #engineConfig()}: its default batch limits, KV-cache size, model length). Immutable.
 */
public final class HardwareProfile {
  private final String name;
  private final String gpu;
  private final String model;
  private final int tensorParallelSize;
  private final EngineConfig engineConfig;
  private final StepLatencyModel latencyModel;
  private final String description;

  public HardwareProfile(
      String name,
      String gpu,
      String model,
      int tensorParallelSize,
      EngineConfig engineConfig,
      StepLatencyModel latencyModel,
      String description) {
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
