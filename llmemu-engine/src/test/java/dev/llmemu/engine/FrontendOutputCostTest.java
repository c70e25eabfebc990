package dev.llmemu.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * vLLM's API server handles each engine step's outputs in its one event loop, one output after
 * another: the outputs of a step reach their clients when the loop is done with them and with every
 * earlier step's outputs. The engine's own steps do not change.
 */
class FrontendOutputCostTest {
  private static final Duration STEP = Duration.ofMillis(10);

  private static RequestSpec request(String id, int maxTokens, long arrivalMs) {
    return RequestSpec.builder()
        .requestId(id)
        .promptTokenIds(1, 2, 3)
        .maxTokens(maxTokens)
        .ignoreEos(true)
        .arrival(Duration.ofMillis(arrivalMs))
        .build();
  }

  private static SimulationResult run(Duration perOutput, List<RequestSpec> requests) {
    EngineConfig config =
        EngineConfig.builder().numGpuBlocks(1025).maxModelLen(1024).asyncScheduling(false).build();
    return Simulator.builder()
        .config(config)
        .latencyModel(StepLatencyModel.constant(STEP))
        .frontendPerOutput(perOutput)
        .recordSteps(true)
        .build()
        .run(requests);
  }

  private static RequestResult result(SimulationResult r, String id) {
    return r.requests().stream().filter(x -> x.requestId().equals(id)).findFirst().orElseThrow();
  }

  @Test
  void eachStepsOutputsArriveWhenTheLoopHasHandledThemAll() {
    // Two requests decode together: every step has 2 outputs, 1 ms each.
    List<RequestSpec> two = List.of(request("a", 3, 0), request("b", 3, 0));
    SimulationResult plain = run(Duration.ZERO, two);
    SimulationResult costly = run(Duration.ofMillis(1), two);

    // Steps end at 10, 20, 30 ms in both runs: the engine does not wait for the front end.
    assertThat(costly.steps().stream().map(StepStats::endNanos).toList())
        .isEqualTo(plain.steps().stream().map(StepStats::endNanos).toList());
    for (String id : List.of("a", "b")) {
      assertThat(result(plain, id).tokenTimesNanos())
          .containsExactly(10_000_000L, 20_000_000L, 30_000_000L);
      assertThat(result(costly, id).tokenTimesNanos())
          .containsExactly(12_000_000L, 22_000_000L, 32_000_000L);
      assertThat(result(costly, id).ttft()).isEqualTo(Duration.ofMillis(12));
      assertThat(result(costly, id).e2eLatency()).isEqualTo(Duration.ofMillis(32));
    }
  }

  @Test
  void aBusyLoopQueuesTheNextStepsOutputs() {
    // Four outputs per 10 ms step at 3 ms each: the loop needs 12 ms per step and falls behind by
    // 2 ms a step (a single server, handled in order).
    List<RequestSpec> four = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      four.add(request("r" + i, 3, 0));
    }
    SimulationResult r = run(Duration.ofMillis(3), four);

    assertThat(result(r, "r0").tokenTimesNanos())
        .containsExactly(22_000_000L, 34_000_000L, 46_000_000L);
    assertThat(result(r, "r3").finishedNanos()).isEqualTo(46_000_000L);
  }

  @Test
  void aLoopThatCaughtUpStartsAtTheStepsEnd() {
    // "late" arrives while the engine is idle, long after the loop went idle.
    SimulationResult r =
        run(Duration.ofMillis(2), List.of(request("a", 2, 0), request("late", 1, 100)));

    assertThat(result(r, "a").tokenTimesNanos()).containsExactly(12_000_000L, 22_000_000L);
    assertThat(result(r, "late").ttft()).isEqualTo(Duration.ofMillis(12));
  }

  @Test
  void negativeCostsAreRejected() {
    assertThatThrownBy(() -> Simulator.builder().frontendPerOutput(Duration.ofNanos(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("frontendPerOutput must not be negative");
  }
}
