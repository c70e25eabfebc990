package dev.llmemu.junit.load;

import static dev.llmemu.junit.assertj.LlmemuAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.engine.server.RecordedRequest;
import dev.llmemu.engine.workload.ArrivalProcess;
import dev.llmemu.engine.workload.LengthDistribution;
import dev.llmemu.engine.workload.LengthPair;
import dev.llmemu.engine.workload.ShareGptLengths;
import dev.llmemu.junit.EmulatedVllm;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The load driver against a real (in-process) llmemu server, time-scaled to stay quick. */
@EmulatedVllm(
    profile = "h100-llama-3.1-8b",
    args = {"--time-scale", "0.1", "--max-num-seqs", "1024"})
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LoadTestTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path reports;

  private LoadTest load(EmulatedVllmServer vllm) {
    return LoadTest.against(vllm).reportDirectory(reports).metricsInterval(Duration.ZERO);
  }

  private static List<RecordedRequest> generationRequests(EmulatedVllmServer vllm)
      throws InterruptedException {
    List<RecordedRequest> out = new ArrayList<>();
    for (RecordedRequest r = vllm.takeRequest(Duration.ZERO);
        r != null;
        r = vllm.takeRequest(Duration.ZERO)) {
      if (r.path().startsWith("/v1/") && r.method().equals("POST")) {
        out.add(r);
      }
    }
    return out;
  }

  @Test
  @DisplayName("completions: every request measured as vllm bench does, with the engine's view")
  void completionsAreMeasuredAsVllmBenchDoes(EmulatedVllmServer vllm) throws Exception {
    BenchmarkResult result =
        load(vllm)
            .openLoop(ArrivalProcess.constant(100))
            .requests(20)
            .promptLength(LengthDistribution.fixed(40))
            .outputLength(LengthDistribution.fixed(16))
            .run();

    assertThat(result).hasNoErrors().hasCompleted(20);
    assertThat(result.requests())
        .allSatisfy(
            r -> {
              assertThat(r.outputTokens()).isEqualTo(16);
              // one event per token, unless the server coalesced tokens that were ready together
              // (as vLLM does when its API server falls behind the engine): at most 15 gaps
              assertThat(r.interTokenLatencyCount()).isBetween(0, 15);
              long gaps = 0;
              for (long g : r.interTokenLatenciesNanos()) {
                gaps += g;
              }
              assertThat(r.e2eLatency()).isEqualTo(r.ttft().plusNanos(gaps));
              assertThat(r.tpot()).isEqualTo(r.e2eLatency().minus(r.ttft()).dividedBy(15));
              // the prompt the driver built is exactly as long as it says, to the server too
              assertThat(r.server()).isNotNull();
              assertThat(r.server().promptTokens()).isEqualTo(40);
              assertThat(r.promptTokens()).isEqualTo(40);
            });
    assertThat(result.totalInputTokens()).isEqualTo(800);
    assertThat(result.itl().count()).isBetween(1, 300);
    assertThat(result.hasServerTimings()).isTrue();

    List<RecordedRequest> sent = generationRequests(vllm);
    assertThat(sent).hasSize(20);
    JsonNode body = JSON.readTree(sent.get(0).bodyAsString());
    assertThat(sent.get(0).path()).isEqualTo("/v1/completions");
    assertThat(body.path("max_tokens").asInt()).isEqualTo(16);
    assertThat(body.path("stream").asBoolean()).isTrue();
    assertThat(body.path("stream_options").path("include_usage").asBoolean()).isTrue();
    assertThat(body.path("ignore_eos").asBoolean()).isTrue();
    assertThat(body.path("model").asText()).isEqualTo(vllm.servedModelName());
  }

  @Test
  @DisplayName("chat: the role event is the first token, usage comes from the usage event")
  void chatCompletions(EmulatedVllmServer vllm) throws Exception {
    BenchmarkResult result =
        load(vllm)
            .endpoint(Endpoint.CHAT)
            .requests(5)
            .outputLength(LengthDistribution.fixed(8))
            .ignoreEos(false)
            .run();

    assertThat(result).hasNoErrors();
    assertThat(result.requests()).allSatisfy(r -> assertThat(r.outputTokens()).isEqualTo(8));
    // the role event counts as the first token, so there is at least one gap after it
    assertThat(result.requests())
        .allSatisfy(r -> assertThat(r.interTokenLatencyCount()).isBetween(1, 9));
    JsonNode body = JSON.readTree(generationRequests(vllm).get(0).bodyAsString());
    assertThat(body.path("max_completion_tokens").asInt()).isEqualTo(8);
    assertThat(body.path("messages").get(0).path("role").asText()).isEqualTo("user");
    assertThat(body.has("ignore_eos")).isFalse();
  }

  @Test
  @DisplayName("closed loop keeps exactly N requests in flight")
  void closedLoop(EmulatedVllmServer vllm) {
    BenchmarkResult result =
        load(vllm).closedLoop(4).requests(24).outputLength(LengthDistribution.fixed(32)).run();

    assertThat(result).hasCompleted(24);
    assertThat(result.maxConcurrentRequests()).isEqualTo(4);
    assertThat(result.toVllmBenchJson()).containsEntry("max_concurrency", 4);
  }

  @Test
  @DisplayName("open loop with maxConcurrency never has more in flight")
  void maxConcurrency(EmulatedVllmServer vllm) {
    BenchmarkResult result =
        load(vllm).maxConcurrency(3).requests(12).outputLength(LengthDistribution.fixed(32)).run();

    assertThat(result).hasCompleted(12);
    assertThat(result.maxConcurrentRequests()).isEqualTo(3);
  }

  @Test
  @DisplayName("a duration bound stops sending; requests in flight finish")
  void durationBound(EmulatedVllmServer vllm) {
    BenchmarkResult result =
        load(vllm)
            .openLoop(ArrivalProcess.constant(20))
            .requests(10_000)
            .duration(Duration.ofMillis(500))
            .outputLength(LengthDistribution.fixed(4))
            .run();

    // sent at 0, 50, ..., 500 ms
    assertThat(result.requests()).hasSizeBetween(9, 11);
    assertThat(result).hasNoErrors();
    assertThat(result.duration()).isLessThan(Duration.ofSeconds(5));

    BenchmarkResult closed =
        load(vllm)
            .closedLoop(2)
            .requests(10_000)
            .duration(Duration.ofMillis(300))
            .outputLength(LengthDistribution.fixed(4))
            .run();
    assertThat(closed.requests()).hasSizeBetween(2, 9_999);
    assertThat(closed).hasNoErrors();
  }

  @Test
  @DisplayName("warm-up requests are sent first and left out of the result")
  void warmup(EmulatedVllmServer vllm) throws Exception {
    BenchmarkResult result =
        load(vllm).warmup(5).requests(10).outputLength(LengthDistribution.fixed(4)).run();

    assertThat(result.requests()).hasSize(10);
    assertThat(result.requests()).extracting(RequestRecord::index).startsWith(0).endsWith(9);
    assertThat(generationRequests(vllm)).hasSize(15);
  }

  @Test
  @DisplayName("ShareGPT-like lengths come in pairs; a user's pairs are used in order")
  void lengths(EmulatedVllmServer vllm) {
    BenchmarkResult sharegpt =
        load(vllm).lengths(ShareGptLengths.pairs()).requests(6).seed(3).run();
    assertThat(sharegpt).hasNoErrors();
    assertThat(sharegpt.requests())
        .allSatisfy(
            r -> {
              assertThat(r.promptTokens()).isBetween(4, 1024);
              assertThat(r.server().promptTokens()).isEqualTo(r.promptTokens());
              assertThat(r.outputTokens()).isGreaterThanOrEqualTo(4);
              assertThat(r.promptTokens() + r.outputTokens()).isLessThanOrEqualTo(2048);
            });
    // the same seed gives the same shapes
    BenchmarkResult again = load(vllm).lengths(ShareGptLengths.pairs()).requests(6).seed(3).run();
    assertThat(again.requests())
        .extracting(RequestRecord::promptTokens)
        .isEqualTo(sharegpt.requests().stream().map(RequestRecord::promptTokens).toList());

    BenchmarkResult mine =
        load(vllm)
            .closedLoop(1)
            .lengths(List.of(LengthPair.of(10, 3), LengthPair.of(20, 5)))
            .requests(4)
            .run();
    assertThat(mine.requests())
        .extracting(RequestRecord::promptTokens)
        .containsExactly(10, 20, 10, 20);
    assertThat(mine.requests()).extracting(RequestRecord::outputTokens).containsExactly(3, 5, 3, 5);
  }

  @Test
  @DisplayName("your own prompts are sent as they are, counted by the server")
  void ownPrompts(EmulatedVllmServer vllm) {
    BenchmarkResult result =
        load(vllm)
            .closedLoop(1)
            .prompts(List.of("Hello there", "What is the capital of France?"))
            .outputLength(LengthDistribution.fixed(3))
            .requests(2)
            .run();

    assertThat(result).hasNoErrors();
    assertThat(result.requests())
        .allSatisfy(r -> assertThat(r.promptTokens()).isEqualTo(r.server().promptTokens()));
    assertThat(result.requests().get(1).promptTokens())
        .isGreaterThan(result.requests().get(0).promptTokens());
  }

  @Test
  @DisplayName("failures are told apart: HTTP status, error event, dropped connection")
  void failuresByKind(EmulatedVllmServer vllm) {
    BenchmarkResult result =
        load(vllm)
            .closedLoop(4)
            .requests(8)
            .outputLength(LengthDistribution.fixed(8))
            .requestHeaders(
                i ->
                    switch (i % 4) {
                      case 0 -> Map.of("X-Llmemu-Error-Status", "503");
                      case 1 -> Map.of("X-Llmemu-Fail-After-Tokens", "2");
                      case 2 -> Map.of("X-Llmemu-Drop-After-Tokens", "2");
                      default -> Map.of();
                    })
            .run();

    assertThat(result.completed()).isEqualTo(2);
    assertThat(result.errorCounts())
        .containsExactly(
            Map.entry(RequestError.Kind.HTTP_STATUS, 2),
            Map.entry(RequestError.Kind.STREAM_ERROR, 2),
            Map.entry(RequestError.Kind.CONNECTION, 2));
    assertThat(result).hasErrors(RequestError.Kind.HTTP_STATUS, 2).errorRate().isEqualTo(0.75);
    assertThat(result.requests().get(0).status()).isEqualTo(503);
    // failed requests are in no latency statistic, as in vllm bench
    assertThat(result.ttft().count()).isEqualTo(2);
    @SuppressWarnings("unchecked")
    List<Double> ttfts = (List<Double>) result.toVllmBenchJson().get("ttfts");
    assertThat(ttfts).hasSize(8).filteredOn(t -> t == 0.0).hasSize(6);
  }

  @Test
  @DisplayName("a request slower than the time-out fails as TIMEOUT")
  void timeout(EmulatedVllmServer vllm) {
    vllm.setTimeScale(1.0);
    BenchmarkResult result =
        load(vllm)
            .requests(2)
            .outputLength(LengthDistribution.fixed(4000))
            .requestTimeout(Duration.ofMillis(300))
            .run();

    assertThat(result.errorCounts()).containsExactly(Map.entry(RequestError.Kind.TIMEOUT, 2));
  }

  @Test
  @DisplayName("1,000 concurrent streams")
  void thousandConcurrentStreams(EmulatedVllmServer vllm) {
    vllm.setTimeScale(1.0); // real GPU speed: 1,000 streams decode together for seconds
    BenchmarkResult result =
        load(vllm)
            .requests(1000)
            .promptLength(LengthDistribution.fixed(16))
            .outputLength(LengthDistribution.fixed(96))
            .run();

    assertThat(result).hasNoErrors().hasCompleted(1000);
    assertThat(result.maxConcurrentRequests()).isGreaterThanOrEqualTo(900);
  }

  @Test
  @DisplayName("an API key is sent; without it the server's 401 is a clear error")
  void apiKey() {
    try (EmulatedVllmServer secured =
        EmulatedVllmServer.builder().apiKey("s3cret").timeScale(0.1).start()) {
      BenchmarkResult ok =
          load(secured)
              .apiKey("s3cret")
              .requests(2)
              .outputLength(LengthDistribution.fixed(2))
              .run();
      assertThat(ok).hasNoErrors();
      assertThat(ok.hasServerTimings()).isTrue();

      assertThatThrownBy(() -> load(secured).requests(1).run())
          .isInstanceOf(IllegalStateException.class)
          .hasMessage(
              "GET "
                  + secured.baseUrl()
                  + "/v1/models answered 401; set the model with LoadTest.model(...) and the key"
                  + " with apiKey(...)");
    }
  }

  @Test
  @DisplayName("the server's queue and KV usage are sampled from /metrics during the run")
  void metricsTimeline(EmulatedVllmServer vllm) {
    BenchmarkResult result =
        LoadTest.against(vllm)
            .reportDirectory(reports)
            .metricsInterval(Duration.ofMillis(20))
            .requests(50)
            .outputLength(LengthDistribution.fixed(64))
            .run();

    assertThat(result.metricsTimeline()).isNotEmpty();
    assertThat(result.peakRunningRequests()).isGreaterThan(0);
    assertThat(result.peakKvCacheUsage()).isGreaterThan(0);
    assertThat(result.toVllmBenchJson()).containsKey("llmemu_metrics_timeline");
  }

  @Test
  @DisplayName("through a service in front of llmemu, the engine's view comes from upstream(...)")
  void upstream(EmulatedVllmServer vllm) throws IOException {
    HttpServer service = forwardingService(vllm);
    try {
      String serviceUrl = "http://127.0.0.1:" + service.getAddress().getPort();
      LoadTest load =
          LoadTest.against(serviceUrl)
              .reportDirectory(reports)
              .endpoint(Endpoint.CHAT)
              .model(vllm.servedModelName())
              .requests(6)
              .outputLength(LengthDistribution.fixed(4));

      BenchmarkResult alone = load.metricsInterval(Duration.ZERO).run();
      BenchmarkResult observed =
          load.upstream(vllm.openAiBaseUrl()).metricsInterval(Duration.ofMillis(10)).run();

      assertThat(alone).hasNoErrors();
      assertThat(alone.hasServerTimings()).isFalse(); // the service has no /llmemu/requests
      assertThat(observed).hasNoErrors();
      assertThat(observed.requests()).allSatisfy(r -> assertThat(r.server()).isNotNull());
      assertThat(observed.metricsTimeline()).isNotEmpty();
      assertThat(observed.description())
          .contains("at " + serviceUrl + " (in front of " + vllm.baseUrl() + ")");
      assertThat(observed.toVllmBenchJson())
          .containsEntry("llmemu_base_url", serviceUrl)
          .containsEntry("llmemu_upstream", vllm.baseUrl());
    } finally {
      service.stop(0);
    }
  }

  /** A service that passes chat requests on to {@code vllm}, X-Request-Id included, and streams. */
  private static HttpServer forwardingService(EmulatedVllmServer vllm) throws IOException {
    HttpClient http = HttpClient.newHttpClient();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext(
        "/v1/chat/completions",
        exchange -> {
          try (exchange) {
            HttpRequest request =
                HttpRequest.newBuilder(URI.create(vllm.url("/v1/chat/completions")))
                    .header("Content-Type", "application/json")
                    .header("X-Request-Id", exchange.getRequestHeaders().getFirst("X-Request-Id"))
                    .POST(
                        HttpRequest.BodyPublishers.ofByteArray(
                            exchange.getRequestBody().readAllBytes()))
                    .build();
            HttpResponse<InputStream> response =
                http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(response.statusCode(), 0);
            try (InputStream in = response.body()) {
              byte[] buffer = new byte[8192];
              for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                exchange.getResponseBody().write(buffer, 0, n);
                exchange.getResponseBody().flush();
              }
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    server.start();
    return server;
  }

  @Test
  @DisplayName("the result file names the load as vllm bench does")
  void vllmBenchMetadata(EmulatedVllmServer vllm) {
    Map<String, Object> poisson =
        load(vllm).openLoop(ArrivalProcess.poisson(50)).requests(2).run().toVllmBenchJson();
    Map<String, Object> gamma =
        load(vllm).openLoop(ArrivalProcess.gamma(50, 0.5)).requests(2).run().toVllmBenchJson();
    Map<String, Object> closed = load(vllm).closedLoop(2).requests(2).run().toVllmBenchJson();
    Map<String, Object> ramp =
        load(vllm).openLoop(ArrivalProcess.linearRamp(10, 100)).requests(2).run().toVllmBenchJson();

    assertThat(poisson)
        .containsEntry("backend", "openai")
        .containsEntry("endpoint_type", "openai")
        .containsEntry("model_id", vllm.servedModelName())
        .containsEntry("num_prompts", 2)
        .containsEntry("request_rate", 50.0)
        .containsEntry("burstiness", 1.0)
        .containsEntry("max_concurrency", null)
        .containsEntry("completed", 2);
    assertThat(gamma).containsEntry("request_rate", 50.0).containsEntry("burstiness", 0.5);
    assertThat(closed).containsEntry("request_rate", "inf").containsEntry("max_concurrency", 2);
    assertThat(ramp).containsEntry("request_rate", null);
  }
}
