package dev.llmemu.engine.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.completions.CompletionUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The official OpenAI Java SDK, called the way a user's code calls it. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class OpenAiSdkTest {
  static EmulatedVllmServer server;
  static OpenAIClient client;

  @BeforeAll
  static void start() {
    server = TestServers.fast().apiKey("test-key").start();
    client =
        OpenAIOkHttpClient.builder().baseUrl(server.openAiBaseUrl()).apiKey("test-key").build();
  }

  @AfterAll
  static void stop() {
    client.close();
    server.close();
  }

  ChatCompletionCreateParams.Builder chat() {
    return ChatCompletionCreateParams.builder()
        .model(server.servedModelName())
        .addSystemMessage("You are terse.")
        .addUserMessage("Say this is a test")
        .maxCompletionTokens(6);
  }

  @Test
  void chatCompletion() {
    ChatCompletion c = client.chat().completions().create(chat().build());
    assertThat(c.id()).startsWith("chatcmpl-");
    assertThat(c.model()).isEqualTo(server.servedModelName());
    assertThat(c.choices()).hasSize(1);
    assertThat(c.choices().get(0).message().content()).get().asString().isNotBlank();
    assertThat(c.choices().get(0).finishReason())
        .isEqualTo(ChatCompletion.Choice.FinishReason.LENGTH);
    CompletionUsage usage = c.usage().orElseThrow();
    assertThat(usage.completionTokens()).isEqualTo(6);
    assertThat(usage.totalTokens()).isEqualTo(usage.promptTokens() + 6);
  }

  @Test
  void streamingChatCompletionWithUsage() {
    List<ChatCompletionChunk> chunks = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> stream =
        client
            .chat()
            .completions()
            .createStreaming(
                chat()
                    .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                    .build())) {
      stream.stream().forEach(chunks::add);
    }
    StringBuilder text = new StringBuilder();
    for (ChatCompletionChunk chunk : chunks) {
      for (ChatCompletionChunk.Choice ch : chunk.choices()) {
        ch.delta().content().ifPresent(text::append);
      }
    }
    assertThat(text.toString()).isNotBlank();
    assertThat(chunks.get(0).choices().get(0).delta().role()).isPresent();
    Optional<CompletionUsage> usage = chunks.get(chunks.size() - 1).usage();
    assertThat(usage).isPresent();
    assertThat(usage.get().completionTokens()).isEqualTo(6);
    assertThat(chunks)
        .filteredOn(c -> !c.choices().isEmpty() && c.choices().get(0).finishReason().isPresent())
        .hasSize(1);
  }

  @Test
  void completion() {
    Completion c =
        client
            .completions()
            .create(
                CompletionCreateParams.builder()
                    .model(server.servedModelName())
                    .prompt("Once upon a time")
                    .maxTokens(5)
                    .n(2)
                    .build());
    assertThat(c.choices()).hasSize(2);
    assertThat(c.choices().get(0).text()).isNotBlank();
    assertThat(c.usage().orElseThrow().completionTokens()).isEqualTo(10);
    assertThat(c.usage().orElseThrow().promptTokens()).isEqualTo(4);
  }

  @Test
  void streamingCompletion() {
    StringBuilder text = new StringBuilder();
    long[] completionTokens = {-1};
    try (StreamResponse<Completion> stream =
        client
            .completions()
            .createStreaming(
                CompletionCreateParams.builder()
                    .model(server.servedModelName())
                    .prompt("Once upon a time")
                    .maxTokens(4)
                    .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                    .build())) {
      stream.stream()
          .forEach(
              c -> {
                c.choices().forEach(ch -> text.append(ch.text()));
                c.usage().ifPresent(u -> completionTokens[0] = u.completionTokens());
              });
    }
    assertThat(text.toString()).isNotBlank();
    assertThat(completionTokens[0]).isEqualTo(4);
  }

  @Test
  void errorsMapToTheSdksExceptions() {
    assertThatThrownBy(
            () -> client.chat().completions().create(chat().model("no-such-model").build()))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining("The model `no-such-model` does not exist.");
    assertThatThrownBy(
            () ->
                client.chat().completions().create(chat().maxCompletionTokens(10_000_000).build()))
        .isInstanceOf(BadRequestException.class)
        .hasMessageContaining("maximum context length");
  }
}
