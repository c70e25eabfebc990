package dev.llmemu.engine;

/**
 * The vLLM engine settings that shape scheduling and KV-cache behaviour, named as in {@code vllm
 * serve}. Defaults are vLLM's server defaults on an H100-class GPU; a hardware profile supplies the
 * values for its own GPU and model.
 *
 * @param blockSize {@code --block-size}: tokens per KV block (16)
 * @param numGpuBlocks total KV blocks including vLLM's reserved null block, as logged by vLLM
 *     ({@code --num-gpu-blocks-override})
 * @param maxNumSeqs {@code --max-num-seqs}: the most requests in {@code running}
 * @param maxNumBatchedTokens {@code --max-num-batched-tokens}: the per-step token budget
 * @param maxModelLen {@code --max-model-len}: prompt plus output limit per request
 * @param longPrefillTokenThreshold {@code --long-prefill-token-threshold}: the most tokens one
 *     request gets in a step; 0 is off
 * @param enableChunkedPrefill {@code --enable-chunked-prefill} (on for generative models in v1)
 * @param enablePrefixCaching {@code --enable-prefix-caching}
 * @param schedulingPolicy {@code --scheduling-policy}
 * @param seed {@code --seed}: drives every random choice of the emulator
 * @param asyncScheduling {@code --async-scheduling} (vLLM's default from v0.14): the engine
 *     schedules step k+1 while step k runs on the GPU, so a request that arrives while a step is in
 *     flight joins the step after next; off by default here (sync mode, vLLM ≤ v0.13), on in the
 *     bundled hardware profiles, which model vLLM ≥ v0.14
 */
public record EngineConfig(
    int blockSize,
    int numGpuBlocks,
    int maxNumSeqs,
    int maxNumBatchedTokens,
    int maxModelLen,
    int longPrefillTokenThreshold,
    boolean enableChunkedPrefill,
    boolean enablePrefixCaching,
    SchedulingPolicy schedulingPolicy,
    long seed,
    boolean asyncScheduling) {

  /** vLLM's block size on CUDA. */
  public static final int DEFAULT_BLOCK_SIZE = 16;

  public EngineConfig {
    require(blockSize > 0, "block_size", blockSize, "must be positive");
    require(numGpuBlocks >= 2, "num_gpu_blocks", numGpuBlocks, "must be at least 2");
    require(maxNumSeqs > 0, "max_num_seqs", maxNumSeqs, "must be positive");
    require(
        maxNumBatchedTokens > 0, "max_num_batched_tokens", maxNumBatchedTokens, "must be positive");
    require(maxModelLen > 1, "max_model_len", maxModelLen, "must be greater than 1");
    require(
        longPrefillTokenThreshold >= 0,
        "long_prefill_token_threshold",
        longPrefillTokenThreshold,
        "must not be negative");
    if (maxNumBatchedTokens < maxNumSeqs) {
      throw new IllegalArgumentException(
          "max_num_batched_tokens ("
              + maxNumBatchedTokens
              + ") must be greater than or equal to max_num_seqs ("
              + maxNumSeqs
              + ")");
    }
    if (!enableChunkedPrefill && maxNumBatchedTokens < maxModelLen) {
      throw new IllegalArgumentException(
          "max_num_batched_tokens ("
              + maxNumBatchedTokens
              + ") is smaller than max_model_len ("
              + maxModelLen
              + "). This effectively limits the maximum sequence length to max_num_batched_tokens"
              + " and makes vLLM reject longer sequences. Please increase max_num_batched_tokens or"
              + " decrease max_model_len, or enable chunked prefill.");
    }
    long blocksForOneSequence = (maxModelLen + (long) blockSize - 1) / blockSize;
    if (blocksForOneSequence > numGpuBlocks - 1L) {
      throw new IllegalArgumentException(
          "To serve at least one request with the model's max seq len ("
              + maxModelLen
              + "), "
              + blocksForOneSequence
              + " KV blocks are needed, which is larger than the available KV cache ("
              + (numGpuBlocks - 1)
              + " blocks of "
              + blockSize
              + " tokens). Based on the available KV cache, the estimated maximum model length is "
              + (numGpuBlocks - 1L) * blockSize
              + ". Try increasing the number of GPU blocks or decreasing max_model_len.");
    }
  }

  private static void require(boolean ok, String name, long value, String rule) {
    if (!ok) {
      throw new IllegalArgumentException(name + " " + rule + ", got " + value);
    }
  }

  /** KV capacity in tokens, as vLLM's "GPU KV cache size: N tokens" start-up line. */
  public long kvCacheTokens() {
    return (long) (numGpuBlocks - 1) * blockSize;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder()
        .blockSize(blockSize)
        .numGpuBlocks(numGpuBlocks)
        .maxNumSeqs(maxNumSeqs)
        .maxNumBatchedTokens(maxNumBatchedTokens)
        .maxModelLen(maxModelLen)
        .longPrefillTokenThreshold(longPrefillTokenThreshold)
        .enableChunkedPrefill(enableChunkedPrefill)
        .enablePrefixCaching(enablePrefixCaching)
        .schedulingPolicy(schedulingPolicy)
        .seed(seed)
        .asyncScheduling(asyncScheduling);
  }

  /** Builds an {@link EngineConfig}; unset values take vLLM's server defaults for an H100. */
  public static final class Builder {
    private int blockSize = DEFAULT_BLOCK_SIZE;
    private int numGpuBlocks = 16_385;
    private int maxNumSeqs = 1024;
    private int maxNumBatchedTokens = 8192;
    private int maxModelLen = 8192;
    private int longPrefillTokenThreshold;
    private boolean enableChunkedPrefill = true;
    private boolean enablePrefixCaching = true;
    private SchedulingPolicy schedulingPolicy = SchedulingPolicy.FCFS;
    private long seed;
    private boolean asyncScheduling;

    private Builder() {}

    public Builder blockSize(int value) {
      blockSize = value;
      return this;
    }

    public Builder numGpuBlocks(int value) {
      numGpuBlocks = value;
      return this;
    }

    public Builder maxNumSeqs(int value) {
      maxNumSeqs = value;
      return this;
    }

    public Builder maxNumBatchedTokens(int value) {
      maxNumBatchedTokens = value;
      return this;
    }

    public Builder maxModelLen(int value) {
      maxModelLen = value;
      return this;
    }

    public Builder longPrefillTokenThreshold(int value) {
      longPrefillTokenThreshold = value;
      return this;
    }

    public Builder enableChunkedPrefill(boolean value) {
      enableChunkedPrefill = value;
      return this;
    }

    public Builder enablePrefixCaching(boolean value) {
      enablePrefixCaching = value;
      return this;
    }

    public Builder schedulingPolicy(SchedulingPolicy value) {
      schedulingPolicy = value;
      return this;
    }

    public Builder seed(long value) {
      seed = value;
      return this;
    }

    /** {@code --async-scheduling}; see {@link EngineConfig#asyncScheduling()}. */
    public Builder asyncScheduling(boolean value) {
      asyncScheduling = value;
      return this;
    }

    public EngineConfig build() {
      return new EngineConfig(
          blockSize,
          numGpuBlocks,
          maxNumSeqs,
          maxNumBatchedTokens,
          maxModelLen,
          longPrefillTokenThreshold,
          enableChunkedPrefill,
          enablePrefixCaching,
          schedulingPolicy,
          seed,
          asyncScheduling);
    }
  }
}
