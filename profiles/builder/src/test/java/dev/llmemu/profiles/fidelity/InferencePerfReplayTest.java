package dev.llmemu.profiles.fidelity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.llmemu.engine.RequestSpec;
import dev.llmemu.engine.profile.HardwareProfile;
import dev.llmemu.profiles.builder.Calibration;
import dev.llmemu.profiles.builder.DataAvailable;
import dev.llmemu.profiles.builder.ExperimentProfiles;
import dev.llmemu.profiles.builder.GpuSpec;
import dev.llmemu.profiles.builder.KernelData;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class InferencePerfReplayTest {

  private static Path run(String workload) {
    Path data = DataAvailable.require();
    return InferencePerfExperiment.findAll(FidelityCommand.calibrationRoot(data)).stream()
        .filter(p -> p.getFileName().toString().endsWith("-" + workload))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void readsTheResolvedConfigurationNotTheProfileAsWritten() {
    InferencePerfExperiment exp = InferencePerfExperiment.read(run("codegen"));

    // profile.yaml says 11 system prompts x 4 users; results/config.yaml shows what ran.
    assertThat(exp.sharedPrefix())
        .isEqualTo(new InferencePerfExperiment.SharedPrefix(10, 10, 100, 466, 247));
    assertThat(exp.stages())
        .containsExactly(
            new InferencePerfExperiment.Stage(0, 5, 600),
            new InferencePerfExperiment.Stage(1, 10, 600));
    assertThat(exp.maxNumSeqs()).isEqualTo(128);
    assertThat(exp.maxNumBatchedTokens()).isEqualTo(2048);
    assertThat(exp.maxModelLen()).isEqualTo(4096);
    assertThat(exp.requestTimeout()).isNull();
    StageMetrics real = exp.realMetrics(0);
    // TPOT derived from E2E and TTFT: the reported one is about half of it.
    assertThat(real.tpot() * 1e3).isCloseTo(7.26, within(0.01));
    assertThat(real.outputThroughput()).isCloseTo(4.9868 * 247, within(0.1));
  }

  @Test
  void buildsPromptsAndArrivalsAsInferencePerfDoes() {
    InferencePerfExperiment exp = InferencePerfExperiment.read(run("codegen"));
    SharedPrefixWorkload w =
        SharedPrefixWorkload.build(exp.sharedPrefix(), exp.promptLengths(), true, 42);

    assertThat(w.prompts()).hasSize(100);
    Set<List<Integer>> systemPrompts = new HashSet<>();
    for (int[] p : w.prompts()) {
      assertThat(p[0]).isEqualTo(SharedPrefixWorkload.BOS);
      assertThat(p.length).isBetween(580, 604);
      systemPrompts.add(java.util.Arrays.stream(p, 0, 90).boxed().toList());
    }
    assertThat(systemPrompts).hasSize(10);

    InferencePerfExperiment.Stage stage = exp.stages().get(0);
    List<RequestSpec> specs = w.stage(stage, 1.0, 300, new SplittableRandom(1));
    assertThat(specs).hasSize(3000);
    // Rescaled exponential gaps: the last request is sent exactly duration after the start...
    assertThat(specs.get(2999).arrival().toNanos()).isEqualTo(601_000_000_000L);
    // ...the first one a random gap after it, not at it.
    assertThat(specs.get(0).arrival().toNanos()).isGreaterThan(1_000_000_000L);
    // Request k uses prompt k mod 100; every request asks for exactly output_len tokens.
    assertThat(specs.get(100).promptTokenIds()).isEqualTo(specs.get(0).promptTokenIds());
    assertThat(specs.get(101).promptTokenIds()).isNotEqualTo(specs.get(0).promptTokenIds());
    assertThat(specs).allSatisfy(s -> assertThat(s.maxTokens()).isEqualTo(247));
    assertThat(specs).allSatisfy(s -> assertThat(s.ignoreEos()).isTrue());
  }

  @Test
  void theRoleplayRunIsReproducedWithinTheTargets() {
    Path data = DataAvailable.require();
    InferencePerfExperiment exp = InferencePerfExperiment.read(run("roleplay"));
    HardwareProfile p =
        ExperimentProfiles.build(exp, KernelData.load(data, GpuSpec.H100), Calibration.load());

    StageComparison c = InferencePerfReplay.compare(exp, p, 42).get(0);
    double[] e = c.errors();
    assertThat(c.overloaded()).isFalse();
    assertThat(c.emulated().failures()).isZero();
    assertThat(Math.abs(e[0])).as("mean TTFT error %%").isLessThan(8);
    assertThat(Math.abs(e[2])).as("p90 TTFT error %%").isLessThan(8);
    assertThat(Math.abs(e[4])).as("TPOT error %%").isLessThan(3);
    assertThat(Math.abs(e[6])).as("mean E2E error %%").isLessThan(4);
    assertThat(Math.abs(e[10])).as("throughput error %%").isLessThan(1.5);
  }

  @Test
  void theReasoningRunOverloadsAsTheRealServerDid() {
    Path data = DataAvailable.require();
    InferencePerfExperiment exp = InferencePerfExperiment.read(run("reasoning"));
    HardwareProfile p =
        ExperimentProfiles.build(exp, KernelData.load(data, GpuSpec.H100), Calibration.load());

    StageComparison c = InferencePerfReplay.compare(exp, p, 42).get(0);
    // Real: 4068 of 4800 requests hit the client's 300 s timeout; TTFT of the rest ~100 s.
    assertThat(c.overloaded()).isTrue();
    assertThat(c.emulated().failures()).isGreaterThan(3000);
    assertThat(c.emulated().ttftP50()).isGreaterThan(30);
  }
}
