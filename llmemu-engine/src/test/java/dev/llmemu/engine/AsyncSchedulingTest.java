package dev.llmemu.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * vLLM's async scheduling (v0.14+ default): the next step is scheduled while the current one runs,
 * so a request that arrives during a busy step is scheduled one step later than in sync mode; an
 * idle engine schedules it at once.
 */
class AsyncSchedulingTest {
  private static final Duration STEP = Duration.ofMillis(10);

  private static SimulationResult run(boolean async, Duration frontend) {
    EngineConfig config =
        EngineConfig.builder().numGpuBlocks(1025).maxModelLen(1024).asyncScheduling(async).build();
    RequestSpec busy =
        RequestSpec.builder()
            .requestId("busy")
            .promptTokenIds(1, 2, 3)
            .maxTokens(20)
            .ignoreEos(true)
            .build();
    RequestSpec late =
        RequestSpec.builder()
            .requestId("late")
            .promptTokenIds(4, 5, 6)
            .maxTokens(3)
            .ignoreEos(true)
            .arrival(Duration.ofMillis(25))
            .build();
    return Simulator.builder()
        .config(config)
        .latencyModel(StepLatencyModel.constant(STEP))
        .frontendLatency(frontend)
        .build()
        .run(List.of(busy, late));
  }

  private static RequestResult result(SimulationResult r, String id) {
    return r.requests().stream().filter(x -> x.requestId().equals(id)).findFirst().orElseThrow();
  }

  @Test
  void aRequestArrivingDuringABusyStepJoinsTheStepAfterNext() {
    // Steps run [0,10) [10,20) [20,30) [30,40) ...; "late" arrives at 25 ms, during step 3.
    RequestResult sync = result(run(false, Duration.ZERO), "late");
    RequestResult async = result(run(true, Duration.ZERO), "late");

    assertThat(sync.firstScheduledNanos()).isEqualTo(30_000_000L);
    assertThat(sync.ttft()).isEqualTo(Duration.ofMillis(15));
    assertThat(async.firstScheduledNanos()).isEqualTo(40_000_000L);
    assertThat(async.ttft()).isEqualTo(Duration.ofMillis(25));
    // Once admitted, tokens come every step as in sync mode.
    assertThat(async.tpot()).isEqualTo(STEP);
  }

  @Test
  void anIdleEngineSchedulesAnArrivalAtOnce() {
    RequestResult busy = result(run(true, Duration.ZERO), "busy");

    assertThat(busy.firstScheduledNanos()).isZero();
    assertThat(busy.ttft()).isEqualTo(STEP);
  }

  @Test
  void frontendLatencyDelaysAdmissionButCountsFromTheArrival() {
    RequestResult plain = result(run(false, Duration.ZERO), "busy");
    RequestResult delayed = result(run(false, Duration.ofMillis(3)), "busy");

    assertThat(delayed.arrivalNanos()).isEqualTo(plain.arrivalNanos());
    assertThat(delayed.ttft()).isEqualTo(plain.ttft().plusMillis(3));
    assertThat(delayed.e2eLatency()).isEqualTo(plain.e2eLatency().plusMillis(3));
  }

  @Test
  void abortingARequestBeforeItsAdmissionReleasesIt() {
    EngineConfig config =
        EngineConfig.builder().numGpuBlocks(1025).maxModelLen(1024).asyncScheduling(true).build();
    RequestSpec busy =
        RequestSpec.builder()
            .requestId("busy")
            .promptTokenIds(1, 2, 3)
            .maxTokens(20)
            .ignoreEos(true)
            .build();
    RequestSpec cancelled =
        RequestSpec.builder()
            .requestId("cancelled")
            .promptTokenIds(4, 5, 6)
            .maxTokens(3)
            .arrival(Duration.ofMillis(25))
            .cancelAfter(Duration.ofMillis(6))
            .build();
    SimulationResult r =
        Simulator.builder()
            .config(config)
            .latencyModel(StepLatencyModel.constant(STEP))
            .build()
            .run(List.of(busy, cancelled));

    RequestResult c = result(r, "cancelled");
    assertThat(c.finishReason()).isEqualTo(FinishReason.ABORT);
    assertThat(c.outputTokens()).isZero();
    assertThat(c.firstScheduledNanos()).isEqualTo(-1);
    assertThat(result(r, "busy").outputTokens()).isEqualTo(20);
  }
}
