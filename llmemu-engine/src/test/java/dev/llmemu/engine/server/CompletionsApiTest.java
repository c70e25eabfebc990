package dev.llmemu.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** /v1/completions over OkHttp: vLLM v0.18's shapes, streamed and not. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CompletionsApiTest {
  static EmulatedVllmServer server;
  static EmulatedVllmServer paced;

  @BeforeAll
  static void start() {
    server = TestServers.fast().enablePromptTokensDetails(true).start();
    paced = TestServers.paced().start();
  }

  @AfterAll
  static void stop() {
    paced.close();
    server.close();
  }

  @Test
  void nonStreamingResponseHasVllmKeysInOrderAndUsage() {
    Http.Reply r =
        Http.post(server, "/v1/completions", "{\"prompt\":\"Hello, my name is\",\"max_tokens\":5}");

    assertThat(r.code()).isEqualTo(200);
    assertThat(r.contentType()).isEqualTo("application/json");
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
            "kv_transfer_params");
    assertThat(body.get("id").asText()).matches("cmpl-[0-9a-f]{16}");
    assertThat(body.get("object").asText()).isEqualTo("text_completion");
    assertThat(body.get("model").asText()).isEqualTo(server.servedModelName());
    JsonNode choice = body.get("choices").get(0);
    assertThat(Http.fieldNames(choice))
        .containsExactly(
            "index",
            "text",
            "logprobs",
            "finish_reason",
            "stop_reason",
            "token_ids",
            "prompt_logprobs",
            "prompt_token_ids");
    assertThat(choice.get("text").asText()).isNotBlank();
    assertThat(choice.get("finish_reason").asText()).isEqualTo("length");
    JsonNode usage = body.get("usage");
    assertThat(Http.fieldNames(usage))
        .containsExactly(
            "prompt_tokens", "total_tokens", "completion_tokens", "prompt_tokens_details");
    assertThat(usage.get("prompt_tokens").asInt()).isEqualTo(5); // cl100k: Hello , my name is
    assertThat(usage.get("completion_tokens").asInt()).isEqualTo(5);
    assertThat(usage.get("total_tokens").asInt()).isEqualTo(10);
    assertThat(usage.get("prompt_tokens_details").isNull()).isTrue();
  }

  @Test
  void largePromptsAreTokenizedOffTheEventLoopAndStillAnswered() {
    String prompt = "word ".repeat(8000); // 40 kB: parsed and tokenized on an offload thread
    JsonNode body =
        Http.post(server, "/v1/completions", "{\"prompt\":\"" + prompt + "\",\"max_tokens\":2}")
            .json();
    assertThat(body.at("/usage/prompt_tokens").asInt())
        .isEqualTo(8001); // word, 7999 x " word", " "
    Http.Reply tooLong =
        Http.post(
            server, "/v1/completions", "{\"prompt\":\"" + prompt + prompt + "\",\"max_tokens\":2}");
    assertThat(tooLong.code()).isEqualTo(400);
    assertThat(tooLong.json().at("/error/param").asText()).isEqualTo("input_tokens");
  }

  @Test
  void defaultMaxTokensIsSixteen() {
    JsonNode body = Http.post(server, "/v1/completions", "{\"prompt\":\"Hi\"}").json();
    assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(16);
  }

  @Test
  void promptAsTokenIdsAndAsListsAreAccepted() {
    JsonNode ids =
        Http.post(server, "/v1/completions", "{\"prompt\":[9906,11,856],\"max_tokens\":2}").json();
    assertThat(ids.at("/usage/prompt_tokens").asInt()).isEqualTo(3);

    JsonNode many =
        Http.post(
                server,
                "/v1/completions",
                "{\"prompt\":[\"a b\",\"c d e\"],\"max_tokens\":2,\"n\":2}")
            .json();
    assertThat(many.get("choices")).hasSize(4);
    assertThat(many.get("choices").findValuesAsText("index")).containsExactly("0", "1", "2", "3");
    assertThat(many.at("/usage/prompt_tokens").asInt()).isEqualTo(2 + 3);
    assertThat(many.at("/usage/completion_tokens").asInt()).isEqualTo(8);

    JsonNode lists =
        Http.post(server, "/v1/completions", "{\"prompt\":[[1,2],[3,4,5]],\"max_tokens\":1}")
            .json();
    assertThat(lists.get("choices")).hasSize(2);
    assertThat(lists.at("/usage/prompt_tokens").asInt()).isEqualTo(5);
  }

  @Test
  void cachedTokensAreReportedForARepeatedPrompt() {
    String prompt = "word ".repeat(100);
    String body = "{\"prompt\":\"" + prompt + "\",\"max_tokens\":1}";
    Http.post(server, "/v1/completions", body);
    JsonNode second = Http.post(server, "/v1/completions", body).json();
    assertThat(second.at("/usage/prompt_tokens_details/cached_tokens").asInt())
        .isPositive()
        .isEqualTo((second.at("/usage/prompt_tokens").asInt() - 1) / 16 * 16);
  }

  @Test
  void echoLogprobsAndTokenIds() {
    JsonNode body =
        Http.post(
                server,
                "/v1/completions",
                "{\"prompt\":\"Say\",\"max_tokens\":3,\"echo\":true,\"logprobs\":2,"
                    + "\"return_token_ids\":true}")
            .json();
    JsonNode choice = body.at("/choices/0");
    assertThat(choice.get("text").asText()).startsWith("Say");
    JsonNode lp = choice.get("logprobs");
    assertThat(Http.fieldNames(lp))
        .containsExactly("text_offset", "token_logprobs", "tokens", "top_logprobs");
    assertThat(lp.get("tokens")).hasSize(3);
    assertThat(lp.get("text_offset").get(0).asInt()).isEqualTo(3);
    assertThat(lp.get("token_logprobs").get(0).asDouble()).isNegative();
    assertThat(lp.get("top_logprobs").get(0).size()).isBetween(2, 3);
    assertThat(choice.get("token_ids")).hasSize(3);
    assertThat(choice.get("prompt_token_ids")).hasSize(1);
  }

  @Test
  void stopStringEndsTheCompletionWithItAsStopReason() {
    JsonNode body =
        Http.post(
                server,
                "/v1/completions",
                "{\"prompt\":\"x\",\"max_tokens\":200,\"stop\":[\" the\",\".\"],\"seed\":7}")
            .json();
    JsonNode choice = body.at("/choices/0");
    assertThat(choice.get("finish_reason").asText()).isEqualTo("stop");
    assertThat(choice.get("stop_reason").asText()).isIn(" the", ".");
    assertThat(choice.get("text").asText()).doesNotContain(".").doesNotContain(" the ");
  }

  @Test
  void streamIsFramedAsVllmFramesIt() {
    Http.Reply r =
        Http.post(
            paced,
            "/v1/completions",
            "{\"prompt\":\"Hello\",\"max_tokens\":3,\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true}}");

    assertThat(r.code()).isEqualTo(200);
    assertThat(r.contentType()).isEqualTo("text/event-stream; charset=utf-8");
    List<String> events = r.events();
    assertThat(events).hasSize(5).last().isEqualTo("[DONE]");
    List<JsonNode> json = r.jsonEvents();
    JsonNode first = json.get(0);
    assertThat(Http.fieldNames(first))
        .containsExactly("id", "object", "created", "model", "choices", "usage");
    assertThat(Http.fieldNames(first.at("/choices/0")))
        .containsExactly(
            "index",
            "text",
            "logprobs",
            "finish_reason",
            "stop_reason",
            "prompt_token_ids",
            "token_ids");
    assertThat(first.get("usage").isNull()).isTrue();
    assertThat(json.get(2).at("/choices/0/finish_reason").asText()).isEqualTo("length");
    JsonNode usage = json.get(3);
    assertThat(usage.get("choices")).isEmpty();
    assertThat(Http.fieldNames(usage.get("usage")))
        .containsExactly("prompt_tokens", "total_tokens", "completion_tokens");
    assertThat(usage.at("/usage/completion_tokens").asInt()).isEqualTo(3);
    assertThat(json).extracting(n -> n.get("id").asText()).containsOnly(first.get("id").asText());
    assertThat(json)
        .extracting(n -> n.get("created").asLong())
        .containsOnly(first.get("created").asLong());
    // compact JSON, exactly one space after "data:"
    assertThat(r.body())
        .startsWith("data: {\"id\":")
        .doesNotContain("\": ")
        .endsWith("data: [DONE]\n\n");
  }

  @Test
  void continuousUsageStatsCountTokensPerEvent() {
    Http.Reply r =
        Http.post(
            paced,
            "/v1/completions",
            "{\"prompt\":\"Hello\",\"max_tokens\":3,\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true,\"continuous_usage_stats\":true}}");
    List<JsonNode> json = r.jsonEvents();
    assertThat(json.subList(0, 3))
        .extracting(n -> n.at("/usage/completion_tokens").asInt())
        .containsExactly(1, 2, 3);
    assertThat(Http.fieldNames(json.get(0).get("usage")))
        .containsExactly(
            "prompt_tokens", "total_tokens", "completion_tokens", "prompt_tokens_details");
  }

  @Test
  void streamWithoutUsageEndsWithDone() {
    Http.Reply r =
        Http.post(
            paced,
            "/v1/completions",
            "{\"prompt\":\"Hello\",\"max_tokens\":2,\"stream\":true,\"stream_options\":{}}");
    assertThat(r.events()).hasSize(3).containsSubsequence("[DONE]");
  }

  @Test
  void eosFinishesWithStopAndCountsTheEosToken() {
    try (EmulatedVllmServer s =
        TestServers.fast()
            .outputLengthModel(dev.llmemu.engine.OutputLengthModel.fixed(4))
            .start()) {
      JsonNode body =
          Http.post(s, "/v1/completions", "{\"prompt\":\"Hi\",\"max_tokens\":50}").json();
      assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
      assertThat(body.at("/choices/0/stop_reason").isNull()).isTrue();
      assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(4);
      JsonNode ignore =
          Http.post(
                  s, "/v1/completions", "{\"prompt\":\"Hi\",\"max_tokens\":6,\"ignore_eos\":true}")
              .json();
      assertThat(ignore.at("/choices/0/finish_reason").asText()).isEqualTo("length");
    }
  }

  @Test
  void sameSeedGivesSameText() {
    String body = "{\"prompt\":\"Hi\",\"max_tokens\":8,\"seed\":123}";
    String a = Http.post(server, "/v1/completions", body).json().at("/choices/0/text").asText();
    String b = Http.post(server, "/v1/completions", body).json().at("/choices/0/text").asText();
    assertThat(a).isEqualTo(b);
  }

  @Test
  void requestIdHeaderNamesTheResponse() {
    Http.Reply r =
        Http.send(
            new okhttp3.Request.Builder()
                .url(server.url("/v1/completions"))
                .header("X-Request-Id", "abc123")
                .post(
                    okhttp3.RequestBody.create(
                        "{\"prompt\":\"Hi\",\"max_tokens\":1}", Http.APPLICATION_JSON))
                .build());
    assertThat(r.json().get("id").asText()).isEqualTo("cmpl-abc123");
  }
}
