package dev.llmemu.engine.internal.profile;

/**
 * How vLLM sizes its KV cache ({@code gpu_worker.determine_available_memory}, {@code
 * kv_cache_utils.get_num_blocks}): {@code available = total × gpu_memory_utilization − (weights +
 * peak activation + non-torch memory)}, {@code num_gpu_blocks = floor(available / (block_size ×
 * bytes per token))}. The reserve (activations and non-torch memory) is estimated here unless a
 * measured value is given.
 */
public final class KvSizing {
  /** CUDA context growth, cuBLAS/NCCL workspaces that vLLM counts as non-torch memory. */
  static final long NON_TORCH_BYTES = 256L << 20;

  /** Extra non-torch memory with tensor parallelism (NCCL and custom all-reduce buffers). */
  static final long NON_TORCH_TP_BYTES = 256L << 20;

  private KvSizing() {}

  /**
   * An estimate of vLLM's reserve for one GPU: non-torch memory plus the activation peak of its
   * profiling forward pass over {@code maxNumBatchedTokens} tokens (residual and hidden states,
   * QKV, gate/up and activation outputs) and of its dummy sampler run over {@code maxNumSeqs} rows
   * of float32 logits (logits and probabilities).
   */
  public static long estimateReserveBytes(
      ModelGeometry m, int tp, int maxNumBatchedTokens, int maxNumSeqs) {
    long perToken =
        2L
            * (4L * m.hiddenSize()
                + 3L * m.intermediateSize() / tp
                + (long) (m.numHeads() + 2 * m.numKvHeads()) * m.headDim() / tp);
    long activations = perToken * maxNumBatchedTokens;
    long sampler = 2L * maxNumSeqs * ((long) m.vocabSize() / tp) * 4L;
    return NON_TORCH_BYTES + (tp > 1 ? NON_TORCH_TP_BYTES : 0) + activations + sampler;
  }

  /** Bytes left for the KV cache on one GPU (may be negative: the model does not fit). */
  public static long availableKvBytes(
      long gpuMemoryBytes, double utilization, long weightBytes, long reserveBytes) {
    return (long) Math.floor(gpuMemoryBytes * utilization) - weightBytes - reserveBytes;
  }

  /** vLLM's {@code num_gpu_blocks} for that many bytes (the null block included). */
  public static int numGpuBlocks(long availableKvBytes, long kvBytesPerToken, int blockSize) {
    if (availableKvBytes <= 0) {
      return 0;
    }
    long blocks = availableKvBytes / (kvBytesPerToken * blockSize);
    return (int) Math.min(Integer.MAX_VALUE, blocks);
  }

  /** Tokens the cache holds, as vLLM logs "GPU KV cache size: N tokens". */
  public static long cacheTokens(long availableKvBytes, long kvBytesPerToken, int blockSize) {
    return (long) numGpuBlocks(availableKvBytes, kvBytesPerToken, blockSize) * blockSize;
  }
}
