package dev.llmemu.profiles.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.llmemu.engine.internal.profile.KvSizing;
import dev.llmemu.engine.internal.profile.ModelGeometry;
import org.junit.jupiter.api.Test;

/** KV sizing against the worked example of docs/llm-emu-method.md §6 (no data needed). */
class KvCapacityTest {
  private static final double GIB = 1L << 30;
  private final ModelGeometry qwen3 = ModelSpec.QWEN3_8B.geometry();

  /** A KV memory that vLLM would log as 26.62 GiB (mid-block: 12,114.5 blocks). */
  private static final long KV_BYTES = (193_824L + 8) * 147_456L;

  @Test
  void qwen3With16BitWeightsMatchesTheWorkedExample() {
    // "KV bytes per token = layers x kv_heads x head_dim x 2 x dtype bytes (Qwen3-8B bf16:
    // 147,456)"
    assertThat(qwen3.kvBytesPerTokenPerGpu(1)).isEqualTo(147_456L);
    // "weights 15.27 GiB": 8.19e9 parameters x 2 bytes = 15.256 GiB; vLLM's figure also counts
    // buffers such as the rotary cos/sin cache (~10 MB).
    assertThat(qwen3.weightBytesPerGpu(1) / GIB).isCloseTo(15.27, within(0.02));
    // "KV memory 26.62 GiB, 193,824 tokens": 12,114 blocks of 16 tokens x 147,456 bytes.
    assertThat(KvSizing.cacheTokens(KV_BYTES, 147_456L, 16)).isEqualTo(193_824L);
    assertThat(KV_BYTES / GIB).isCloseTo(26.62, within(0.005));
  }

  @Test
  void availableMemoryIsUtilizationMinusWeightsMinusReserve() {
    // The example's split: 0.9 x total - 15.27 GiB weights - reserve = 26.62 GiB. With the RTX
    // 8000's memory as the driver reports it (48,601 MiB), the reserve is 0.83 GiB.
    long total = 48_601L << 20;
    long weights = qwen3.weightBytesPerGpu(1);
    long reserve = (long) Math.floor(0.9 * total) - weights - KV_BYTES;
    assertThat(reserve / GIB).isCloseTo(0.83, within(0.02));
    long available = KvSizing.availableKvBytes(total, 0.9, weights, reserve);
    assertThat(KvSizing.cacheTokens(available, qwen3.kvBytesPerTokenPerGpu(1), 16))
        .isEqualTo(193_824L);
    // llmemu's estimate of that reserve for vLLM's defaults on such a GPU (2048 batched tokens, 256
    // sequences) is within half a GiB of it.
    assertThat(KvSizing.estimateReserveBytes(qwen3, 1, 2048, 256) / GIB)
        .isCloseTo(0.83, within(0.5));
  }

  @Test
  void tensorParallelismSplitsWeightsAndKvHeads() {
    ModelGeometry llama70 = ModelSpec.LLAMA_2_70B.geometry();
    assertThat(llama70.weightBytesPerGpu(4))
        .isEqualTo((long) Math.ceil(llama70.parameters() * 2.0 / 4));
    assertThat(llama70.kvBytesPerTokenPerGpu(4)).isEqualTo(80L * 2 * 128 * 2 * 2);
    // More ranks than KV heads: heads are replicated, not split below one.
    assertThat(llama70.kvHeadsPerGpu(16)).isEqualTo(1);
    assertThat(llama70.parameters()).isBetween(68_900_000_000L, 69_100_000_000L);
  }
}
