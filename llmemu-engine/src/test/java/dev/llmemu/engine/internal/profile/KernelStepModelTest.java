package dev.llmemu.engine.internal.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.llmemu.engine.StepLatencyModel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KernelStepModelTest {
  private final StepLatencyModel model =
      ProfileReader.read(ProfileReaderTest.tiny(), "tiny").latencyModel();

  private long nanos(TestBatch b) {
    return model.stepNanos(b, new SplittableRandom(1));
  }

  @Test
  void composesTokenOpsLmHeadDecodeAttentionAndOverheads() {
    // 2 decodes of mean KV 512: tokens 2 (a graph size) -> 1000; LM head 100; decode attention
    // bilinear between batch 1 (60) and 8 (410) at 1/7 -> 110; overhead 100 + 2 x 10 = 120.
    assertThat(nanos(TestBatch.decode(2, 512))).isEqualTo(1_330_000L);
    assertThat(model.meanNanos(TestBatch.decode(2, 512))).isEqualTo(1_330_000L);
  }

  @Test
  void padsTokenCountsToTheNextCudaGraphSize() {
    KernelStepModel m = (KernelStepModel) model;
    // 3 tokens run as a 4-token graph: same token cost as 4, not an interpolation towards 8.
    double three = m.meanMicros(TestBatch.decode(3, 0));
    double four = m.meanMicros(TestBatch.decode(4, 0));
    assertThat(three - 10 - 10).isCloseTo(four - 10 - 20, within(1e-9));
    // Beyond the largest graph (8) there is no padding: 9 tokens interpolate between 8 and 64.
    double nine =
        m.meanMicros(TestBatch.prefill(9, 0))
            - 100
            - 10
            - m.attentionMicros(TestBatch.prefill(9, 0))
            - 100;
    assertThat(nine).isCloseTo(1000 + 1000.0 / 56, within(1e-3));
  }

  @Test
  void prefillAttentionUsesChunkAndContextAndMixedStepsShareOneLaunchFloor() {
    KernelStepModel m = (KernelStepModel) model;
    double chunk = m.attentionMicros(TestBatch.prefill(30, 0));
    assertThat(chunk).isCloseTo(5 + 29 / 63.0 * 45, within(1e-9));
    double withContext = m.attentionMicros(TestBatch.prefill(30, 512));
    assertThat(withContext).isGreaterThan(chunk);
    TestBatch mixed = new TestBatch(1, 2, 1024, new int[] {30}, new int[] {0});
    assertThat(m.attentionMicros(mixed)).isCloseTo(110 + chunk - 5, within(1e-9));
  }

  @Test
  void emptyStepsTakeNoTimeAndLongerStepsTakeLonger() {
    assertThat(nanos(new TestBatch(0, 0, 0, new int[0], new int[0]))).isZero();
    assertThat(nanos(TestBatch.decode(8, 1024))).isGreaterThan(nanos(TestBatch.decode(8, 128)));
    assertThat(nanos(TestBatch.prefill(64, 0))).isGreaterThan(nanos(TestBatch.prefill(16, 0)));
    // Beyond the grids: linear extrapolation, never negative.
    assertThat(nanos(TestBatch.prefill(128, 4096))).isGreaterThan(nanos(TestBatch.prefill(64, 0)));
  }
}
