package dev.llmemu.engine.internal.profile;

/**
 * What a dense decoder-only transformer's serving cost depends on, from its Hugging Face {@code
 * config.json}.
 *
 * @param dtypeBytes bytes per weight and per KV element (2 for bfloat16/float16)
 * @param qkNorm whether attention has per-head q/k RMSNorm (Qwen3)
 */
public record ModelGeometry(
    String id,
    int numLayers,
    int hiddenSize,
    int numHeads,
    int numKvHeads,
    int headDim,
    int intermediateSize,
    int vocabSize,
    int dtypeBytes,
    int maxPositionEmbeddings,
    boolean tieWordEmbeddings,
    boolean qkNorm) {

  public ModelGeometry {
    if (numLayers < 1
        || hiddenSize < 1
        || numHeads < 1
        || numKvHeads < 1
        || headDim < 1
        || intermediateSize < 1
        || vocabSize < 1
        || dtypeBytes < 1
        || maxPositionEmbeddings < 2) {
      throw new IllegalArgumentException("model geometry values must be positive: " + id);
    }
    if (numHeads % numKvHeads != 0) {
      throw new IllegalArgumentException(
          "num_attention_heads ("
              + numHeads
              + ") must be a multiple of num_key_value_heads ("
              + numKvHeads
              + ")");
    }
  }

  /** Parameters of the whole model (all tensor-parallel ranks together). */
  public long parameters() {
    long h = hiddenSize;
    long q = (long) numHeads * headDim;
    long kv = (long) numKvHeads * headDim;
    long perLayer =
        h * q // q_proj
            + 2 * h * kv // k_proj, v_proj
            + q * h // o_proj
            + 3 * h * intermediateSize // gate, up, down
            + 2 * h // two RMSNorms
            + (qkNorm ? 2L * headDim : 0);
    long embeddings = (long) vocabSize * h * (tieWordEmbeddings ? 1 : 2);
    return numLayers * perLayer + embeddings + h;
  }

  /**
   * Weight bytes held by one GPU at tensor-parallel size {@code tp} (embeddings split by vocab).
   */
  public long weightBytesPerGpu(int tp) {
    return (long) Math.ceil((double) parameters() * dtypeBytes / tp);
  }

  /**
   * KV heads one GPU holds: split across ranks, replicated when there are fewer heads than ranks.
   */
  public int kvHeadsPerGpu(int tp) {
    return Math.max(1, numKvHeads / tp);
  }

  /**
   * KV-cache bytes per token on one GPU: layers × kv heads × head_dim × 2 (K and V) × dtype bytes.
   */
  public long kvBytesPerTokenPerGpu(int tp) {
    return (long) numLayers * kvHeadsPerGpu(tp) * headDim * 2L * dtypeBytes;
  }
}
