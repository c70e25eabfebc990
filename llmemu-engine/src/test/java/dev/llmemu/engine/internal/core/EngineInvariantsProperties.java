package dev.llmemu.engine.internal.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmemu.engine.EngineConfig;
import dev.llmemu.engine.EngineObserver;
import dev.llmemu.engine.FinishReason;
import dev.llmemu.engine.OutputLengthModel;
import dev.llmemu.engine.RequestResult;
import dev.llmemu.engine.RequestSpec;
import dev.llmemu.engine.SchedulingPolicy;
import dev.llmemu.engine.SimulationResult;
import dev.llmemu.engine.Simulator;
import dev.llmemu.engine.StepLatencyModel;
import dev.llmemu.engine.StepStats;
import dev.llmemu.engine.internal.exec.Executive;
import dev.llmemu.engine.internal.exec.VirtualClock;
import dev.llmemu.engine.internal.exec.VirtualTimeInbox;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Randomised workloads (2,000 seeded scenarios) against small KV pools (so that preemption,
 * eviction and aborts are common): the engine's bookkeeping must hold after every step, every
 * request must end, limits must never be exceeded, and the same seed must give the same results.
 */
class EngineInvariantsProperties {

  /** A random engine configuration and workload, all drawn from one seed. */
  private record Scenario(
      EngineConfig config, List<RequestSpec> requests, OutputLengthModel lengths) {}

