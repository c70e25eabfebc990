package dev.llmemu.examples.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.engine.server.ServerMetrics;
import dev.llmemu.junit.EmulatedVllm;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A GPU whose KV cache holds about three long conversations ({@code --num-gpu-blocks-override 200}:
 * 3,200 tokens) gets six at once. vLLM runs what fits, preempts when the running ones grow, and
 * keeps the rest waiting; the service's token time-out turns the wait into a clear 504 and releases
 * the request in vLLM.
 */
@EmulatedVllm(
    profile = "h100-llama-3.1-8b",
    args = {"--num-gpu-blocks-override", "200", "--max-model-len", "3072"})
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KvCachePressureTest {
  static final Duration TOKEN_TIMEOUT = Duration.ofSeconds(1);

  /** About 700 tokens of text no other conversation shares (no prefix-cache hits). */
  static String longDocument(int seed) {
    SplittableRandom random = new SplittableRandom(seed);
    StringBuilder text = new StringBuilder("Summarise this log:");
    for (int i = 0; i < 350; i++) {
      text.append(' ').append((char) ('a' + random.nextInt(26))).append(random.nextInt(1000));
    }
    return text.toString();
  }

  @Test
  void conversationsStuckBehindAFullKvCacheTimeOutWith504AndLeaveNothingBehind(
      EmulatedVllmServer vllm) {
    long preemptionsBefore = vllm.metrics().numPreemptions();
    try (ChatService chat =
        ChatService.start(
            ChatServiceConfig.builder(vllm.openAiBaseUrl(), vllm.servedModelName())
                .tokenTimeout(TOKEN_TIMEOUT)
                .build())) {
      ChatClient client = new ChatClient(chat.baseUrl());
      List<CompletableFuture<ChatClient.Answer>> calls =
          ChatClient.atOnce(6, i -> client.ask(longDocument(i), 300, Optional.of("long-" + i)));
      // vLLM keeps the conversations that do not fit waiting
      await().atMost(Duration.ofSeconds(10)).until(() -> vllm.metrics().numRequestsWaiting() > 0);
      List<ChatClient.Answer> answers = calls.stream().map(CompletableFuture::join).toList();

      // those that never got a slot: a clear 504, after the token time-out, not a hang
      List<ChatClient.Answer> timedOut = answers.stream().filter(a -> a.status() == 504).toList();
      assertThat(timedOut).isNotEmpty();
      assertThat(timedOut)
          .allSatisfy(
              a -> {
                assertThat(a.error().path("type").asText()).isEqualTo("upstream_timeout");
                assertThat(a.error().path("message").asText())
                    .isEqualTo("vLLM sent no token within 1000 ms");
              });
      // the others streamed; one vLLM preempted may have stalled past the time-out mid-stream
      assertThat(answers.stream().filter(a -> a.status() == 200))
          .isNotEmpty()
          .allSatisfy(
              a -> {
                if (a.streamError().isPresent()) {
                  assertThat(a.streamError().get().path("type").asText())
                      .isEqualTo("upstream_timeout");
                } else {
                  assertThat(a.completionTokens()).isEqualTo(300);
                }
              });
      assertThat(answers).allSatisfy(a -> assertThat(a.status()).isIn(200, 504));
      assertThat(chat.stats().timeouts()).isGreaterThanOrEqualTo(timedOut.size());
      // the pressure, as vLLM's own metrics show it: running conversations grew out of the cache
      assertThat(vllm.metrics().numPreemptions()).isGreaterThan(preemptionsBefore);

      // the service closed the timed-out calls, so vLLM dropped them: nothing left running,
      // waiting or holding KV blocks, and no stream left open in the service
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () -> {
                ServerMetrics now = vllm.metrics();
                assertThat(now.numRequestsRunning()).isZero();
                assertThat(now.numRequestsWaiting()).isZero();
                assertThat(now.kvCacheUsage()).isZero();
                assertThat(chat.stats().activeStreams()).isZero();
              });
    }
  }
}
