package dev.llmemu.engine.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmemu.engine.StepBatch;
import dev.llmemu.engine.StepLatencyModel;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** LLM-Emu packs in exactly LLM-Emu's schema (test resources) load unchanged. */
class LlmEmuPackTest {

  static Path resource(String name) {
    try {
      return Path.of(
          LlmEmuPackTest.class.getResource("/dev/llmemu/engine/profile/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new AssertionError(e);
    }
  }

  /** A step of {@code tt} tokens over {@code conc} requests, {@code fresh} of them new. */
  record Step(int tt, int conc, int fresh) implements StepBatch {
    @Override
    public int totalTokens() {
      return tt;
    }

    @Override
    public int numRequests() {
      return conc;
    }

    @Override
    public int numNewRequests() {
      return fresh;
    }

    @Override
    public int numDecodes() {
      return conc - fresh;
    }

    @Override
    public long decodeContextTokens() {
      return 0;
    }

    @Override
    public int numPrefills() {
      return fresh;
    }

    @Override
    public int prefillChunkTokens(int i) {
      return (tt - (conc - fresh)) / Math.max(1, fresh);
    }

    @Override
    public int prefillContextTokens(int i) {
      return 0;
    }
  }

  @Test
  void aVersion20PackLoadsWithVllmDefaultsForItsGpu() {
    HardwareProfile p = Profiles.loadPath(resource("llm-emu-pack-2.0.json"));

    assertThat(p.name()).isEqualTo("llm-emu-a40-qwen-qwen3-8b");
    assertThat(p.gpu()).isEqualTo("NVIDIA A40");
    assertThat(p.model()).isEqualTo("Qwen/Qwen3-8B");
    assertThat(p.format()).isEqualTo("llm-emu/2.0");
    // A40 is below 70 GiB: vLLM's server defaults for such GPUs.
    assertThat(p.engineConfig().maxNumBatchedTokens()).isEqualTo(2048);
    assertThat(p.engineConfig().maxNumSeqs()).isEqualTo(256);
    assertThat(p.engineConfig().maxModelLen()).isEqualTo(4096);
    assertThat(p.engineConfig().asyncScheduling()).isTrue();
    // Sized from model_config as vLLM would: 147,456 bytes per token for Qwen3-8B.
    assertThat(p.kvCacheTokens()).isBetween(150_000L, 200_000L);
  }

  @Test
  void stepsDrawWholeStepSamplesFromTheMatchingTable() {
    StepLatencyModel model = Profiles.loadPath(resource("llm-emu-pack-2.0.json")).latencyModel();
    SplittableRandom random = new SplittableRandom(42);

    // A decode step with one request (tt=1, conc 0-4 -> key 2): the decode bucket (tt 1, conc 2)
    // is an exact match and holds the only samples drawn.
    for (int i = 0; i < 50; i++) {
      assertThat(model.stepNanos(new Step(1, 1, 0), random))
          .isIn(29_213_100L, 29_345_700L, 29_301_200L, 2_512_000L);
    }
    // A step admitting a new request uses the prefill table.
    for (int i = 0; i < 50; i++) {
      assertThat(model.stepNanos(new Step(14, 2, 1), random))
          .isIn(14_108_600L, 14_219_600L, 14_117_100L);
    }
    assertThat(model.stepNanos(new Step(0, 0, 0), random)).isZero();
  }

  @Test
  void aVersion21PackUsesItsThreeDimensionalTablesAndMeasuredKvSize() {
    HardwareProfile p = Profiles.loadPath(resource("llm-emu-pack-2.1.json"));

    assertThat(p.format()).isEqualTo("llm-emu/2.1");
    assertThat(p.kvCacheTokens()).isEqualTo(193_824L);
    SplittableRandom random = new SplittableRandom(1);
    // tt 1200 with 2 new requests: the (1200, 7, 2) bucket is an exact match.
    for (int i = 0; i < 20; i++) {
      assertThat(p.latencyModel().stepNanos(new Step(1200, 7, 2), random))
          .isIn(98_000_000L, 97_000_000L);
    }
  }

  @Test
  void anUnsupportedPackVersionIsRejected() throws Exception {
    String json =
        new String(
                LlmEmuPackTest.class
                    .getResourceAsStream("/dev/llmemu/engine/profile/llm-emu-pack-2.0.json")
                    .readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8)
            .replace("\"2.0\"", "\"3.0\"");

    assertThatThrownBy(
            () ->
                Profiles.parse(
                    new java.io.ByteArrayInputStream(
                        json.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                    "pack.json"))
        .hasMessage(
            "Invalid hardware profile pack.json: field 'version' is \"3.0\" but llmemu reads LLM-Emu"
                + " packs of version 2.0 and 2.1. Re-export the pack with LLM-Emu's builder at version"
                + " 2.0 or 2.1");
  }
}
