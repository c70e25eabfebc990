package dev.llmemu.examples.targets;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.junit.EmulatedVllm;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a client of vLLM's OpenAI API relies on: the shapes of answers, of streams and of errors.
 * Only vLLM's own surface is used (no {@code /llmemu/...} extras), so that the same assertions hold
 * in process, in a container and against a real vLLM.
 */
@EmulatedVllm(profile = "h100-llama-3.1-8b")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChatApiContractTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void listsTheServedModel(EmulatedVllmServer vllm) throws Exception {
    HttpResponse<String> response = get(vllm.url("/v1/models"));

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode models = JSON.readTree(response.body());
    assertThat(models.path("object").asText()).isEqualTo("list");
    assertThat(models.path("data").findValuesAsText("id")).contains(vllm.servedModelName());
  }

  @Test
  void answersAChatTurnWithUsage(EmulatedVllmServer vllm) throws Exception {
    HttpResponse<String> response = post(vllm.url("/v1/chat/completions"), turn(vllm, 16));

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode answer = JSON.readTree(response.body());
    assertThat(answer.path("object").asText()).isEqualTo("chat.completion");
    JsonNode choice = answer.path("choices").path(0);
    assertThat(choice.path("message").path("role").asText()).isEqualTo("assistant");
    assertThat(choice.path("message").path("content").asText()).isNotEmpty();
    assertThat(choice.path("finish_reason").asText()).isIn("stop", "length");
    JsonNode usage = answer.path("usage");
    assertThat(usage.path("prompt_tokens").asInt()).isPositive();
    assertThat(usage.path("completion_tokens").asInt()).isBetween(1, 16);
    assertThat(usage.path("total_tokens").asInt())
        .isEqualTo(usage.path("prompt_tokens").asInt() + usage.path("completion_tokens").asInt());
  }

  @Test
  void streamsARoleChunkTokensAFinishUsageAndDone(EmulatedVllmServer vllm) throws Exception {
    ObjectNode request = turn(vllm, 16).put("stream", true);
    request.putObject("stream_options").put("include_usage", true);
    HttpResponse<String> response = post(vllm.url("/v1/chat/completions"), request);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("text/event-stream"));
    List<String> data = new ArrayList<>();
    for (String line : response.body().split("\n")) {
      if (line.startsWith("data: ")) {
        data.add(line.substring("data: ".length()));
      }
    }
    assertThat(data).last().isEqualTo("[DONE]");
    List<JsonNode> chunks = new ArrayList<>();
    for (String d : data.subList(0, data.size() - 1)) {
      chunks.add(JSON.readTree(d));
    }
    assertThat(chunks)
        .allSatisfy(c -> assertThat(c.path("object").asText()).isEqualTo("chat.completion.chunk"));
    // the role first, then the text, one finish reason, and usage alone in the last chunk
    assertThat(chunks.get(0).path("choices").path(0).path("delta").path("role").asText())
        .isEqualTo("assistant");
    StringBuilder text = new StringBuilder();
    chunks.forEach(
        c -> text.append(c.path("choices").path(0).path("delta").path("content").asText("")));
    assertThat(text).isNotEmpty();
    assertThat(chunks)
        .filteredOn(c -> c.path("choices").path(0).path("finish_reason").isTextual())
        .hasSize(1);
    JsonNode last = chunks.get(chunks.size() - 1);
    assertThat(last.path("choices")).isEmpty();
    assertThat(last.path("usage").path("completion_tokens").asInt()).isBetween(1, 16);
  }

  @Test
  void refusesAnAnswerLongerThanTheContextWith400(EmulatedVllmServer vllm) throws Exception {
    HttpResponse<String> response =
        post(vllm.url("/v1/chat/completions"), turn(vllm, 10_000_000));

    assertThat(response.statusCode()).isEqualTo(400);
    JsonNode error = JSON.readTree(response.body()).path("error");
    assertThat(error.path("type").asText()).isEqualTo("BadRequestError");
    assertThat(error.path("code").asInt()).isEqualTo(400);
    assertThat(error.path("message").asText()).contains("maximum context length");
  }

  @Test
  void refusesAnUnknownModelWith404(EmulatedVllmServer vllm) throws Exception {
    ObjectNode request = turn(vllm, 8).put("model", "no-such-model");
    HttpResponse<String> response = post(vllm.url("/v1/chat/completions"), request);

    assertThat(response.statusCode()).isEqualTo(404);
    JsonNode error = JSON.readTree(response.body()).path("error");
    assertThat(error.path("type").asText()).isEqualTo("NotFoundError");
    assertThat(error.path("message").asText()).contains("no-such-model");
  }

  /** One user turn asking for at most {@code maxTokens} tokens. */
  private static ObjectNode turn(EmulatedVllmServer vllm, int maxTokens) {
    ObjectNode request = JSON.createObjectNode();
    request.put("model", vllm.servedModelName()).put("max_tokens", maxTokens);
    request
        .putArray("messages")
        .addObject()
        .put("role", "user")
        .put("content", "Name three uses of a paged KV cache.");
    return request;
  }

  private HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String url, JsonNode body)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
