package dev.llmemu.examples.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.engine.server.RecordedRequest;
import dev.llmemu.junit.EmulatedVllm;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The happy path: a question in, a streamed answer out, and what the service sent vLLM. */
@EmulatedVllm(
    profile = "h100-llama-3.1-8b",
    args = {"--time-scale", "0.2"})
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChatServiceTest {
  static ChatService chat;
  static ChatClient client;

  @BeforeAll
  static void startTheService(EmulatedVllmServer vllm) {
    chat =
        ChatService.start(
            ChatServiceConfig.builder(vllm.openAiBaseUrl(), vllm.servedModelName())
                .maxOutputTokens(32)
                .build());
    client = new ChatClient(chat.baseUrl());
  }

  @AfterAll
  static void stopTheService() {
    chat.close();
  }

  @Test
  void streamsAnAnswerInTheOpenAiFormat() {
    ChatClient.Answer answer = client.ask("What is vLLM?", 16);

    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.text()).isNotBlank();
    assertThat(answer.completionTokens()).isEqualTo(16);
    assertThat(answer.events().get(0).path("object").asText()).isEqualTo("chat.completion.chunk");
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(chat.stats().completed()).isPositive());
  }

  @Test
  void sendsVllmTheSystemPromptTheTurnAndTheRequestId(EmulatedVllmServer vllm)
      throws InterruptedException {
    client.ask("Hello there", 8, Optional.of("trace-42"));

    RecordedRequest request = vllm.takeRequest(Duration.ofSeconds(5));
    assertThat(request.path()).isEqualTo("/v1/chat/completions");
    assertThat(request.stream()).isTrue();
    assertThat(request.header("X-Request-Id")).isEqualTo("trace-42");
    assertThat(request.bodyAsString())
        .contains("\"role\":\"system\"", "helpful assistant", "Hello there");
    assertThat(request.maxTokens()).isEqualTo(8);
  }

  @Test
  void capsTheAnswerAtTheConfiguredLength(EmulatedVllmServer vllm) throws InterruptedException {
    ChatClient.Answer answer = client.ask("Tell me everything", 10_000);

    assertThat(answer.completionTokens()).isEqualTo(32);
    assertThat(vllm.takeRequest(Duration.ofSeconds(5)).maxTokens()).isEqualTo(32);
  }

  @Test
  void refusesAConversationWithoutMessages(EmulatedVllmServer vllm) {
    ChatClient.Answer answer = client.post("{\"max_tokens\":8}", Optional.empty());

    assertThat(answer.status()).isEqualTo(400);
    assertThat(answer.error().path("message").asText())
        .isEqualTo("'messages' must be a non-empty list");
    assertThat(vllm.requestCount()).isZero();
  }
}
