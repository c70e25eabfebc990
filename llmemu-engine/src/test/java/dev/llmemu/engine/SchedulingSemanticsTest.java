package dev.llmemu.engine;

import static java.time.Duration.ofMillis;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * vLLM's scheduling semantics, pinned against expectations computed by hand from the rules in
 * vllm-behaviour.md §1–2. Virtual time, a constant or linear step latency, fixed seeds.
 */
class SchedulingSemanticsTest {
  private static final Duration STEP = ofMillis(10);

  private static RequestSpec.Builder request(String id, int promptTokens, int maxTokens) {
    return RequestSpec.builder()
        .requestId(id)
        .promptTokenIds(IntStream.range(0, promptTokens).map(i -> 1000 + i).toArray())
        .maxTokens(maxTokens)
        .ignoreEos(true);
  }

  /** A prompt of distinct tokens that shares nothing with other prompts built with another base. */
  private static int[] tokens(int base, int count) {
    return IntStream.range(0, count).map(i -> base + i).toArray();
  }

  private static RequestResult byId(SimulationResult result, String id) {
    return result.requests().stream()
        .filter(r -> r.requestId().equals(id))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no result for " + id));
  }

  @Test
  @DisplayName("decodes go first and a chunked prefill takes the rest of the token budget")
  void tokenBudgetSplitBetweenDecodesAndChunkedPrefill() {
    EngineConfig config = EngineConfig.builder().maxNumBatchedTokens(64).maxNumSeqs(8).build();
    List<RequestSpec> requests =
        List.of(
            request("a", 10, 100).build(),
            request("b", 10, 100).promptTokenIds(tokens(5000, 10)).build(),
            // arrives during step 1 (10–20 ms), so it is first considered at 20 ms
            request("c", 200, 5).promptTokenIds(tokens(9000, 200)).arrival(ofMillis(15)).build());

    SimulationResult result =
        Simulator.builder()
            .config(config)
            .latencyModel(StepLatencyModel.constant(STEP))
            .recordSteps(true)
            .build()
            .run(requests);

    // step 0: a and b prefill (10 + 10); step 1: two decodes; steps 2-4: two decodes + 62-token
    // chunks of c (62 * 3 = 186); step 5: two decodes + c's last 14 tokens, which gives its first
    // token at 60 ms.
    assertThat(result.steps().subList(0, 7))
        .extracting(StepStats::scheduledTokens)
        .containsExactly(20, 2, 64, 64, 64, 16, 3);
    RequestResult c = byId(result, "c");
    assertThat(c.queueTime()).isEqualTo(ofMillis(5));
    assertThat(c.ttft()).isEqualTo(ofMillis(45));
    // the running requests never skip a step while c prefills
    RequestResult a = byId(result, "a");
    assertThat(a.interTokenLatenciesNanos()).containsOnly(STEP.toNanos());
    assertThat(a.ttft()).isEqualTo(STEP);
  }

  @Test
  @DisplayName("long_prefill_token_threshold caps every request's tokens per step")
  void longPrefillThreshold() {
    EngineConfig config =
        EngineConfig.builder()
            .maxNumBatchedTokens(512)
            .maxNumSeqs(8)
            .longPrefillTokenThreshold(100)
            .build();
    SimulationResult result =
        Simulator.builder()
            .config(config)
            .latencyModel(StepLatencyModel.constant(STEP))
            .recordSteps(true)
            .build()
            .run(
                List.of(
                    request("a", 250, 2).build(),
                    request("b", 30, 2).promptTokenIds(tokens(7000, 30)).build()));

    // a: 100 + 100 + 50; b fits in the first step beside a's first chunk.
    assertThat(result.steps()).extracting(StepStats::scheduledTokens).startsWith(130, 101, 50);
    assertThat(byId(result, "a").ttft()).isEqualTo(ofMillis(30));
    assertThat(byId(result, "b").ttft()).isEqualTo(ofMillis(10));
  }

