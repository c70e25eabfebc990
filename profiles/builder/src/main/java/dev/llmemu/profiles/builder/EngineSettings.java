package dev.llmemu.profiles.builder;

/**
 * The vLLM engine settings a profile holds for.
 *
 * @param maxModelLen 0 to use the model's native context (capped by the KV cache)
 */
public record EngineSettings(
    int maxNumSeqs,
    int maxNumBatchedTokens,
    int maxModelLen,
    int blockSize,
    double gpuMemoryUtilization,
    boolean enablePrefixCaching,
    boolean asyncScheduling,
    String vllmVersion) {

  /** vLLM's server defaults on {@code gpu} (docs/vllm-behaviour.md §1.9), vLLM ≥ 0.14. */
  public static EngineSettings defaultsFor(GpuSpec gpu) {
    return new EngineSettings(
        gpu.defaultMaxNumSeqs(), gpu.defaultMaxNumBatchedTokens(), 0, 16, 0.9, true, true, "0.15");
  }

  public EngineSettings withLimits(int maxNumSeqs, int maxNumBatchedTokens, int maxModelLen) {
    return new EngineSettings(
        maxNumSeqs,
        maxNumBatchedTokens,
        maxModelLen,
        blockSize,
        gpuMemoryUtilization,
        enablePrefixCaching,
        asyncScheduling,
        vllmVersion);
  }
}
