package dev.llmemu.engine.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmemu.engine.StepLatencyModel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * The {@code http_*} metrics of vLLM's API server (prometheus-fastapi-instrumentator's defaults as
 * vLLM configures them): which requests count, under which handler and status, and their sizes.
 */
class HttpMetricsTest {
  private static final String COMPLETION = "{\"prompt\":\"Hello\",\"max_tokens\":3}";
  private static final String STREAMED = "{\"prompt\":\"Hello\",\"max_tokens\":3,\"stream\":true}";
  private static final String MALFORMED = "{\"prompt\":";

  @Test
  void unlabelledLatencyHistogramExistsBeforeTrafficAndLabelledSeriesDoNot() {
    try (EmulatedVllmServer s = TestServers.fast().start()) {
      String text = s.metricsText();
      assertThat(text)
          .contains("# TYPE http_request_duration_highr_seconds histogram")
          .contains("http_request_duration_highr_seconds_count 0")
          .contains("http_request_duration_highr_seconds_bucket{le=\"60.0\"} 0")
          .doesNotContain("http_requests_total{");
    }
  }

  @Test
  void countsRequestsByMethodGroupedStatusAndRouteButNotExcludedHandlers() {
    try (EmulatedVllmServer s = TestServers.fast().start()) {
      Http.Reply plain = Http.post(s, "/v1/completions", COMPLETION);
      Http.Reply streamed = Http.post(s, "/v1/completions", STREAMED);
      Http.Reply malformed = Http.post(s, "/v1/completions", MALFORMED);
      Http.Reply models = Http.get(s, "/v1/models");
      Http.Reply unknown = Http.get(s, "/v1/nothing-here");
      Http.Reply wrongMethod =
          Http.send(new Request.Builder().url(s.url("/v1/models")).delete().build());
      assertThat(plain.code()).isEqualTo(200);
      assertThat(streamed.code()).isEqualTo(200);
      assertThat(malformed.code()).isEqualTo(400);
      assertThat(models.code()).isEqualTo(200);
      assertThat(unknown.code()).isEqualTo(404);
      assertThat(wrongMethod.code()).isEqualTo(405);
      // vLLM's excluded handlers are not recorded
      Http.get(s, "/health");
      Http.get(s, "/ping");
      Http.get(s, "/version");
      Http.get(s, "/metrics");

      String text = Http.get(s, "/metrics").body();
      assertThat(text).contains("# TYPE http_requests_total counter");
      assertThat(sample(text, "http_requests_total", "/v1/completions", "POST", "2xx"))
          .isEqualTo(2);
      assertThat(sample(text, "http_requests_total", "/v1/completions", "POST", "4xx"))
          .isEqualTo(1);
      assertThat(sample(text, "http_requests_total", "/v1/models", "GET", "2xx")).isEqualTo(1);
      // no route for the path, or not for the method (a partial match): grouped as "none"
      assertThat(sample(text, "http_requests_total", "none", "GET", "4xx")).isEqualTo(1);
      assertThat(sample(text, "http_requests_total", "none", "DELETE", "4xx")).isEqualTo(1);
      assertThat(text)
          .doesNotContain("handler=\"/health\"")
          .doesNotContain("handler=\"/ping\"")
          .doesNotContain("handler=\"/version\"")
          .doesNotContain("handler=\"/metrics\"");

      // sizes come from Content-Length: a streamed (chunked) response counts 0
      byte[] sent = (COMPLETION + STREAMED + MALFORMED).getBytes(StandardCharsets.UTF_8);
      assertThat(sample(text, "http_request_size_bytes_count", "/v1/completions")).isEqualTo(3);
      assertThat(sample(text, "http_request_size_bytes_sum", "/v1/completions"))
          .isEqualTo(sent.length);
      assertThat(sample(text, "http_response_size_bytes_sum", "/v1/completions"))
          .isEqualTo(utf8Length(plain.body()) + utf8Length(malformed.body()));
      assertThat(sample(text, "http_response_size_bytes_sum", "/v1/models"))
          .isEqualTo(utf8Length(models.body()));

      assertThat(sample(text, "http_request_duration_highr_seconds_count")).isEqualTo(6);
      assertThat(sample(text, "http_request_duration_seconds_count", "/v1/completions", "POST"))
          .isEqualTo(3);
      assertThat(buckets(text, "http_request_duration_seconds", "/v1/completions", "POST"))
          .containsOnlyKeys("0.1", "0.5", "1.0", "+Inf")
          .containsEntry("+Inf", 3.0);
    }
  }

