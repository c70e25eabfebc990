package dev.llmemu.examples.targets;

import static dev.llmemu.junit.assertj.LlmemuAssertions.assertThat;
import static java.time.Duration.ofMillis;
import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;

import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.engine.workload.ArrivalProcess;
import dev.llmemu.engine.workload.LengthDistribution;
import dev.llmemu.junit.EmulatedVllm;
import dev.llmemu.junit.load.BenchmarkResult;
import dev.llmemu.junit.load.LoadTest;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Latency of Llama-3.1-8B on one H100, as a service's SLO would state it. The figures hold for the
 * emulation (in process or in a container) and for a real vLLM on an H100 alike; on slower hardware
 * the light-load SLO is the assertion that tells you.
 */
@EmulatedVllm(profile = "h100-llama-3.1-8b")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LatencySloTest {

  @Test
  void aLightLoadMeetsTheSlo(EmulatedVllmServer vllm) {
    BenchmarkResult result =
        LoadTest.against(vllm)
            .openLoop(ArrivalProcess.poisson(4))
            .requests(24)
            .promptLength(LengthDistribution.uniform(200, 400))
            .outputLength(LengthDistribution.fixed(64))
            .seed(1)
            .label("light-load")
            .run();

    assertThat(result).hasNoErrors();
    assertThat(result).ttft().p99().isLessThan(ofMillis(300));
    assertThat(result).tpot().p99().isLessThan(ofMillis(25));
  }

  @Test
  void aBurstOfLongPromptsQueuesBehindPrefill(EmulatedVllmServer vllm) {
    // 48 prompts of ~3,000 tokens at once: ~144k tokens of prefill, which vLLM works through a
    // token budget at a time, so the last of them wait many steps for their first token.
    BenchmarkResult burst =
        LoadTest.against(vllm)
            .closedLoop(48)
            .requests(48)
            .promptLength(LengthDistribution.uniform(2_800, 3_200))
            .outputLength(LengthDistribution.fixed(16))
            .seed(2)
            .label("burst")
            .run();

    assertThat(burst).hasNoErrors();
    assertThat(burst).ttft().p99().isGreaterThan(ofSeconds(1));
    // queueing, not a slow prefill of each: the last in line wait far longer than the middle
    assertThat(burst.ttft().p99())
        .isGreaterThan(burst.ttft().p50().multipliedBy(3).dividedBy(2));
  }
}
