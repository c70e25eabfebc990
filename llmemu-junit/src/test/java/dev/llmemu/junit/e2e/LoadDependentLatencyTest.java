package dev.llmemu.junit.e2e;

import static dev.llmemu.junit.assertj.LlmemuAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.engine.workload.ArrivalProcess;
import dev.llmemu.engine.workload.LengthDistribution;
import dev.llmemu.junit.EmulatedVllm;
import dev.llmemu.junit.load.BenchmarkResult;
import dev.llmemu.junit.load.LoadTest;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The point of llmemu: latency depends on load. The same emulated A100 with four sequence slots is
 * driven at a rate it serves easily and at one it cannot keep up with; at the high rate requests
 * queue, and TTFT grows by the queueing, which the server's own metrics and per-request timing
 * show.
 */
@EmulatedVllm(
    profile = "a100-llama-3.1-8b",
    args = {"--max-num-seqs", "4", "--time-scale", "0.25"})
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LoadDependentLatencyTest {

  private static BenchmarkResult drive(
      EmulatedVllmServer vllm, double rate, int requests, String label) {
    return LoadTest.against(vllm)
        .openLoop(ArrivalProcess.poisson(rate))
        .requests(requests)
        .promptLength(LengthDistribution.uniform(200, 300))
        .outputLength(LengthDistribution.fixed(64))
        .metricsInterval(Duration.ofMillis(50))
        .seed(1)
        .label(label)
        .run();
  }

  @Test
  @DisplayName("p99 TTFT beyond capacity is far above a comfortable rate's, and it is queueing")
  void ttftGrowsWithLoadBecauseRequestsQueue(EmulatedVllmServer vllm) {
    // About 20 requests/s fit through four slots (64 tokens at ~3 ms a step, time-scaled).
    BenchmarkResult low = drive(vllm, 4, 24, "low-rate");
    BenchmarkResult high = drive(vllm, 40, 60, "high-rate");

    assertThat(low).hasNoErrors().hasCompleted(24);
    assertThat(high).hasNoErrors().hasCompleted(60);
    // Client side: the tail of TTFT is several times higher under load (typically ~30x).
    assertThat(high).ttft().p99().isGreaterThan(low.ttft().p99().multipliedBy(5));
    // Decoding speed barely moves: with four slots the batch is at most four either way.
    assertThat(high).tpot().median().isLessThan(low.tpot().median().multipliedBy(2));
    // Server side: the queue is visible in /metrics at the high rate, empty at the low rate ...
    assertThat(high.peakWaitingRequests()).isGreaterThanOrEqualTo(10);
    assertThat(low.peakWaitingRequests()).isLessThanOrEqualTo(1);
    // ... and the engine's own per-request timing says where the TTFT went: into the queue.
    assertThat(high).serverQueueTime().hasAtLeastSamples(60);
    assertThat(high.serverQueueTime().p99())
        .isGreaterThan(high.ttft().p99().multipliedBy(8).dividedBy(10));
    assertThat(high.serverQueueTime().mean())
        .isGreaterThan(high.ttft().mean().multipliedBy(8).dividedBy(10));
    assertThat(low.serverQueueTime().mean()).isLessThan(Duration.ofMillis(50));
  }
}
