package dev.llmemu.examples.router;

import static dev.llmemu.junit.assertj.LlmemuAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.engine.server.RecordedRequest;
import dev.llmemu.engine.workload.ArrivalProcess;
import dev.llmemu.engine.workload.LengthDistribution;
import dev.llmemu.junit.EmulatedVllm;
import dev.llmemu.junit.load.BenchmarkResult;
import dev.llmemu.junit.load.LoadTest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The proxy itself: streaming, headers, errors, and the endpoints a load test reads. */
@EmulatedVllm(
    profile = "h100-llama-3.1-8b",
    replicas = 2,
    args = {"--time-scale", "0.1"})
@Timeout(60)
class RouterProxyTest {
  private final HttpClient http = HttpClient.newHttpClient();

  static List<String> urls(List<EmulatedVllmServer> replicas) {
    return replicas.stream().map(EmulatedVllmServer::baseUrl).toList();
  }

  private HttpResponse<String> post(String url, String body, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder rb =
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      rb.header(headers[i], headers[i + 1]);
    }
    return http.send(rb.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void streamsEachCompletionFromTheBackendTheRouterPicks(List<EmulatedVllmServer> replicas)
      throws Exception {
    try (RouterProxy proxy = RouterProxy.start(new RoundRobinRouter(), urls(replicas))) {
      String body =
          "{\"prompt\":\"Hello there\",\"max_tokens\":5,\"stream\":true,"
              + "\"stream_options\":{\"include_usage\":true},\"ignore_eos\":true}";
      for (int i = 0; i < 4; i++) {
        HttpResponse<String> r =
            post(proxy.baseUrl() + "/v1/completions", body, "X-Request-Id", "req-" + i);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type"))
            .hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
        assertThat(r.headers().firstValue(RouterProxy.BACKEND_HEADER)).hasValue("" + i % 2);
        assertThat(r.body()).contains("\"completion_tokens\":5").endsWith("data: [DONE]\n\n");
        // Output events (one per token, or fewer carrying several when the server's front end
        // falls behind, as vLLM's does), then usage and [DONE], each flushed as it came.
        assertThat(r.body().split("\n\n")).hasSizeBetween(1 + 2, 5 + 2);

        RecordedRequest seen = replicas.get(i % 2).takeRequest(Duration.ofSeconds(5));
        assertThat(seen.path()).isEqualTo("/v1/completions");
        assertThat(seen.header("X-Request-Id")).isEqualTo("req-" + i);
        assertThat(seen.maxTokens()).isEqualTo(5);
      }
      assertThat(proxy.dispatchedPerBackend()).containsExactly(2L, 2L);
      assertThat(proxy.backends()).allSatisfy(b -> assertThat(b.outstanding()).isZero());
    }
  }

  @Test
  void countsTheTokensOfEachRequestAsTheyStreamThrough(List<EmulatedVllmServer> replicas)
      throws Exception {
    replicas.forEach(r -> r.setTimeScale(1.0)); // 300 tokens take about two seconds
    try (RouterProxy proxy = RouterProxy.start(new RoundRobinRouter(), urls(replicas))) {
      String body = "{\"prompt\":\"Hi\",\"max_tokens\":300,\"ignore_eos\":true,\"stream\":true}";
      HttpResponse<InputStream> r =
          http.send(
              HttpRequest.newBuilder(URI.create(proxy.baseUrl() + "/v1/completions"))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofInputStream());
      assertThat(r.statusCode()).isEqualTo(200);
      try (InputStream stream = r.body()) {
        Backend backend = proxy.backends().get(0);
        // the request's count while it streams; -1 once it is no longer in flight
        int tokens =
            await("ten tokens streamed")
                .atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(5))
                .until(
                    () ->
                        backend.inFlight().stream()
                            .mapToInt(Backend.InFlight::tokens)
                            .findFirst()
                            .orElse(-1),
                    t -> t >= 10 || t < 0);
        assertThat(tokens).isBetween(10, 300);
        stream.transferTo(OutputStream.nullOutputStream());
      }
      assertThat(proxy.backends().get(0).outstanding()).isZero();
    }
  }

