package dev.llmemu.profiles.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.llmemu.engine.EngineConfig;
import dev.llmemu.engine.RequestResult;
import dev.llmemu.engine.RequestSpec;
import dev.llmemu.engine.SimulationResult;
import dev.llmemu.engine.Simulator;
import dev.llmemu.engine.StepStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The calibration's shortcuts must be exact: they stand in for re-simulating every candidate. */
class CalibrationTest {
  private static SimulationResult run(double perOutputUs, List<RequestSpec> requests) {
    return Simulator.builder()
        .config(EngineConfig.builder().numGpuBlocks(4097).maxModelLen(2048).maxNumSeqs(64).build())
        .latencyModel(
            (batch, random) -> 2_000_000L + 40_000L * batch.numRequests() + batch.totalTokens())
        .frontendPerOutput(Duration.ofNanos(Math.round(perOutputUs * 1000)))
        .recordSteps(true)
        .build()
        .run(requests);
  }

  @Test
  void deliveryDelaysReproduceTheEnginesFrontEndExactly() {
    // Poisson arrivals heavy enough that the front end sometimes falls behind (64 outputs x 100 us
    // is longer than a ~4.6 ms step).
    SplittableRandom rnd = new SplittableRandom(7);
    List<RequestSpec> requests = new ArrayList<>();
    double t = 0;
    for (int i = 0; i < 400; i++) {
      t += -Math.log(1 - rnd.nextDouble()) / 250.0;
      requests.add(
          RequestSpec.builder()
              .requestId("r" + i)
              .promptTokenIds(new int[20 + rnd.nextInt(200)])
              .maxTokens(10 + rnd.nextInt(80))
              .ignoreEos(true)
              .arrival(Duration.ofNanos(Math.round(t * 1e9)))
              .build());
    }
    double c = 100.0;
    SimulationResult plain = run(0, requests);
    SimulationResult costly = run(c, requests);
    assertThat(costly.steps().stream().map(StepStats::endNanos).toList())
        .isEqualTo(plain.steps().stream().map(StepStats::endNanos).toList());

    double[] delay = Calibration.deliveryDelays(plain.steps(), c);
    Map<Long, Double> byEnd = new HashMap<>();
    int queued = 0;
    for (int i = 0; i < delay.length; i++) {
      StepStats s = plain.steps().get(i);
      if (s.generatedTokens() > 0) {
        byEnd.put(s.endNanos(), delay[i]);
        if (delay[i] > s.generatedTokens() * c + 1) {
          queued++; // the loop was still busy with earlier outputs
        }
      }
    }
    assertThat(queued).isPositive();
    Map<String, RequestResult> withCost = new HashMap<>();
    costly.requests().forEach(r -> withCost.put(r.requestId(), r));
    for (RequestResult r : plain.requests()) {
      long[] base = r.tokenTimesNanos();
      long[] got = withCost.get(r.requestId()).tokenTimesNanos();
      assertThat(got).hasSameSizeAs(base);
      for (int k = 0; k < base.length; k++) {
        assertThat((double) got[k]).isCloseTo(base[k] + byEnd.get(base[k]) * 1000, within(0.5));
      }
    }
  }
}
