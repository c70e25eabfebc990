package dev.llmemu.profiles.builder;

import java.util.List;

/**
 * A GPU the builder has kernel data for, with the vLLM server defaults vLLM picks for it
 * (docs/vllm-behaviour.md §1.9: devices of 70 GiB or more that are not an A100 get 8192 batched
 * tokens and 1024 sequences, other GPUs 2048 and 256).
 *
 * @param key short name used in profile names ({@code h100})
 * @param memoryBytes device memory as the driver reports it (nvidia-smi's total)
 * @param aiconfigurator folder under {@code <data>/aiconfigurator}
 * @param vidur folder under {@code <data>/vidur/profiling/compute}
 */
public record GpuSpec(
    String key,
    String name,
    long memoryBytes,
    String aiconfigurator,
    String vidur,
    int defaultMaxNumBatchedTokens,
    int defaultMaxNumSeqs) {

  private static final long MIB = 1L << 20;

  /** H100 SXM 80GB HBM3: nvidia-smi reports 81559 MiB. */
  public static final GpuSpec H100 =
      new GpuSpec(
          "h100",
          "NVIDIA H100 80GB HBM3",
          81_559 * MIB,
          "h100_sxm/vllm-0.14.0",
          "h100",
          8192,
          1024);

  /** A100 SXM4 80GB: nvidia-smi reports 81920 MiB. */
  public static final GpuSpec A100 =
      new GpuSpec(
          "a100", "NVIDIA A100-SXM4-80GB", 81_920 * MIB, "a100_sxm/vllm-0.14.0", "a100", 2048, 256);

  public static List<GpuSpec> all() {
    return List.of(H100, A100);
  }

  public static GpuSpec of(String key) {
    for (GpuSpec g : all()) {
      if (g.key.equals(key)) {
        return g;
      }
    }
    throw new IllegalArgumentException("unknown GPU '" + key + "', known: h100, a100");
  }
}