  private static Scenario scenario(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int blockSize = new int[] {4, 8, 16}[rnd.nextInt(3)];
    int maxModelLen = rnd.nextInt(64, 513);
    int minBlocks = (maxModelLen + blockSize - 1) / blockSize + 1;
    int numGpuBlocks = rnd.nextInt(minBlocks, minBlocks * 3 + 1);
    int maxNumSeqs = rnd.nextInt(1, 17);
    boolean chunked = rnd.nextInt(8) != 0;
    int maxBatched =
        chunked ? rnd.nextInt(maxNumSeqs, 513) : rnd.nextInt(maxModelLen, maxModelLen + 257);
    EngineConfig config =
        EngineConfig.builder()
            .blockSize(blockSize)
            .numGpuBlocks(numGpuBlocks)
            .maxNumSeqs(maxNumSeqs)
            .maxNumBatchedTokens(maxBatched)
            .maxModelLen(maxModelLen)
            .longPrefillTokenThreshold(rnd.nextBoolean() ? 0 : rnd.nextInt(1, 129))
            .enableChunkedPrefill(chunked)
            .enablePrefixCaching(rnd.nextInt(4) != 0)
            .schedulingPolicy(rnd.nextBoolean() ? SchedulingPolicy.FCFS : SchedulingPolicy.PRIORITY)
            .asyncScheduling(rnd.nextBoolean())
            .seed(seed)
            .build();
    int[][] prefixes = new int[3][];
    for (int p = 0; p < prefixes.length; p++) {
      prefixes[p] = new int[rnd.nextInt(1, maxModelLen / 2)];
      for (int i = 0; i < prefixes[p].length; i++) {
        prefixes[p][i] = rnd.nextInt(50);
      }
    }
    int count = rnd.nextInt(1, 41);
    List<RequestSpec> requests = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int promptLen = rnd.nextInt(1, maxModelLen);
      int[] prompt = new int[promptLen];
      int[] prefix = prefixes[rnd.nextInt(prefixes.length)];
      boolean shared = rnd.nextBoolean();
      for (int k = 0; k < promptLen; k++) {
        prompt[k] = shared && k < prefix.length ? prefix[k] : rnd.nextInt(1000);
      }
      Integer maxTokens = rnd.nextInt(6) == 0 ? null : rnd.nextInt(1, 65);
      int minTokens =
          rnd.nextInt(3) == 0 ? rnd.nextInt(0, maxTokens == null ? 10 : maxTokens + 1) : 0;
      RequestSpec.Builder b =
          RequestSpec.builder()
              .promptTokenIds(prompt)
              .maxTokens(maxTokens)
              .minTokens(minTokens)
              .ignoreEos(rnd.nextBoolean())
              .n(rnd.nextInt(5) == 0 ? rnd.nextInt(2, 4) : 1)
              .priority(rnd.nextInt(4))
              .arrival(Duration.ofMillis(rnd.nextInt(0, 500)));
      if (rnd.nextInt(5) == 0) {
        b.stop(List.of(" the", ","));
      }
      if (rnd.nextInt(6) == 0) {
        b.cancelAfter(Duration.ofMillis(rnd.nextInt(0, 300)));
      }
      if (rnd.nextInt(8) == 0) {
        b.cacheSalt("salt" + rnd.nextInt(2));
      }
      requests.add(b.build());
    }
    return new Scenario(config, requests, OutputLengthModel.uniform(1, 80));
  }

  /** Jittered linear model: exercises the latency generator's determinism. */
  private static final StepLatencyModel JITTERY =
      (batch, random) ->
          2_000_000L
              + 5_000L * batch.totalTokens()
              + 3_000L * batch.numRequests()
              + random.nextLong(0, 500_000);

  @TestFactory
  Stream<DynamicTest> bookkeepingHoldsAfterEveryStepAndEveryRequestEnds() {
    return LongStream.range(0, 2000)
        .mapToObj(
            seed ->
                DynamicTest.dynamicTest(
                    "scenario " + seed,
                    () -> bookkeepingHoldsAfterEveryStepAndEveryRequestEnds(seed)));
  }

  private static void bookkeepingHoldsAfterEveryStepAndEveryRequestEnds(long seed) {
    Scenario s = scenario(seed);
    List<String> problems = new ArrayList<>();
    Map<String, Integer> finishedPerParent = new HashMap<>();
    List<RequestResult> results = new ArrayList<>();
    EngineCore[] core = new EngineCore[1];
    EngineObserver checker =
        new EngineObserver() {
          @Override
          public void onStep(StepStats st) {
            if (st.scheduledTokens() > s.config.maxNumBatchedTokens()) {
              problems.add("step " + st.index() + " scheduled " + st.scheduledTokens() + " tokens");
            }
            if (st.numRunning() > s.config.maxNumSeqs()) {
              problems.add("step " + st.index() + " ran " + st.numRunning() + " requests");
            }
            problems.addAll(core[0].checkInvariants());
          }

          @Override
          public void onRequestFinished(RequestResult r) {
            results.add(r);
            finishedPerParent.merge(r.parentRequestId(), 1, Integer::sum);
          }
        };
    core[0] = new EngineCore(s.config, JITTERY, s.lengths, checker, false);
    VirtualTimeInbox inbox = new VirtualTimeInbox();
    for (int i = 0; i < s.requests.size(); i++) {
      RequestSpec spec = s.requests.get(i);
      String id = "r" + i;
      long arrival = spec.arrival().toNanos();
      inbox.schedule(arrival, (c, now) -> c.addRequest(spec, id, arrival, null));
      if (spec.cancelAfter() != null) {
        inbox.schedule(arrival + spec.cancelAfter().toNanos(), (c, now) -> c.abort(id, now));
      }
    }
    try {
      new Executive(core[0], new VirtualClock(), inbox, 1.0).run();
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }

    assertThat(problems).isEmpty();
    assertThat(core[0].checkInvariants()).isEmpty();
    assertThat(core[0].hasWork()).isFalse();
    assertThat(core[0].activeRequests()).isZero();
    assertThat(core[0].blockPool().numFreeBlocks()).isEqualTo(s.config.numGpuBlocks() - 1);
    for (int i = 0; i < s.requests.size(); i++) {
      assertThat(finishedPerParent.get("r" + i))
          .as("results of r" + i)
          .isEqualTo(s.requests.get(i).n());
    }
    for (RequestResult r : results) {
      assertThat(r.outputTokens()).isLessThanOrEqualTo(r.maxTokens());
      assertThat(r.promptTokens() + r.outputTokens()).isLessThanOrEqualTo(s.config.maxModelLen());
      assertThat(r.tokenTimesNanos()).isSorted();
      if (r.finishReason() == FinishReason.LENGTH) {
        assertThat(r.outputTokens()).isEqualTo(r.maxTokens());
      }
      if (r.finishReason() != FinishReason.ABORT) {
        assertThat(r.tokenTimesNanos()).hasSize(r.outputTokens());
      }
    }
  }

  @TestFactory
  Stream<DynamicTest> sameSeedGivesIdenticalResults() {
    return LongStream.range(10_000, 10_200)
        .mapToObj(
            seed ->
                DynamicTest.dynamicTest(
                    "scenario " + seed, () -> sameSeedGivesIdenticalResults(seed)));
  }

  private static void sameSeedGivesIdenticalResults(long seed) {
    Scenario s = scenario(seed);
    Simulator simulator =
        Simulator.builder()
            .config(s.config)
            .latencyModel(JITTERY)
            .outputLengthModel(s.lengths)
            .recordSteps(true)
            .produceText(true)
            .build();
    SimulationResult first = simulator.run(s.requests);
    SimulationResult second = simulator.run(s.requests);
    assertThat(second).isEqualTo(first);
  }
}
