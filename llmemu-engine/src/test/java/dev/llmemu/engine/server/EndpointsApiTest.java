package dev.llmemu.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The non-generation endpoints: models, health, ping, version, tokenize, detokenize, metrics. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class EndpointsApiTest {
  static EmulatedVllmServer server;

  @BeforeAll
  static void start() {
    server = TestServers.fast().start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void modelsListsTheServedModelWithItsCard() {
    JsonNode body = Http.get(server, "/v1/models").json();
    assertThat(body.get("object").asText()).isEqualTo("list");
    JsonNode card = body.at("/data/0");
    assertThat(Http.fieldNames(card))
        .containsExactly(
            "id", "object", "created", "owned_by", "root", "parent", "max_model_len", "permission");
    assertThat(card.get("id").asText()).isEqualTo(server.servedModelName());
    assertThat(card.get("owned_by").asText()).isEqualTo("vllm");
    assertThat(card.get("max_model_len").asInt())
        .isEqualTo(server.engine().orElseThrow().config().maxModelLen());
    assertThat(card.at("/permission/0/id").asText()).startsWith("modelperm-");
  }

  @Test
  void healthPingAndVersion() {
    Http.Reply health = Http.get(server, "/health");
    assertThat(health.code()).isEqualTo(200);
    assertThat(health.body()).isEmpty();
    assertThat(Http.get(server, "/ping").code()).isEqualTo(200);
    assertThat(Http.post(server, "/ping", "{}").code()).isEqualTo(200);
    assertThat(Http.get(server, "/version").body()).isEqualTo("{\"version\":\"0.18.0+llmemu\"}");
    assertThat(Http.get(server, "/load").body()).isEqualTo("{\"server_load\":0}");
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws Exception {
    String completion = "{\"prompt\":\"x\",\"max_tokens\":2,\"stream\":true}";
    String requests =
        "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Content-Length: "
            + completion.length()
            + "\r\n\r\n"
            + completion
            + "GET /version HTTP/1.1\r\nHost: x\r\n\r\n"
            + "HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
      socket.getOutputStream().write(requests.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      String reply =
          new String(
              socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      int stream = reply.indexOf("data: [DONE]");
      int version = reply.indexOf("{\"version\":");
      int health = reply.lastIndexOf("HTTP/1.1 200 OK");
      assertThat(stream).isPositive();
      assertThat(version).isGreaterThan(stream);
      assertThat(health).isGreaterThan(version);
      assertThat(reply.substring(health)).doesNotContain("{");
    }
  }

  @Test
  void tokenizeAndDetokenizeRoundTrip() {
    JsonNode t = Http.post(server, "/tokenize", "{\"prompt\":\"Hello, world\"}").json();
    assertThat(Http.fieldNames(t))
        .containsExactly("count", "max_model_len", "tokens", "token_strs");
    assertThat(t.get("count").asInt()).isEqualTo(3);
    assertThat(t.get("tokens").toString()).isEqualTo("[9906,11,1917]");
    assertThat(t.get("token_strs").isNull()).isTrue();
    JsonNode d = Http.post(server, "/detokenize", "{\"tokens\":[9906,11,1917]}").json();
    assertThat(d.toString()).isEqualTo("{\"prompt\":\"Hello, world\"}");
    JsonNode strs =
        Http.post(server, "/tokenize", "{\"prompt\":\"Hello, world\",\"return_token_strs\":true}")
            .json();
    assertThat(strs.get("token_strs").toString()).isEqualTo("[\"Hello\",\",\",\" world\"]");
  }

  @Test
  void tokenizeChatMessagesAppliesTheTemplate() {
    JsonNode t =
        Http.post(server, "/tokenize", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
            .json();
    JsonNode chat =
        Http.post(
                server,
                "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":1}")
            .json();
    assertThat(t.get("count").asInt()).isEqualTo(chat.at("/usage/prompt_tokens").asInt());
    assertThat(t.get("tokens").get(0).asInt()).isEqualTo(100264);
  }

  @Test
  void resetPrefixCacheDropsCachedBlocks() {
    try (EmulatedVllmServer s = TestServers.fast().enablePromptTokensDetails(true).start()) {
      String body = "{\"prompt\":\"" + "cache me ".repeat(40) + "\",\"max_tokens\":1}";
      Http.post(s, "/v1/completions", body);
      assertThat(
              Http.post(s, "/v1/completions", body)
                  .json()
                  .at("/usage/prompt_tokens_details/cached_tokens")
                  .asInt())
          .isPositive();
      Http.Reply reset = Http.post(s, "/llmemu/reset_prefix_cache", "");
      assertThat(reset.code()).isEqualTo(200);
      assertThat(
              Http.post(s, "/v1/completions", body)
                  .json()
                  .at("/usage/prompt_tokens_details")
                  .isNull())
          .isTrue();
      assertThat(Http.get(s, "/llmemu/reset_prefix_cache").code()).isEqualTo(405);
    }
  }

  @Test
  void detokenizeRejectsOutOfVocabularyIds() {
    Http.Reply r = Http.post(server, "/detokenize", "{\"tokens\":[1,200000]}");
    assertThat(r.code()).isEqualTo(400);
    assertThat(r.json().at("/error/message").asText())
        .isEqualTo("Token id 200000 is out of vocabulary");
  }

  @Test
  void metricsHaveVllmNamesTypesLabelsAndBuckets() {
    try (EmulatedVllmServer server = TestServers.fast().start()) {
      Http.post(server, "/v1/completions", "{\"prompt\":\"Hello\",\"max_tokens\":3}");
      Http.Reply r = Http.get(server, "/metrics");
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.contentType()).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
      String text = r.body();
      String labels = "engine=\"0\",model_name=\"" + server.servedModelName() + "\"";
      assertThat(text)
          .contains("# TYPE vllm:num_requests_running gauge")
          .contains("vllm:num_requests_running{" + labels + "} 0.0")
          .contains("# TYPE vllm:kv_cache_usage_perc gauge")
          .contains("# TYPE vllm:prompt_tokens_total counter")
          .contains("vllm:prompt_tokens_total{" + labels + "} 1.0")
          .contains("vllm:generation_tokens_total{" + labels + "} 3.0")
          .contains(
              "vllm:request_success_total{engine=\"0\",finished_reason=\"length\",model_name=\""
                  + server.servedModelName()
                  + "\"} 1.0")
          .contains(
              "vllm:request_success_total{engine=\"0\",finished_reason=\"stop\",model_name=\""
                  + server.servedModelName()
                  + "\"} 0.0")
          .contains(
              "vllm:request_success_total{engine=\"0\",finished_reason=\"abort\",model_name=\""
                  + server.servedModelName()
                  + "\"} 0.0")
          .contains("# TYPE vllm:time_to_first_token_seconds histogram")
          .contains("vllm:time_to_first_token_seconds_bucket{" + labels + ",le=\"0.001\"}")
          .contains("vllm:time_to_first_token_seconds_bucket{" + labels + ",le=\"2560.0\"}")
          .contains("vllm:inter_token_latency_seconds_bucket{" + labels + ",le=\"0.075\"}")
          .contains("vllm:e2e_request_latency_seconds_bucket{" + labels + ",le=\"7680.0\"}")
          .contains("vllm:request_params_n_bucket{" + labels + ",le=\"20.0\"}")
          .contains("vllm:iteration_tokens_total_bucket{" + labels + ",le=\"16384.0\"}")
          .contains("vllm:request_prompt_tokens_bucket{" + labels + ",le=\"5000.0\"}")
          .contains("vllm:request_generation_tokens_count{" + labels + "} 1")
          .contains("# TYPE vllm:num_preemptions_total counter")
          .contains("# TYPE vllm:prefix_cache_queries_total counter")
          .contains(
              "vllm:engine_sleep_state{engine=\"0\",model_name=\""
                  + server.servedModelName()
                  + "\",sleep_state=\"awake\"} 1.0")
          .contains("# TYPE vllm:cache_config_info gauge")
          .contains("# TYPE vllm:prompt_tokens_created gauge")
          .doesNotContain("vllm:time_per_output_token_seconds");
      assertThat(server.metrics().generationTokens()).isEqualTo(3);
      assertThat(server.metrics().requestSuccess()).containsEntry("length", 1L);
    }
  }

  @Test
  void metricsSeriesExistBeforeAnyTraffic() {
    try (EmulatedVllmServer s = TestServers.fast().start()) {
      String text = s.metricsText();
      assertThat(text)
          .contains("vllm:request_success_total{engine=\"0\",finished_reason=\"repetition\"")
          .contains("vllm:time_to_first_token_seconds_count{engine=\"0\"")
          .contains("vllm:num_requests_waiting{engine=\"0\"");
    }
  }
}
