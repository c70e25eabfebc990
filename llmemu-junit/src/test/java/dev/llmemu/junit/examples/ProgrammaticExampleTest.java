package dev.llmemu.junit.examples;

import static dev.llmemu.junit.assertj.LlmemuAssertions.assertThat;
import static java.time.Duration.ofMillis;

import dev.llmemu.engine.workload.ArrivalProcess;
import dev.llmemu.engine.workload.ShareGptLengths;
import dev.llmemu.junit.EmulatedVllmExtension;
import dev.llmemu.junit.assertj.LlmemuSoftAssertions;
import dev.llmemu.junit.load.BenchmarkResult;
import dev.llmemu.junit.load.Endpoint;
import dev.llmemu.junit.load.LoadTest;
import dev.llmemu.junit.load.RequestError;
import dev.llmemu.junit.load.Slo;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Examples in docs/junit.md, verbatim (ReadmeSnippetsTest keeps them equal). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
// tag::programmatic[]
class ProgrammaticExampleTest {

  @RegisterExtension
  static EmulatedVllmExtension vllm =
      EmulatedVllmExtension.builder()
          .profile("a100-llama-3.1-8b")
          .args("--max-num-seqs", "16", "--max-model-len", "4096")
          .timeScale(0.1) // ten times faster than the real GPU
          .seed(42)
          .build();

  @Test
  void usesTheServer() {
    String openAi = vllm.openAiBaseUrl(); // http://127.0.0.1:PORT/v1
    // ... configure your client with it ...
  }

  // end::programmatic[]

  @Test
  void loadOptions() {
    // tag::load-options[]
    BenchmarkResult result =
        LoadTest.against(vllm.server())
            .endpoint(Endpoint.CHAT) // vllm bench's openai-chat payload
            .openLoop(ArrivalProcess.gamma(20, 0.5)) // 20 req/s, burstier than Poisson
            .maxConcurrency(32) // as --max-concurrency
            .requests(60)
            .duration(Duration.ofSeconds(30)) // whichever bound comes first
            .lengths(ShareGptLengths.pairs()) // synthetic ShareGPT-like (prompt, output) pairs
            .warmup(5)
            .requestHeaders(i -> i % 20 == 0 ? Map.of("X-Llmemu-Error-Status", "503") : Map.of())
            .seed(7)
            .label("chat-bursty")
            .run();

    assertThat(result).hasErrors(RequestError.Kind.HTTP_STATUS, 3);
    assertThat(result).errorRate().isLessThanOrEqualTo(0.05);
    // end::load-options[]
  }

  @Test
  void softAssertions() {
    BenchmarkResult result = LoadTest.against(vllm.server()).requests(20).run();
    Slo slo = Slo.builder().ttft(ofMillis(500)).build();
    // tag::soft[]
    LlmemuSoftAssertions softly = new LlmemuSoftAssertions();
    softly.assertThat(result).ttft().p99().isLessThan(ofMillis(500));
    softly.assertThat(result).tpot().median().isLessThan(ofMillis(10));
    softly.assertThat(result).itl().p99().isLessThan(ofMillis(250));
    softly.assertThat(result).goodput(slo).isGreaterThan(1.0);
    softly.assertAll(); // reports every failure at once
    // end::soft[]
  }
}
