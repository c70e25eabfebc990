package dev.llmemu.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.engine.server.RecordedRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a test written against {@code @EmulatedVllm} may rely on, wherever the server runs: the body
 * uses only the injected {@link EmulatedVllmServer}. {@link InProcessContractTest} runs it in this
 * JVM and {@link ContainerContractIT} against the llmemu image, unchanged; both declare {@link
 * #PROFILE}, {@link #MODEL} and these serve flags.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
abstract class EmulatedVllmContract {
  static final String PROFILE = "h100-llama-2-7b";
  static final String MODEL = "contract-model";

  @Test
  void streamsAChatCompletion(EmulatedVllmServer vllm) {
    List<String> events =
        Http.streamEvents(
            vllm.url("/v1/chat/completions"),
            "{\"model\":\""
                + vllm.servedModelName()
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story\"}],"
                + "\"max_tokens\":12,\"stream\":true,\"stream_options\":{\"include_usage\":true}}");

    assertThat(events).last().isEqualTo("[DONE]");
    List<JsonNode> chunks = events.subList(0, events.size() - 1).stream().map(Http::json).toList();
    assertThat(chunks).allSatisfy(c -> assertThat(c.path("model").asText()).isEqualTo(MODEL));
    assertThat(chunks.get(0).at("/choices/0/delta/role").asText()).isEqualTo("assistant");
    StringBuilder text = new StringBuilder();
    chunks.forEach(c -> text.append(c.at("/choices/0/delta/content").asText("")));
    assertThat(text.toString()).isNotBlank();
    JsonNode usage = chunks.get(chunks.size() - 1).path("usage");
    assertThat(usage.path("completion_tokens").asInt()).isEqualTo(12);
    assertThat(chunks)
        .filteredOn(c -> c.at("/choices/0/finish_reason").isTextual())
        .singleElement()
        .satisfies(c -> assertThat(c.at("/choices/0/finish_reason").asText()).isEqualTo("length"));
  }

  @Test
  void recordsTheRequestsItReceived(EmulatedVllmServer vllm) throws InterruptedException {
    HttpResponse<String> response =
        Http.postJson(
            vllm.url("/v1/chat/completions"),
            "{\"model\":\""
                + MODEL
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello from the contract\"}],"
                + "\"max_tokens\":5}",
            "X-Test",
            "contract");
    assertThat(response.statusCode()).isEqualTo(200);

    RecordedRequest request = vllm.takeRequest(Duration.ofSeconds(10));

    assertThat(request).isNotNull();
    assertThat(request.method()).isEqualTo("POST");
    assertThat(request.path()).isEqualTo("/v1/chat/completions");
    assertThat(request.header("X-Test")).isEqualTo("contract");
    assertThat(request.model()).isEqualTo(MODEL);
    assertThat(request.maxTokens()).isEqualTo(5);
    assertThat(request.bodyAsString()).contains("Hello from the contract");
    assertThat(request.status()).isEqualTo(200);
    assertThat(vllm.requestCount()).isEqualTo(1);
  }

  @Test
  void countsGeneratedTokensInItsMetrics(EmulatedVllmServer vllm) {
    long before = vllm.metrics().generationTokens();
    long finishedBefore = vllm.metrics().requestsFinished();

    HttpResponse<String> response =
        Http.postJson(
            vllm.url("/v1/completions"),
            "{\"model\":\"" + MODEL + "\",\"prompt\":\"Count with me\",\"max_tokens\":6}");
    assertThat(response.statusCode()).isEqualTo(200);

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(vllm.metrics().generationTokens() - before).isEqualTo(6);
              assertThat(vllm.metrics().requestsFinished() - finishedBefore).isEqualTo(1);
            });
    assertThat(vllm.metricsText())
        .contains("vllm:generation_tokens_total{engine=\"0\",model_name=\"" + MODEL + "\"}");
  }

  @Test
  void servesTheConfiguredModelAndProfile(EmulatedVllmServer vllm) {
    assertThat(vllm.servedModelNames()).containsExactly(MODEL);
    JsonNode models = Http.getJson(vllm.url("/v1/models"));
    assertThat(models.at("/data/0/id").asText()).isEqualTo(MODEL);
    assertThat(models.at("/data/0/max_model_len").asInt()).isEqualTo(4096); // h100-llama-2-7b
    assertThat(vllm.metricsText()).contains("vllm:cache_config_info{block_size=\"16\"");
  }

  @Test
  void startsEveryTestWithAnEmptyRequestLog(EmulatedVllmServer vllm) throws InterruptedException {
    assertThat(vllm.requestCount()).isZero();
    assertThat(vllm.takeRequest(Duration.ofMillis(200))).isNull();
  }
}