  @Test
  @DisplayName("a prefix-cache hit cuts the prefill to the uncached tail and shortens TTFT")
  void prefixCacheHit() {
    // 5 ms per step + 100 us per token: prefill time is visible in TTFT.
    StepLatencyModel latency =
        StepLatencyModel.linear(ofMillis(5), Duration.ofNanos(100_000), Duration.ZERO);
    int[] prompt = tokens(2000, 100);
    List<RequestSpec> requests =
        List.of(
            request("first", 100, 4).promptTokenIds(prompt).build(),
            request("second", 100, 4).promptTokenIds(prompt).arrival(ofMillis(100)).build());

    SimulationResult result =
        Simulator.builder().latencyModel(latency).recordSteps(true).build().run(requests);

    RequestResult first = byId(result, "first");
    RequestResult second = byId(result, "second");
    // last-token rule: at most 99 tokens may hit, i.e. 6 whole blocks of 16 = 96 tokens
    assertThat(first.cachedTokens()).isZero();
    assertThat(second.cachedTokens()).isEqualTo(96);
    assertThat(first.ttft()).isEqualTo(ofMillis(5).plus(Duration.ofNanos(100 * 100_000)));
    assertThat(second.ttft()).isEqualTo(ofMillis(5).plus(Duration.ofNanos(4 * 100_000)));
    StepStats secondPrefill =
        result.steps().stream()
            .filter(s -> s.startNanos() == ofMillis(100).toNanos())
            .findFirst()
            .orElseThrow();
    assertThat(secondPrefill.scheduledTokens()).isEqualTo(4);
    assertThat(secondPrefill.prefixCacheQueries()).isEqualTo(100);
    assertThat(secondPrefill.prefixCacheHits()).isEqualTo(96);
  }

  @Test
  @DisplayName("prefix caching off: no hits")
  void prefixCachingOff() {
    int[] prompt = tokens(2000, 100);
    SimulationResult result =
        Simulator.builder()
            .config(EngineConfig.builder().enablePrefixCaching(false).build())
            .build()
            .run(
                List.of(
                    request("first", 100, 4).promptTokenIds(prompt).build(),
                    request("second", 100, 4)
                        .promptTokenIds(prompt)
                        .arrival(ofMillis(100))
                        .build()));
    assertThat(byId(result, "second").cachedTokens()).isZero();
  }

  @Test
  @DisplayName(
      "KV exhaustion preempts the most recently admitted request, which recomputes and completes")
  void preemptionByRecompute() {
    // 8 usable blocks of 16 tokens = 128 tokens of KV for two requests that each grow to 96.
    EngineConfig config =
        EngineConfig.builder()
            .numGpuBlocks(9)
            .maxModelLen(128)
            .maxNumBatchedTokens(256)
            .maxNumSeqs(4)
            .build();
    List<RequestSpec> requests =
        List.of(
            request("a", 32, 64).promptTokenIds(tokens(100, 32)).build(),
            request("b", 32, 64).promptTokenIds(tokens(300, 32)).build());
    List<String> preempted = new ArrayList<>();

    SimulationResult result =
        Simulator.builder()
            .config(config)
            .latencyModel(StepLatencyModel.constant(STEP))
            .observer(
                new EngineObserver() {
                  @Override
                  public void onPreemption(String requestId) {
                    preempted.add(requestId);
                  }
                })
            .recordSteps(true)
            .build()
            .run(requests);

    RequestResult a = byId(result, "a");
    RequestResult b = byId(result, "b");
    // Both hold 4 blocks after 17 decode steps; at step 33 a needs a 5th block (65 slots) and the
    // tail of running, b (admitted after a), is preempted. b has produced 33 tokens by then.
    assertThat(preempted).containsExactly("b");
    assertThat(a.numPreemptions()).isZero();
    assertThat(b.numPreemptions()).isEqualTo(1);
    StepStats step33 = result.steps().get(33);
    assertThat(step33.preemptions()).isEqualTo(1);
    assertThat(step33.scheduledRequests()).isEqualTo(1);
    assertThat(step33.numWaiting()).isEqualTo(1);
    // a keeps its cadence and finishes first with all its tokens
    assertThat(a.outputTokens()).isEqualTo(64);
    assertThat(a.interTokenLatenciesNanos()).containsOnly(STEP.toNanos());
    // b's stream pauses after its 33rd token and resumes only once a is done (b's recompute of
    // 32 + 33 = 65 tokens needs 5 blocks; while a runs at most 3 are free).
    long[] bTimes = b.tokenTimesNanos();
    assertThat(bTimes[32]).isEqualTo(ofMillis(330).toNanos());
    assertThat(bTimes[33]).isGreaterThan(a.finishedNanos());
    assertThat(b.outputTokens()).isEqualTo(64);
    assertThat(b.finishReason()).isEqualTo(FinishReason.LENGTH);
    assertThat(result.steps().get(result.steps().size() - 1).kvCacheUsage()).isZero();
  }

