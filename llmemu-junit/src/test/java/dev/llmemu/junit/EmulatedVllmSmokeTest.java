package dev.llmemu.junit;

import static dev.llmemu.junit.assertj.LlmemuAssertions.assertThat;
import static java.time.Duration.ofMillis;

import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.engine.workload.ArrivalProcess;
import dev.llmemu.engine.workload.LengthDistribution;
import dev.llmemu.junit.load.BenchmarkResult;
import dev.llmemu.junit.load.LoadTest;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@EmulatedVllm(
    profile = "h100-llama-3.1-8b",
    args = {"--time-scale", "0.5"})
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EmulatedVllmSmokeTest {

  @Test
  void loadRunAgainstTheInjectedServer(EmulatedVllmServer vllm) {
    BenchmarkResult result =
        LoadTest.against(vllm.baseUrl())
            .openLoop(ArrivalProcess.poisson(20))
            .requests(40)
            .promptLength(LengthDistribution.uniform(100, 200))
            .outputLength(LengthDistribution.fixed(32))
            .label("smoke")
            .run();
    System.out.println(result);
    assertThat(result).hasNoErrors().hasCompleted(40);
    assertThat(result).ttft().p99().isLessThan(ofMillis(500));
  }
}
