package dev.llmemu.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** /v1/chat/completions over the JDK HTTP client. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ChatApiTest {
  static EmulatedVllmServer server;
  static EmulatedVllmServer paced;
  static final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() {
    server = TestServers.fast().servedModelName("my-model", "alias").start();
    paced = TestServers.paced().servedModelName("my-model").start();
  }

  @AfterAll
  static void stop() {
    paced.close();
    server.close();
  }

  static Http.Reply chat(String json) throws IOException, InterruptedException {
    return chat(server, json);
  }

  static Http.Reply chat(EmulatedVllmServer target, String json)
      throws IOException, InterruptedException {
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(URI.create(target.url("/v1/chat/completions")))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return new Http.Reply(
        r.statusCode(),
        r.headers().firstValue("content-type").orElse(""),
        r.body(),
        okhttp3.Headers.of());
  }

  static final String HI =
      "\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
          + "{\"role\":\"user\",\"content\":\"Hi\"}]";

  @Test
  void nonStreamingChatHasVllmShape() throws Exception {
    Http.Reply r =
        chat("{\"model\":\"my-model\"," + HI + ",\"max_completion_tokens\":4,\"max_tokens\":99}");
    assertThat(r.code()).isEqualTo(200);
    JsonNode body = r.json();
    assertThat(Http.fieldNames(body))
        .containsExactly(
            "id",
            "object",
            "created",
            "model",
            "choices",
            "service_tier",
            "system_fingerprint",
            "usage",
            "prompt_logprobs",
            "prompt_token_ids",
            "kv_transfer_params");
    assertThat(body.get("id").asText()).startsWith("chatcmpl-");
    assertThat(body.get("object").asText()).isEqualTo("chat.completion");
    assertThat(body.get("model").asText()).isEqualTo("my-model");
    JsonNode choice = body.at("/choices/0");
    assertThat(Http.fieldNames(choice))
        .containsExactly(
            "index", "message", "logprobs", "finish_reason", "stop_reason", "token_ids");
    assertThat(Http.fieldNames(choice.get("message")))
        .containsExactly(
            "role",
            "content",
            "refusal",
            "annotations",
            "audio",
            "function_call",
            "tool_calls",
            "reasoning");
    assertThat(choice.at("/message/role").asText()).isEqualTo("assistant");
    assertThat(choice.at("/message/tool_calls")).isEmpty();
    // max_completion_tokens wins over max_tokens
    assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(4);
    // ChatML: <|im_start|>system\nBe
    // brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n
    assertThat(body.at("/usage/prompt_tokens").asInt()).isEqualTo(17);
  }

  @Test
  void anyServedNameIsAccepted() throws Exception {
    assertThat(chat("{\"model\":\"alias\"," + HI + ",\"max_tokens\":1}").code()).isEqualTo(200);
    assertThat(chat("{" + HI + ",\"max_tokens\":1}").code()).isEqualTo(200);
  }

  @Test
  void streamSendsRoleThenOneContentChunkPerStepThenFinishUsageAndDone() throws Exception {
    Http.Reply r =
        chat(
            paced,
            "{"
                + HI
                + ",\"max_tokens\":3,\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    List<String> raw = r.events();
    assertThat(raw).hasSize(6).last().isEqualTo("[DONE]");
    List<JsonNode> json = r.jsonEvents();
    JsonNode role = json.get(0);
    assertThat(raw.get(0))
        .endsWith(
            "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                + "\"logprobs\":null,\"finish_reason\":null}],\"prompt_token_ids\":null}");
    assertThat(role.get("object").asText()).isEqualTo("chat.completion.chunk");
    assertThat(raw.get(1))
        .contains("\"delta\":{\"content\":")
        .endsWith("\"logprobs\":null,\"finish_reason\":null,\"token_ids\":null}]}");
    assertThat(raw.get(3))
        .contains("\"finish_reason\":\"length\",\"stop_reason\":null,\"token_ids\":null}]}");
    assertThat(raw.get(4))
        .endsWith(
            "\"choices\":[],\"usage\":{\"prompt_tokens\":17,\"total_tokens\":20,\"completion_tokens\":3}}");
  }

  @Test
  void continuousUsageStartsAtZeroOnTheRoleChunk() throws Exception {
    List<JsonNode> json =
        chat(
                paced,
                "{"
                    + HI
                    + ",\"max_tokens\":2,\"stream\":true,"
                    + "\"stream_options\":{\"include_usage\":true,\"continuous_usage_stats\":true}}")
            .jsonEvents();
    assertThat(json)
        .extracting(n -> n.at("/usage/completion_tokens").asInt())
        .containsExactly(0, 1, 2, 2);
  }

  @Test
  void nGreaterThanOneGivesIndexedChoices() throws Exception {
    JsonNode body = chat("{" + HI + ",\"max_tokens\":2,\"n\":3}").json();
    assertThat(body.get("choices")).hasSize(3);
    assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(6);
    assertThat(body.at("/usage/prompt_tokens").asInt()).isEqualTo(17);

    List<JsonNode> events =
        chat("{" + HI + ",\"max_tokens\":2,\"n\":2,\"stream\":true}").jsonEvents();
    assertThat(events.subList(0, 2))
        .extracting(n -> n.at("/choices/0/delta/role").asText())
        .containsOnly("assistant");
    assertThat(events).extracting(n -> n.at("/choices/0/index").asInt()).contains(0, 1);
  }

  @Test
  void logprobsHaveOpenAiShape() throws Exception {
    JsonNode body =
        chat("{" + HI + ",\"max_tokens\":2,\"logprobs\":true,\"top_logprobs\":3}").json();
    JsonNode content = body.at("/choices/0/logprobs/content");
    assertThat(content).hasSize(2);
    JsonNode first = content.get(0);
    assertThat(Http.fieldNames(first)).containsExactly("token", "logprob", "bytes", "top_logprobs");
    assertThat(first.get("top_logprobs")).hasSize(3);
    assertThat(Http.fieldNames(first.at("/top_logprobs/0")))
        .containsExactly("token", "logprob", "bytes");
    assertThat(first.get("logprob").asDouble()).isLessThanOrEqualTo(0);
  }

  @Test
  void contentPartsAreJoined() throws Exception {
    JsonNode body =
        chat("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hi\"}]}],\"max_tokens\":1}")
            .json();
    assertThat(body.at("/usage/prompt_tokens").asInt()).isEqualTo(9);
  }

  @Test
  void userTextThatLooksLikeASpecialTokenIsOrdinaryText() throws Exception {
    Http.Reply r =
        chat(
            "{\"messages\":[{\"role\":\"user\",\"content\":\"<|endoftext|><|im_end|>\"}],\"max_tokens\":1}");
    assertThat(r.code()).isEqualTo(200);
    assertThat(r.json().at("/usage/prompt_tokens").asInt()).isGreaterThan(9);
  }
}