  @Test
  @DisplayName(
      "priority policy: preemption takes the running request with the largest (priority, arrival)")
  void priorityPreemptionVictim() {
    EngineConfig config =
        EngineConfig.builder()
            .numGpuBlocks(9)
            .maxModelLen(128)
            .maxNumBatchedTokens(256)
            .maxNumSeqs(4)
            .schedulingPolicy(SchedulingPolicy.PRIORITY)
            .build();
    // 'low' (priority 5) is admitted first; under FCFS the tail 'high' would be the victim.
    List<RequestSpec> requests =
        List.of(
            request("low", 32, 64).promptTokenIds(tokens(100, 32)).priority(5).build(),
            request("high", 32, 64)
                .promptTokenIds(tokens(300, 32))
                .priority(0)
                .arrival(Duration.ofNanos(1))
                .build());
    List<String> preempted = new ArrayList<>();
    SimulationResult result =
        Simulator.builder()
            .config(config)
            .latencyModel(StepLatencyModel.constant(STEP))
            .observer(
                new EngineObserver() {
                  @Override
                  public void onPreemption(String requestId) {
                    preempted.add(requestId);
                  }
                })
            .build()
            .run(requests);
    assertThat(preempted).containsExactly("low");
    assertThat(byId(result, "high").numPreemptions()).isZero();
    assertThat(byId(result, "high").finishedNanos())
        .isLessThan(byId(result, "low").finishedNanos());
  }

  @Test
  @DisplayName("priority policy admits waiting requests by (priority, arrival); FCFS by arrival")
  void priorityOrdering() {
    List<RequestSpec> requests =
        List.of(
            request("p5", 8, 3).promptTokenIds(tokens(100, 8)).priority(5).build(),
            request("p0", 8, 3)
                .promptTokenIds(tokens(200, 8))
                .priority(0)
                .arrival(Duration.ofNanos(1))
                .build(),
            request("p3", 8, 3)
                .promptTokenIds(tokens(300, 8))
                .priority(3)
                .arrival(Duration.ofNanos(2))
                .build(),
            request("p0-late", 8, 3)
                .promptTokenIds(tokens(400, 8))
                .priority(0)
                .arrival(Duration.ofNanos(3))
                .build());
    EngineConfig oneAtATime = EngineConfig.builder().maxNumSeqs(1).build();

    SimulationResult priority =
        Simulator.builder()
            .config(oneAtATime.toBuilder().schedulingPolicy(SchedulingPolicy.PRIORITY).build())
            .build()
            .run(requests);
    SimulationResult fcfs = Simulator.builder().config(oneAtATime).build().run(requests);

    // All arrive during p5's first step; p5 is already running and is never preempted for them.
    assertThat(
            priority.requests().stream()
                .sorted((x, y) -> Long.compare(x.firstScheduledNanos(), y.firstScheduledNanos())))
        .extracting(RequestResult::requestId)
        .containsExactly("p5", "p0", "p0-late", "p3");
    assertThat(
            fcfs.requests().stream()
                .sorted((x, y) -> Long.compare(x.firstScheduledNanos(), y.firstScheduledNanos())))
        .extracting(RequestResult::requestId)
        .containsExactly("p5", "p0", "p3", "p0-late");
  }

  @Test
  @DisplayName("max_num_seqs caps running; the rest queue and their queue time grows")
  void maxNumSeqs() {
    List<RequestSpec> requests = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      requests.add(request("r" + i, 8, 5).promptTokenIds(tokens(100 * (i + 1), 8)).build());
    }
    SimulationResult result =
        Simulator.builder()
            .config(EngineConfig.builder().maxNumSeqs(2).build())
            .recordSteps(true)
            .build()
            .run(requests);
    assertThat(result.steps()).extracting(StepStats::numRunning).allMatch(n -> n <= 2);
    // r2 and r3 wait for r0 and r1 to finish their 5 tokens (5 steps)
    assertThat(byId(result, "r2").queueTime()).isEqualTo(ofMillis(50));
    assertThat(byId(result, "r3").queueTime()).isEqualTo(ofMillis(50));
  }
}
