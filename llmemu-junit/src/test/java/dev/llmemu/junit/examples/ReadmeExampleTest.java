package dev.llmemu.junit.examples;

import static dev.llmemu.junit.assertj.LlmemuAssertions.assertThat;
import static java.time.Duration.ofMillis;
import static org.assertj.core.api.Assertions.assertThat;

import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.engine.server.RecordedRequest;
import dev.llmemu.engine.workload.ArrivalProcess;
import dev.llmemu.engine.workload.LengthDistribution;
import dev.llmemu.junit.EmulatedVllm;
import dev.llmemu.junit.load.BenchmarkResult;
import dev.llmemu.junit.load.LoadTest;
import dev.llmemu.junit.load.Slo;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's "Testing with JUnit 5" example, verbatim (ReadmeSnippetsTest keeps them equal). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
// tag::junit-example[]
@EmulatedVllm(
    profile = "h100-llama-3.1-8b",
    args = {"--max-num-seqs", "64"})
class ReadmeExampleTest {

  @Test
  void answersAQuestion(EmulatedVllmServer vllm) throws InterruptedException {
    ChatService chat = new ChatService(vllm.baseUrl()); // your code, pointed at the emulator

    assertThat(chat.ask("What is vLLM?")).endsWith("data: [DONE]\n\n");

    RecordedRequest request = vllm.takeRequest(Duration.ofSeconds(1));
    assertThat(request.path()).isEqualTo("/v1/chat/completions");
  }

  @Test
  void meetsItsLatencySloAtTenRequestsPerSecond(EmulatedVllmServer vllm) {
    Slo slo = Slo.builder().ttft(ofMillis(200)).tpot(ofMillis(30)).build();

    BenchmarkResult result =
        LoadTest.against(vllm)
            .openLoop(ArrivalProcess.poisson(10))
            .requests(30)
            .promptLength(LengthDistribution.uniform(100, 500))
            .outputLength(LengthDistribution.fixed(64))
            .slo(slo)
            .run();

    assertThat(result).hasNoErrors();
    assertThat(result).ttft().p99().isLessThan(ofMillis(200));
    assertThat(result).tpot().p99().isLessThan(ofMillis(30));
    assertThat(result).sloAttainment(slo).isGreaterThanOrEqualTo(0.95);
  }
}
// end::junit-example[]
