package dev.llmemu.profiles.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class StepComposerTest {
  private static KernelData h100;

  @BeforeAll
  static void load() {
    Path data = DataAvailable.require();
    h100 = KernelData.load(data, GpuSpec.H100);
  }

  @Test
  void aMeasuredGemmRowIsReproducedExactly() {
    // aiconfigurator h100_sxm vllm-0.14.0 gemm_perf.csv, bfloat16, m=16, n=12288, k=4096.
    double row = h100.kernels().gemmRowMicros(16, 12288, 4096).orElseThrow();
    assertThat(row).isCloseTo(36.1, within(0.1));
    assertThat(h100.kernels().gemmMicros(16, 12288, 4096)).isEqualTo(row);
    // Llama-2-7B's QKV projection (32 + 2 x 32 heads x 128 = 12288 outputs, hidden 4096) at 16
    // tokens is exactly that kernel.
    StepComposer c = new StepComposer(h100, ModelSpec.LLAMA_2_7B.geometry(), 1, 128, 2048);
    assertThat(c.layerGemms(16)[0]).isEqualTo(row);
  }

  @Test
  void measuredAttentionRowsAreReproducedPerLayer() {
    // generation_attention_perf.csv: 32 heads / 8 KV heads, batch 64, KV 1023 (bf16 cache).
    StepComposer llama3 = new StepComposer(h100, ModelSpec.LLAMA_3_1_8B.geometry(), 1, 1024, 8192);
    assertThat(llama3.decodeAttentionMicros(64, 1023)).isCloseTo(32 * 102.6, within(32 * 0.1));
    // context_attention_perf.csv: 32 / 32 heads, batch 1, isl 2048.
    StepComposer llama2 = new StepComposer(h100, ModelSpec.LLAMA_2_7B.geometry(), 1, 128, 2048);
    assertThat(llama2.prefillAttentionMicros(2048, 0)).isCloseTo(32 * 126.9, within(32 * 0.1));
    // A chunk after cached context costs more than alone, less than the whole prefill.
    double chunk = llama2.prefillAttentionMicros(1024, 1024);
    assertThat(chunk).isGreaterThan(llama2.prefillAttentionMicros(1024, 0));
    assertThat(chunk).isLessThan(llama2.prefillAttentionMicros(2048, 0));
  }

  @Test
  void multiHeadDecodeMapsOntoTheTimedLayoutWithTheSameGroupSize() {
    StepComposer llama2 = new StepComposer(h100, ModelSpec.LLAMA_2_7B.geometry(), 1, 128, 2048);
    // 32 query / 32 KV heads at batch 16 is 8 / 8 heads at batch 64 (heads are independent).
    assertThat(llama2.decodeAttentionMicros(16, 1023))
        .isEqualTo(32 * h100.kernels().generationAttentionMicros(8, 8, 64, 1023));
    // inference-sim's direct measurement of the 32/32 layout agrees within 15%.
    double direct = h100.benchDecodeAttentionMicros(32, 32, 16, 1024).orElseThrow();
    assertThat(llama2.decodeAttentionMicros(16, 1024) / 32)
        .isCloseTo(direct, within(0.15 * direct));
  }

  @Test
  void tensorParallelismSplitsTheWorkAndAddsAllReduces() {
    var m = ModelSpec.LLAMA_2_70B.geometry();
    StepComposer tp2 = new StepComposer(h100, m, 2, 1024, 8192);
    StepComposer tp4 = new StepComposer(h100, m, 4, 1024, 8192);
    // Per-GPU projections shrink with TP: QKV is (64/4 + 2 x 8/4) x 128 = 2560 outputs at TP 4.
    assertThat(tp4.layerGemms(512)[0]).isEqualTo(h100.kernels().gemmMicros(512, 2560, 8192));
    for (int tokens : new int[] {1, 64, 512, 4096}) {
      double t2 = tp2.tokenOpsMicros(tokens);
      double t4 = tp4.tokenOpsMicros(tokens);
      assertThat(t4).as("%d tokens", tokens).isLessThan(t2);
      // ...but not by half: all-reduces and per-layer fixed costs do not shrink.
      assertThat(t4).as("%d tokens", tokens).isGreaterThan(t2 / 2);
    }
    // Decode attention per GPU halves with half the heads per GPU (KV heads 4 -> 2 per GPU).
    assertThat(tp4.decodeAttentionMicros(256, 4095))
        .isLessThan(tp2.decodeAttentionMicros(256, 4095));
  }

  @Test
  void cudaGraphSizesFollowVllm() {
    assertThat(StepComposer.cudaGraphSizes(128, 2048))
        .startsWith(1, 2, 4, 8, 16, 24)
        .contains(248, 256)
        .endsWith(256);
    assertThat(StepComposer.cudaGraphSizes(1024, 8192)).contains(272, 496).endsWith(512);
    assertThat(StepComposer.cudaGraphSizes(1024, 256)).endsWith(256);
  }
}
