package dev.llmemu.examples.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.engine.server.RecordedRequest;
import dev.llmemu.junit.EmulatedVllm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The retry policy against vLLM's "not now" answers: 503 from a server that sheds load, 429 with
 * {@code Retry-After} from a full queue. The emulator records every attempt, so the test sees the
 * retries the client of the service never sees.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RetryTest {
  /** Retries quickly on its own, so that a wait of a second can only be vLLM's Retry-After. */
  static final RetryPolicy POLICY =
      new RetryPolicy(5, Set.of(429, 503), Duration.ofMillis(10), Duration.ofMillis(50));

  static ChatService serviceFor(EmulatedVllmServer vllm, RetryPolicy retry) {
    return ChatService.start(
        ChatServiceConfig.builder(vllm.openAiBaseUrl(), vllm.servedModelName())
            .retry(retry)
            .build());
  }

  /** What the emulator received, by the service's request id. */
  static Map<String, List<RecordedRequest>> attemptsById(EmulatedVllmServer vllm)
      throws InterruptedException {
    List<RecordedRequest> all = new ArrayList<>();
    for (RecordedRequest r = vllm.takeRequest(Duration.ofMillis(200));
        r != null;
        r = vllm.takeRequest(Duration.ofMillis(200))) {
      if (r.path().equals("/v1/chat/completions")) {
        all.add(r);
      }
    }
    return all.stream().collect(Collectors.groupingBy(r -> r.header("X-Request-Id")));
  }

  @Nested
  @EmulatedVllm(args = {"--time-scale", "0.2"})
  class WhenVllmShedsLoad {

    @Test
    void everyConversationIsAnsweredThoughAQuarterOfTheCallsAreRefused(EmulatedVllmServer vllm)
        throws InterruptedException {
      vllm.setFailureRate(0.25, 503); // seeded: the same calls fail in every run
      try (ChatService chat = serviceFor(vllm, POLICY)) {
        ChatClient client = new ChatClient(chat.baseUrl());
        List<ChatClient.Answer> answers =
            IntStream.range(0, 12)
                .mapToObj(i -> client.ask("Question " + i, 8, Optional.of("q-" + i)))
                .toList();

        assertThat(answers).allSatisfy(a -> assertThat(a.status()).isEqualTo(200));
        assertThat(answers).allSatisfy(a -> assertThat(a.completionTokens()).isEqualTo(8));

        Map<String, List<RecordedRequest>> attempts = attemptsById(vllm);
        assertThat(attempts).hasSize(12);
        long refused =
            attempts.values().stream().flatMap(List::stream).filter(r -> r.status() == 503).count();
        assertThat(refused).as("calls vLLM refused").isPositive();
        assertThat(chat.stats().retries()).isEqualTo(refused);
        // each conversation: refusals first, then the one call that streamed the answer
        assertThat(attempts.values())
            .allSatisfy(
                calls -> {
                  assertThat(calls.get(calls.size() - 1).status()).isEqualTo(200);
                  assertThat(calls.subList(0, calls.size() - 1))
                      .allSatisfy(r -> assertThat(r.status()).isEqualTo(503));
                });
      }
    }

    @Test
    void givesUpAfterTheLastAttemptWith503AndRetryAfter(EmulatedVllmServer vllm)
        throws InterruptedException {
      vllm.setFailureRate(1.0, 503);
      try (ChatService chat = serviceFor(vllm, POLICY)) {
        ChatClient.Answer answer = new ChatClient(chat.baseUrl()).ask("Anyone there?", 8);

        assertThat(answer.status()).isEqualTo(503);
        assertThat(answer.retryAfter()).isPresent();
        assertThat(answer.error().path("type").asText()).isEqualTo("upstream_busy");
        assertThat(answer.error().path("message").asText())
            .startsWith("vLLM answered 503 to all 5 attempts");
        assertThat(vllm.requestCount()).isEqualTo(5);
      }
    }
  }

  @Nested
  @EmulatedVllm(args = {"--max-num-seqs", "2", "--max-waiting-requests", "1"})
  class WhenVllmsQueueIsFull {

    @Test
    void waitsAsLongAsRetryAfterSaysThenGetsItsAnswer(EmulatedVllmServer vllm)
        throws InterruptedException {
      try (ChatService chat = serviceFor(vllm, POLICY)) {
        ChatClient client = new ChatClient(chat.baseUrl());
        // six at once for two slots and one place in the queue: some are turned away with 429
        List<CompletableFuture<ChatClient.Answer>> calls =
            ChatClient.atOnce(6, i -> client.ask("Busy " + i, 32, Optional.of("busy-" + i)));
        List<ChatClient.Answer> answers = calls.stream().map(CompletableFuture::join).toList();

        assertThat(answers).allSatisfy(a -> assertThat(a.status()).isEqualTo(200));
        Map<String, List<RecordedRequest>> attempts = attemptsById(vllm);
        List<RecordedRequest> turnedAway =
            attempts.values().stream()
                .flatMap(List::stream)
                .filter(r -> r.status() == 429)
                .toList();
        assertThat(turnedAway).isNotEmpty();
        assertThat(chat.stats().retries()).isEqualTo(turnedAway.size());
        // vLLM said "Retry-After: 1": the next attempt came a second later, not after the
        // service's own 10-50 ms back-off
        for (List<RecordedRequest> conversation : attempts.values()) {
          for (int i = 0; i + 1 < conversation.size(); i++) {
            Duration gap =
                Duration.between(
                    conversation.get(i).receivedAt(), conversation.get(i + 1).receivedAt());
            assertThat(gap).isGreaterThanOrEqualTo(Duration.ofMillis(900));
          }
        }
      }
    }
  }
}