  @Test
  void pipelinedRequestsArePairedWithTheirOwnResponses() throws IOException {
    String tokenize = "{\"prompt\":\"Hello, world\"}";
    String requests =
        post("/v1/completions", STREAMED)
            + "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n"
            + post("/tokenize", tokenize).replace("Host: x", "Host: x\r\nConnection: close");
    try (EmulatedVllmServer s = TestServers.fast().start();
        java.net.Socket socket = new java.net.Socket("127.0.0.1", s.port())) {
      socket.getOutputStream().write(requests.getBytes(StandardCharsets.US_ASCII));
      String reply = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(reply).contains("data: [DONE]").contains("\"object\":\"list\"");

      String text = s.metricsText();
      for (String[] r :
          new String[][] {
            {"/v1/completions", "POST"}, {"/v1/models", "GET"}, {"/tokenize", "POST"}
          }) {
        assertThat(sample(text, "http_requests_total", r[0], r[1], "2xx")).isEqualTo(1);
      }
      assertThat(sample(text, "http_request_size_bytes_sum", "/v1/completions"))
          .isEqualTo(STREAMED.length());
      assertThat(sample(text, "http_request_size_bytes_sum", "/v1/models")).isZero();
      assertThat(sample(text, "http_request_size_bytes_sum", "/tokenize"))
          .isEqualTo(tokenize.length());
      assertThat(sample(text, "http_response_size_bytes_sum", "/v1/completions")).isZero();
      assertThat(sample(text, "http_response_size_bytes_sum", "/v1/models"))
          .isEqualTo(utf8Length(Http.get(s, "/v1/models").body()));
      assertThat(sample(text, "http_response_size_bytes_sum", "/tokenize")).isPositive();
    }
  }

  private static String post(String path, String json) {
    return "POST "
        + path
        + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
        + json.length()
        + "\r\n\r\n"
        + json;
  }

  @Test
  void requestsRefusedForTheApiKeyAreNotCounted() {
    try (EmulatedVllmServer s = TestServers.fast().apiKey("sekret").start()) {
      assertThat(Http.post(s, "/v1/completions", COMPLETION).code()).isEqualTo(401);
      Http.Reply ok =
          Http.send(
              new Request.Builder()
                  .url(s.url("/v1/completions"))
                  .header("Authorization", "Bearer sekret")
                  .post(RequestBody.create(COMPLETION, Http.APPLICATION_JSON))
                  .build());
      assertThat(ok.code()).isEqualTo(200);

      String text = s.metricsText();
      assertThat(sample(text, "http_requests_total", "/v1/completions", "POST", "2xx"))
          .isEqualTo(1);
      assertThat(text).doesNotContain("status=\"4xx\"");
      assertThat(sample(text, "http_request_duration_highr_seconds_count")).isEqualTo(1);
    }
  }

  @Test
  void aStreamTheClientAbandonsCountsWhenTheConnectionCloses() throws IOException {
    try (EmulatedVllmServer s =
        TestServers.fast().latencyModel(StepLatencyModel.constant(Duration.ofMillis(5))).start()) {
      okhttp3.Call call =
          Http.CLIENT.newCall(
              new Request.Builder()
                  .url(s.url("/v1/chat/completions"))
                  .post(
                      RequestBody.create(
                          "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                              + "\"max_tokens\":5000,\"stream\":true}",
                          Http.APPLICATION_JSON))
                  .build());
      Response res = call.execute();
      BufferedReader reader =
          new BufferedReader(
              new InputStreamReader(res.body().byteStream(), StandardCharsets.UTF_8));
      assertThat(reader.readLine()).startsWith("data: {");
      assertThat(s.metricsText()).doesNotContain("handler=\"/v1/chat/completions\"");

      call.cancel();
      res.close();

      awaitCountedOnce(s, "/v1/chat/completions", "2xx");
      assertThat(sample(s.metricsText(), "http_response_size_bytes_sum", "/v1/chat/completions"))
          .isZero();
    }
  }

