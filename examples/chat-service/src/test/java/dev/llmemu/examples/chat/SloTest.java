package dev.llmemu.examples.chat;

import static dev.llmemu.junit.assertj.LlmemuAssertions.assertThat;
import static java.time.Duration.ofMillis;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.engine.workload.ArrivalProcess;
import dev.llmemu.engine.workload.LengthDistribution;
import dev.llmemu.junit.EmulatedVllm;
import dev.llmemu.junit.load.BenchmarkResult;
import dev.llmemu.junit.load.Endpoint;
import dev.llmemu.junit.load.LoadTest;
import dev.llmemu.junit.load.Slo;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The service's latency SLO, measured where its users feel it: on the service's own stream, with
 * vLLM emulated on an H100 at the GPU's real speed. The deployment is sized so that one vLLM
 * replica serves 8 sequences at a time ({@code --max-num-seqs 8}). A 64-token answer takes about
 * 0.45 s on the GPU, so the replica can take about 8 / 0.45 ≈ 18 conversations a second; the
 * expected load is 11 a second, and twice that is more than the replica can take.
 */
@EmulatedVllm(
    profile = "h100-llama-3.1-8b",
    args = {"--max-num-seqs", "8"})
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SloTest {
  static final double EXPECTED_RATE = 11; // conversations a second
  static final Slo SLO = Slo.builder().ttft(ofMillis(500)).tpot(ofMillis(50)).build();

  static ChatService chat;

  @BeforeAll
  static void startTheService(EmulatedVllmServer vllm) {
    chat =
        ChatService.start(
            ChatServiceConfig.builder(vllm.openAiBaseUrl(), vllm.servedModelName()).build());
  }

  @AfterAll
  static void stopTheService() {
    chat.close();
  }

  /** Conversations arriving at {@code rate} a second, each a 200–400-token question. */
  private static LoadTest conversationsAt(double rate, EmulatedVllmServer vllm) {
    return LoadTest.against(chat.baseUrl())
        .upstream(vllm) // where the engine's view of each request comes from
        .endpoint(Endpoint.CHAT)
        .model(vllm.servedModelName())
        .openLoop(ArrivalProcess.poisson(rate))
        .requests((int) (rate * 5)) // five seconds of traffic
        .promptLength(LengthDistribution.uniform(200, 400))
        .outputLength(LengthDistribution.fixed(64))
        .slo(SLO)
        .warmup(8) // the service's first calls load the SDK: not what this test is about
        .seed(7);
  }

  @Test
  void holdsTheSloAtTheExpectedLoad(EmulatedVllmServer vllm) {
    BenchmarkResult result = conversationsAt(EXPECTED_RATE, vllm).label("expected-load").run();

    assertThat(result).hasNoErrors();
    assertThat(result).ttft().p99().isLessThan(SLO.ttft());
    assertThat(result).tpot().p99().isLessThan(SLO.tpot());
    assertThat(result).sloAttainment(SLO).isEqualTo(1.0);
  }

  @Test
  void breaksItAtTwiceTheLoadBecauseConversationsQueueInVllm(EmulatedVllmServer vllm) {
    BenchmarkResult result = conversationsAt(2 * EXPECTED_RATE, vllm).label("twice-the-load").run();

    assertThat(result).hasNoErrors(); // every conversation is answered, only too late
    // The SLO assertion of the first test fails, and its message says why: the slowest
    // conversations spent their time to first token waiting for one of vLLM's 8 slots.
    Throwable failure =
        catchThrowable(() -> assertThat(result).ttft().p99().isLessThan(SLO.ttft()));
    System.out.println("At twice the load the SLO assertion fails with:\n" + failure.getMessage());
    assertThat(failure)
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("slowest requests:")
        .hasMessageContaining("(server: queued ")
        .hasMessageContaining("mostly queueing in the engine");
    // Not prefill, not decoding: once a conversation has a slot, it streams as fast as at 1x.
    assertThat(result.serverQueueTime().p99())
        .isGreaterThan(result.serverPrefillTime().p99().multipliedBy(5));
    assertThat(result).tpot().p99().isLessThan(SLO.tpot());
    assertThat(result.peakWaitingRequests()).isGreaterThanOrEqualTo(5);
  }
}
