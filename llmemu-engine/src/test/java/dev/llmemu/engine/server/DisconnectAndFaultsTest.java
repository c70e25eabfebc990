package dev.llmemu.engine.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmemu.engine.Engine;
import dev.llmemu.engine.StepLatencyModel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Client disconnects abort requests; emulator faults; readiness; the bounded queue. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DisconnectAndFaultsTest {

  static int activeRequests(EmulatedVllmServer s) {
    return s.engine().orElseThrow().inspect(Engine.EngineState::activeRequests).join();
  }

  static double kvUsage(EmulatedVllmServer s) {
    return s.engine().orElseThrow().inspect(Engine.EngineState::kvCacheUsage).join();
  }

  @Test
  void clientThatDisconnectsMidStreamAbortsItsRequestAndFreesItsBlocks() throws IOException {
    try (EmulatedVllmServer s =
        TestServers.fast().latencyModel(StepLatencyModel.constant(Duration.ofMillis(5))).start()) {
      Request req =
          new Request.Builder()
              .url(s.url("/v1/completions"))
              .post(
                  RequestBody.create(
                      "{\"prompt\":\""
                          + "tok ".repeat(300)
                          + "\",\"max_tokens\":5000,\"stream\":true}",
                      Http.APPLICATION_JSON))
              .build();
      okhttp3.Call call = Http.CLIENT.newCall(req);
      Response res = call.execute();
      BufferedReader reader =
          new BufferedReader(
              new InputStreamReader(res.body().byteStream(), StandardCharsets.UTF_8));
      assertThat(reader.readLine()).startsWith("data: {");
      assertThat(activeRequests(s)).isEqualTo(1);
      assertThat(kvUsage(s)).isPositive();

      call.cancel();
      res.close();

      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                assertThat(activeRequests(s)).isZero();
                assertThat(kvUsage(s)).isZero();
                assertThat(
                        s.engine().orElseThrow().inspect(Engine.EngineState::leakedBlocks).join())
                    .isZero();
              });
      // A disconnect is not a finished request in vLLM's request_success.
      assertThat(s.metrics().requestsFinished()).isZero();
    }
  }

  @Test
  void errorStatusHeaderAnswersThatStatus() {
    try (EmulatedVllmServer s = TestServers.fast().start()) {
      Http.Reply r =
          Http.send(
              new Request.Builder()
                  .url(s.url("/v1/chat/completions"))
                  .header("X-Llmemu-Error-Status", "503")
                  .post(
                      RequestBody.create(
                          "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                          Http.APPLICATION_JSON))
                  .build());
      assertThat(r.code()).isEqualTo(503);
      assertThat(r.json().at("/error/type").asText()).isEqualTo("ServiceUnavailableError");
      assertThat(Http.post(s, "/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":1}").code())
          .isEqualTo(200);
    }
  }

  @Test
  void failAfterTokensSendsAnInBandErrorThenDone() {
    try (EmulatedVllmServer s = TestServers.fast().start()) {
      Http.Reply r =
          Http.send(
              new Request.Builder()
                  .url(s.url("/v1/completions"))
                  .header("X-Llmemu-Fail-After-Tokens", "3")
                  .post(
                      RequestBody.create(
                          "{\"prompt\":\"x\",\"max_tokens\":50,\"stream\":true}",
                          Http.APPLICATION_JSON))
                  .build());
      assertThat(r.code()).isEqualTo(200);
      List<String> events = r.events();
      assertThat(events).last().isEqualTo("[DONE]");
      assertThat(events.get(events.size() - 2))
          .isEqualTo(
              "{\"error\":{\"message\":\"Internal server error\",\"type\":\"InternalServerError\",\"param\":null,\"code\":500}}");
      assertThat(events).hasSizeLessThan(10);
      await().untilAsserted(() -> assertThat(activeRequests(s)).isZero());

      Http.Reply plain =
          Http.send(
              new Request.Builder()
                  .url(s.url("/v1/completions"))
                  .header("X-Llmemu-Fail-After-Tokens", "2")
                  .post(
                      RequestBody.create(
                          "{\"prompt\":\"x\",\"max_tokens\":50}", Http.APPLICATION_JSON))
                  .build());
      assertThat(plain.code()).isEqualTo(500);
    }
  }

  @Test
  void dropAfterTokensCutsTheConnectionMidStream() {
    try (EmulatedVllmServer s = TestServers.fast().start()) {
      Request req =
          new Request.Builder()
              .url(s.url("/v1/completions"))
              .header("X-Llmemu-Drop-After-Tokens", "2")
              .post(
                  RequestBody.create(
                      "{\"prompt\":\"x\",\"max_tokens\":50,\"stream\":true}",
                      Http.APPLICATION_JSON))
              .build();
      assertThatThrownBy(
              () -> {
                try (Response res = Http.CLIENT.newCall(req).execute()) {
                  res.body().string();
                }
              })
          .isInstanceOf(IOException.class);
      await().untilAsserted(() -> assertThat(activeRequests(s)).isZero());
      assertThat(Http.get(s, "/health").code()).isEqualTo(200);
    }
  }

  @Test
  void failureRateCanBeSetAtRuntime() {
    try (EmulatedVllmServer s = TestServers.fast().start()) {
      Http.Reply set =
          Http.post(
              s,
              "/llmemu/config",
              "{\"failure_rate\":1.0,\"failure_status\":429,\"time_scale\":0.5}");
      assertThat(set.code()).isEqualTo(200);
      JsonNode config = set.json();
      assertThat(config.get("failure_rate").asDouble()).isEqualTo(1.0);
      assertThat(config.get("time_scale").asDouble()).isEqualTo(0.5);
      assertThat(Http.post(s, "/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":1}").code())
          .isEqualTo(429);
      s.setFailureRate(0, 500);
      assertThat(Http.post(s, "/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":1}").code())
          .isEqualTo(200);
      assertThat(Http.post(s, "/llmemu/config", "{\"failure_rate\":2}").code()).isEqualTo(400);
    }
  }

  @Test
  void readinessDelayAnswers503UntilReady() {
    try (EmulatedVllmServer s = TestServers.fast().readinessDelay(Duration.ofMillis(300)).start()) {
      assertThat(Http.get(s, "/health").code()).isEqualTo(503);
      assertThat(Http.post(s, "/v1/completions", "{\"prompt\":\"x\"}").code()).isEqualTo(503);
      await().atMost(Duration.ofSeconds(5)).until(() -> Http.get(s, "/health").code() == 200);
      assertThat(Http.post(s, "/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":1}").code())
          .isEqualTo(200);
    }
  }

  @Test
  void boundedQueueAnswers429WithRetryAfter() throws Exception {
    try (EmulatedVllmServer s =
        TestServers.fast()
            .latencyModel(StepLatencyModel.constant(Duration.ofMillis(20)))
            .engineConfig(c -> c.maxNumSeqs(1).maxNumBatchedTokens(64))
            .maxWaitingRequests(1)
            .start()) {
      // one runs, one waits: the third is refused
      okhttp3.Call a = Http.CLIENT.newCall(streamRequest(s));
      okhttp3.Call b = Http.CLIENT.newCall(streamRequest(s));
      Response ra = a.execute();
      Response rb = b.execute();
      assertThat(ra.code()).isEqualTo(200);
      assertThat(rb.code()).isEqualTo(200);
      await().untilAsserted(() -> assertThat(s.metrics().numRequestsWaiting()).isEqualTo(1));
      Http.Reply c = Http.post(s, "/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":1}");
      assertThat(c.code()).isEqualTo(429);
      assertThat(c.headers().get("retry-after")).isEqualTo("1");
      assertThat(c.json().at("/error/code").asInt()).isEqualTo(429);
      a.cancel();
      b.cancel();
      ra.close();
      rb.close();
    }
  }

  static Request streamRequest(EmulatedVllmServer s) {
    return new Request.Builder()
        .url(s.url("/v1/completions"))
        .post(
            RequestBody.create(
                "{\"prompt\":\"x\",\"max_tokens\":500,\"stream\":true}", Http.APPLICATION_JSON))
        .build();
  }
}