  @Test
  void aCancelledNonStreamedCallCountsAsVllmAnswersIt() {
    try (EmulatedVllmServer s =
        TestServers.fast().latencyModel(StepLatencyModel.constant(Duration.ofMillis(5))).start()) {
      okhttp3.Call call =
          Http.CLIENT.newCall(
              new Request.Builder()
                  .url(s.url("/v1/completions"))
                  .post(
                      RequestBody.create(
                          "{\"prompt\":\"Hi\",\"max_tokens\":5000}", Http.APPLICATION_JSON))
                  .build());
      call.enqueue(
          new okhttp3.Callback() {
            @Override
            public void onFailure(okhttp3.Call c, IOException e) {}

            @Override
            public void onResponse(okhttp3.Call c, Response r) {
              r.close();
            }
          });
      await().atMost(Duration.ofSeconds(10)).until(() -> s.metrics().numRequestsRunning() == 1);
      call.cancel();

      // vLLM's with_cancellation returns None, which FastAPI answers as a 200 "null"
      awaitCountedOnce(s, "/v1/completions", "2xx");
      assertThat(sample(s.metricsText(), "http_response_size_bytes_sum", "/v1/completions"))
          .isEqualTo(4);
    }
  }

  @Test
  void aRequestWhoseBodyNeverArrivesCountsAsAServerError() throws IOException {
    try (EmulatedVllmServer s = TestServers.fast().start()) {
      try (java.net.Socket socket = new java.net.Socket("127.0.0.1", s.port())) {
        socket
            .getOutputStream()
            .write(
                (post("/v1/completions", COMPLETION)
                        .replace("Content-Length: " + COMPLETION.length(), "Content-Length: 1000"))
                    .getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
      }
      awaitCountedOnce(s, "/v1/completions", "5xx");
      assertThat(sample(s.metricsText(), "http_request_size_bytes_sum", "/v1/completions"))
          .isEqualTo(1000);
    }
  }

  /** Waits until one POST to {@code handler} with {@code status} is counted. */
  private static void awaitCountedOnce(EmulatedVllmServer s, String handler, String status) {
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(sample(s.metricsText(), "http_requests_total", handler, "POST", status))
                    .isEqualTo(1));
  }

  private static final Pattern LINE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{([^}]*)\\})? (\\S+)$", Pattern.MULTILINE);
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

  /**
   * The value of the series {@code name} whose labels are, in this order when given: handler,
   * method, status (label order in the text does not matter). A missing series fails the test.
   */
  private static double sample(String text, String name, String... labels) {
    Map<String, Double> found = matching(text, name, labels);
    assertThat(found).as("series %s %s in%n%s", name, String.join(",", labels), text).hasSize(1);
    return found.values().iterator().next();
  }

  /** A histogram's buckets, by their {@code le}. */
  private static Map<String, Double> buckets(String text, String name, String... labels) {
    return matching(text, name + "_bucket", labels);
  }

  private static Map<String, Double> matching(String text, String name, String... labels) {
    String[] keys = {"handler", "method", "status"};
    Map<String, Double> out = new HashMap<>();
    Matcher m = LINE.matcher(text);
    while (m.find()) {
      if (!m.group(1).equals(name)) {
        continue;
      }
      Map<String, String> found = new HashMap<>();
      if (m.group(2) != null) {
        Matcher l = LABEL.matcher(m.group(2));
        while (l.find()) {
          found.put(l.group(1), l.group(2));
        }
      }
      boolean all = true;
      for (int i = 0; i < labels.length; i++) {
        all &= labels[i].equals(found.get(keys[i]));
      }
      if (all) {
        out.put(found.getOrDefault("le", ""), Double.parseDouble(m.group(3)));
      }
    }
    return out;
  }

  private static long utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }
}
