package dev.llmemu.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Errors as vLLM returns them: status, type, message, param. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ErrorsApiTest {
  static EmulatedVllmServer server;

  @BeforeAll
  static void start() {
    server =
        TestServers.fast()
            .engineConfig(c -> c.maxModelLen(128).numGpuBlocks(64))
            .maxRequestBodyBytes(64 * 1024)
            .start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static JsonNode error(Http.Reply r, int status) {
    assertThat(r.code()).as(r.body()).isEqualTo(status);
    JsonNode e = r.json().get("error");
    assertThat(Http.fieldNames(e)).containsExactly("message", "type", "param", "code");
    assertThat(e.get("code").asInt()).isEqualTo(status);
    return e;
  }

  @Test
  void malformedJsonIs400BadRequest() {
    JsonNode e = error(Http.post(server, "/v1/completions", "{\"prompt\": "), 400);
    assertThat(e.get("type").asText()).isEqualTo("Bad Request");
    assertThat(e.get("message").asText())
        .startsWith("1 validation error:\n  {'type': 'json_invalid'");
  }

  @Test
  void wrongTypesAreReportedPerField() {
    JsonNode e =
        error(
            Http.post(
                server,
                "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":\"many\",\"stream\":[1]}"),
            400);
    assertThat(e.get("type").asText()).isEqualTo("Bad Request");
    assertThat(e.get("message").asText())
        .isEqualTo(
            "2 validation errors:\n"
                + "  {'type': 'int_parsing', 'loc': ('body', 'max_tokens'), 'msg': 'Input should be a"
                + " valid integer, unable to parse string as an integer', 'input': 'many'}\n"
                + "  {'type': 'bool_type', 'loc': ('body', 'stream'), 'msg': 'Input should be a valid"
                + " boolean', 'input': [1]}");
    assertThat(e.get("param").isNull()).isTrue();
  }

  @Test
  void missingMessagesIsAFieldRequiredError() {
    JsonNode e = error(Http.post(server, "/v1/chat/completions", "{\"model\":\"x\"}"), 400);
    assertThat(e.get("message").asText())
        .startsWith(
            "1 validation error:\n  {'type': 'missing', 'loc': ('body', 'messages'), 'msg': 'Field required'");
  }

  @Test
  void laxCoercionsArePydantics() {
    Http.Reply r =
        Http.post(
            server,
            "/v1/completions",
            "{\"prompt\":\"x\",\"max_tokens\":\"3\",\"stream\":\"false\"}");
    assertThat(r.code()).isEqualTo(200);
    assertThat(r.json().at("/usage/completion_tokens").asInt()).isEqualTo(3);
  }

  @Test
  void unknownModelIs404() {
    JsonNode e =
        error(Http.post(server, "/v1/completions", "{\"model\":\"gpt-9\",\"prompt\":\"x\"}"), 404);
    assertThat(e.get("type").asText()).isEqualTo("NotFoundError");
    assertThat(e.get("message").asText()).isEqualTo("The model `gpt-9` does not exist.");
  }

  @Test
  void promptPlusMaxTokensOverTheContextIs400WithInputTokensParam() {
    JsonNode e =
        error(
            Http.post(
                server,
                "/v1/completions",
                "{\"prompt\":[1,2,3,4,5,6,7,8,9,10],\"max_tokens\":120}"),
            400);
    assertThat(e.get("type").asText()).isEqualTo("BadRequestError");
    assertThat(e.get("param").asText()).isEqualTo("input_tokens");
    assertThat(e.get("message").asText())
        .isEqualTo(
            "This model's maximum context length is 128 tokens. However, you requested 120 output"
                + " tokens and your prompt contains 10 input tokens, for a total of 130 tokens."
                + " Please reduce the length of the input prompt or the number of requested output"
                + " tokens.");
  }

  @Test
  void hugeMaxTokensIsALengthErrorNotA500() {
    JsonNode e =
        error(Http.post(server, "/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":1e300}"), 400);
    assertThat(e.get("param").asText()).isEqualTo("input_tokens");
  }

  @Test
  void fanOutIsBounded() {
    String prompts = "[" + "\"a\",".repeat(1025) + "\"a\"]";
    JsonNode many =
        error(Http.post(server, "/v1/completions", "{\"prompt\":" + prompts + "}"), 400);
    assertThat(many.get("param").asText()).isEqualTo("prompt");
    assertThat(many.get("message").asText())
        .contains("prompt list length 1026 exceeds the maximum allowed count of 1024.");
    String some = "[" + "\"a\",".repeat(99) + "\"a\"]";
    JsonNode fanOut =
        error(Http.post(server, "/v1/completions", "{\"prompt\":" + some + ",\"n\":256}"), 400);
    assertThat(fanOut.get("message").asText()).startsWith("llmemu serves at most 8 x max_num_seqs");
  }

  @Test
  void astronomicalNumbersAreNeitherExpandedNorA500() {
    JsonNode e =
        error(
            Http.post(server, "/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":1e999999999}"),
            400);
    assertThat(e.get("param").asText()).isEqualTo("input_tokens");
    JsonNode seed =
        error(
            Http.post(server, "/v1/completions", "{\"prompt\":\"x\",\"seed\":-1e999999999}"), 400);
    assertThat(seed.get("message").asText())
        .contains("'type': 'greater_than_equal', 'loc': ('body', 'seed')");
  }

  @Test
  void chatPromptFillingTheContextIsRejectedByTheEngineCheck() {
    String text = "word ".repeat(200);
    JsonNode e =
        error(
            Http.post(
                server,
                "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}"),
            400);
    assertThat(e.get("message").asText()).contains("maximum context length is 128 tokens");
  }

  @Test
  void unsupportedParametersAreRefused() {
    JsonNode suffix =
        error(Http.post(server, "/v1/completions", "{\"prompt\":\"x\",\"suffix\":\"y\"}"), 400);
    assertThat(suffix.get("message").asText()).isEqualTo("suffix is not currently supported");
    JsonNode tools =
        error(
            Http.post(
                server,
                "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tool_choice\":\"auto\","
                    + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}"),
            400);
    assertThat(tools.get("message").asText()).startsWith("\"auto\" tool choice requires");
    JsonNode so =
        error(
            Http.post(
                server,
                "/v1/completions",
                "{\"prompt\":\"x\",\"stream_options\":{\"include_usage\":true}}"),
            400);
    assertThat(so.get("param").asText()).isEqualTo("stream_options");
    assertThat(so.get("message").asText())
        .contains("Stream options can only be defined when `stream=True`.");
    JsonNode lp =
        error(Http.post(server, "/v1/completions", "{\"prompt\":\"x\",\"logprobs\":21}"), 400);
    assertThat(lp.get("message").asText())
        .isEqualTo("Requested sample logprobs of 21, which is greater than max allowed: 20");
    JsonNode n = error(Http.post(server, "/v1/completions", "{\"prompt\":\"x\",\"n\":0}"), 400);
    assertThat(n.get("message").asText()).isEqualTo("n must be at least 1, got 0.");
    JsonNode oov = error(Http.post(server, "/v1/completions", "{\"prompt\":[1,999999]}"), 400);
    assertThat(oov.get("message").asText()).isEqualTo("Token id 999999 is out of vocabulary");
  }

  @Test
  void wrongContentTypeIs400() {
    Http.Reply r =
        Http.send(
            new Request.Builder()
                .url(server.url("/v1/completions"))
                .post(RequestBody.create("{\"prompt\":\"x\"}", MediaType.get("text/plain")))
                .build());
    JsonNode e = error(r, 400);
    assertThat(e.get("message").asText())
        .isEqualTo(
            "1 validation error:\n  Unsupported Media Type: Only 'application/json' is allowed");
  }

  @Test
  void oversizedBodyIs413() {
    String big = "{\"prompt\":\"" + "x".repeat(100 * 1024) + "\"}";
    JsonNode e = error(Http.post(server, "/v1/completions", big), 413);
    assertThat(e.get("message").asText()).contains("65536 bytes");
    assertThat(Http.get(server, "/health").code()).isEqualTo(200);
  }

  @Test
  void wrongMethodIs405AndUnknownPathIs404() {
    Http.Reply m = Http.get(server, "/v1/completions");
    assertThat(m.code()).isEqualTo(405);
    assertThat(m.body()).isEqualTo("{\"detail\":\"Method Not Allowed\"}");
    assertThat(m.headers().get("allow")).isEqualTo("POST");
    Http.Reply p = Http.get(server, "/v1/embeddings");
    assertThat(p.code()).isEqualTo(404);
    assertThat(p.body()).isEqualTo("{\"detail\":\"Not Found\"}");
  }

  @Test
  void apiKeyProtectsV1Only() {
    try (EmulatedVllmServer s = TestServers.fast().apiKey("sekret").start()) {
      Http.Reply none = Http.get(s, "/v1/models");
      assertThat(none.code()).isEqualTo(401);
      assertThat(none.body()).isEqualTo("{\"error\":\"Unauthorized\"}");
      Http.Reply wrong =
          Http.send(
              new Request.Builder()
                  .url(s.url("/v1/models"))
                  .header("Authorization", "Bearer nope")
                  .build());
      assertThat(wrong.code()).isEqualTo(401);
      Http.Reply right =
          Http.send(
              new Request.Builder()
                  .url(s.url("/v1/models"))
                  .header("Authorization", "Bearer sekret")
                  .build());
      assertThat(right.code()).isEqualTo(200);
      assertThat(Http.get(s, "/health").code()).isEqualTo(200);
      assertThat(Http.get(s, "/metrics").code()).isEqualTo(200);
    }
  }

  @Test
  void garbageOnTheWireGets400AndTheServerGoesOn() throws IOException {
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      OutputStream out = socket.getOutputStream();
      out.write("NOT HTTP AT ALL\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      String reply = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      assertThat(reply).startsWith("HTTP/1.1 400");
    }
    assertThat(Http.get(server, "/health").code()).isEqualTo(200);
  }
}