  @Test
  void countsPromptTokensAsTheServerDoesAndReadsMaxTokens(List<EmulatedVllmServer> replicas) {
    try (RouterProxy proxy = RouterProxy.start(new RoundRobinRouter(), urls(replicas))) {
      byte[] completion =
          "{\"prompt\":\"The quick brown fox jumps over the lazy dog\",\"max_tokens\":7}"
              .getBytes(StandardCharsets.UTF_8);
      assertThat(proxy.describe("/v1/completions", completion)).isEqualTo(new RoutedRequest(9, 7));
      byte[] defaults = "{\"prompt\":[1,2,3]}".getBytes(StandardCharsets.UTF_8);
      assertThat(proxy.describe("/v1/completions", defaults)).isEqualTo(new RoutedRequest(3, 16));
      byte[] chat =
          "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_completion_tokens\":9}"
              .getBytes(StandardCharsets.UTF_8);
      assertThat(proxy.describe("/v1/chat/completions", chat)).isEqualTo(new RoutedRequest(5, 9));
      byte[] open = "{\"messages\":[]}".getBytes(StandardCharsets.UTF_8);
      assertThat(proxy.describe("/v1/chat/completions", open)).isEqualTo(new RoutedRequest(0, -1));
      assertThat(proxy.describe("/v1/completions", "not json".getBytes(StandardCharsets.UTF_8)))
          .isEqualTo(new RoutedRequest(0, -1));
    }
  }

  @Test
  void passesErrorsThroughAndAnswers502ForADeadBackend(List<EmulatedVllmServer> replicas)
      throws Exception {
    String body = "{\"prompt\":\"Hi\",\"max_tokens\":3}";
    try (RouterProxy proxy = RouterProxy.start(new RoundRobinRouter(), urls(replicas))) {
      HttpResponse<String> r =
          post(proxy.baseUrl() + "/v1/completions", body, "X-Llmemu-Error-Status", "503");
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.body()).contains("\"error\"");
    }
    // Nothing listens on port 9 (discard) on loopback here.
    try (RouterProxy proxy =
        RouterProxy.start(new RoundRobinRouter(), List.of("http://127.0.0.1:9"))) {
      HttpResponse<String> r = post(proxy.baseUrl() + "/v1/completions", body);
      assertThat(r.statusCode()).isEqualTo(502);
      assertThat(r.body()).contains("\"code\":502").contains("did not answer");
      assertThat(proxy.backends().get(0).outstanding()).isZero();
    }
  }

  @Test
  void aLoadTestThroughTheRouterSeesEveryBackend(List<EmulatedVllmServer> replicas) {
    try (RouterProxy proxy = RouterProxy.start(new LeastOutstandingRouter(), urls(replicas))) {
      BenchmarkResult result =
          LoadTest.against(proxy.baseUrl())
              .openLoop(ArrivalProcess.poisson(40))
              .requests(40)
              .promptLength(LengthDistribution.uniform(50, 150))
              .outputLength(LengthDistribution.uniform(20, 60))
              .metricsInterval(Duration.ofMillis(50))
              .label("through-router")
              .run();

      assertThat(result).hasNoErrors().hasCompleted(40);
      // /llmemu/requests is merged over the backends: the engine's timing of every request.
      assertThat(result.requests()).allSatisfy(r -> assertThat(r.server()).isNotNull());
      // /metrics is summed over the backends.
      assertThat(result.metricsTimeline()).isNotEmpty();
      assertThat(proxy.dispatchedPerBackend()).allSatisfy(n -> assertThat(n).isGreaterThan(5L));
    }
  }

  @Test
  void forwardsOtherPathsToTheFirstBackend(List<EmulatedVllmServer> replicas) throws Exception {
    try (RouterProxy proxy = RouterProxy.start(new RoundRobinRouter(), urls(replicas))) {
      HttpResponse<String> models =
          http.send(
              HttpRequest.newBuilder(URI.create(proxy.baseUrl() + "/v1/models")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(models.statusCode()).isEqualTo(200);
      assertThat(models.body()).contains("meta-llama/Llama-3.1-8B");
      HttpResponse<String> metrics =
          http.send(
              HttpRequest.newBuilder(URI.create(proxy.baseUrl() + "/metrics")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.body())
          .contains("vllm:num_requests_running{backend=\"all\"} 0.0")
          .contains("vllm:num_requests_waiting{backend=\"1\"} 0.0")
          .contains("router_requests_total{backend=\"0\"} 0");
    }
  }
}
