package dev.llmemu.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Ports;
import java.net.InetAddress;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/** {@link LlmemuContainer} against the image this build made: the API, metrics and flags. */
@Testcontainers
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class LlmemuContainerIT {
  private static final String KEY = "sk-test";

  // tag::container[]
  @Container
  static final LlmemuContainer vllm =
      new LlmemuContainer(LlmemuContainer.bundledImage())
          .withProfile("a100-llama-3.1-8b")
          .withServedModelName("chat-model", "alias-model")
          .withMaxNumSeqs(16)
          .withMaxModelLen(8192)
          .withSeed(7)
          .withTimeScale(0.2)
          .withApiKey("sk-test");

  // end::container[]

  @Test
  void streamsAChatCompletion() {
    List<String> events =
        Http.streamEvents(
            vllm.getOpenAiBaseUrl() + "/chat/completions",
            "{\"model\":\"chat-model\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                + "\"max_tokens\":16,\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
            "Authorization",
            "Bearer " + KEY);

    assertThat(events).hasSizeGreaterThan(2).last().isEqualTo("[DONE]");
    JsonNode first = Http.json(events.get(0));
    assertThat(first.path("object").asText()).isEqualTo("chat.completion.chunk");
    assertThat(first.path("model").asText()).isEqualTo("chat-model");
    assertThat(first.at("/choices/0/delta/role").asText()).isEqualTo("assistant");
    JsonNode usage = Http.json(events.get(events.size() - 2)).path("usage");
    assertThat(usage.path("completion_tokens").asInt()).isEqualTo(16);
    assertThat(usage.path("prompt_tokens").asInt()).isPositive();
  }

  @Test
  void refusesRequestsWithoutTheApiKey() {
    HttpResponse<String> response =
        Http.postJson(
            vllm.getOpenAiBaseUrl() + "/completions",
            "{\"model\":\"chat-model\",\"prompt\":\"Hi\",\"max_tokens\":1}");

    assertThat(response.statusCode()).isEqualTo(401);
  }

  @Test
  void servesVllmMetrics() {
    HttpResponse<String> done =
        Http.postJson(
            vllm.getOpenAiBaseUrl() + "/completions",
            "{\"model\":\"alias-model\",\"prompt\":\"Count\",\"max_tokens\":4}",
            "Authorization",
            "Bearer " + KEY);
    assertThat(done.statusCode()).isEqualTo(200);

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              HttpResponse<String> metrics = Http.get(vllm.getBaseUrl() + "/metrics");
              assertThat(metrics.statusCode()).isEqualTo(200);
              assertThat(metrics.headers().firstValue("Content-Type"))
                  .hasValue("text/plain; version=0.0.4; charset=utf-8");
              assertThat(metrics.body())
                  .contains(
                      "vllm:num_requests_running{engine=\"0\",model_name=\"chat-model\"} 0",
                      "# TYPE vllm:time_to_first_token_seconds histogram",
                      "vllm:cache_config_info{block_size=\"16\"")
                  .containsPattern(
                      "vllm:generation_tokens_total\\{engine=\"0\",model_name=\"chat-model\"\\}"
                          + " [1-9]");
            });
  }

  @Test
  void servesWhatTheFlagsSay() {
    JsonNode models =
        Http.json(
            Http.get(vllm.getOpenAiBaseUrl() + "/models", "Authorization", "Bearer " + KEY).body());

    assertThat(
            StreamSupport.stream(models.path("data").spliterator(), false)
                .map(m -> m.path("id").asText())
                .toList())
        .containsExactly("chat-model", "alias-model");
    assertThat(models.at("/data/0/max_model_len").asInt()).isEqualTo(8192);
    assertThat(vllm.getOutput())
        .contains("profile a100-llama-3.1-8b (meta-llama/Llama-3.1-8B on NVIDIA A100")
        .contains("max_num_seqs=16 ")
        .contains("max_model_len=8192 ")
        .contains("time_scale=0.2");
    assertThat(vllm.getServeArgs())
        .containsExactly(
            "--profile",
            "a100-llama-3.1-8b",
            "--served-model-name",
            "chat-model",
            "alias-model",
            "--max-num-seqs",
            "16",
            "--max-model-len",
            "8192",
            "--seed",
            "7",
            "--time-scale",
            "0.2",
            "--api-key",
            KEY);
  }

  @Test
  void runsAsNonRootPublishedOnLoopbackWithoutDockerHealthProbes() throws Exception {
    InspectContainerResponse info = vllm.getContainerInfo();

    assertThat(info.getConfig().getUser()).isEqualTo("10001:10001");
    assertThat(info.getConfig().getLabels())
        .containsEntry("org.opencontainers.image.version", TestImages.version());
    assertThat(info.getConfig().getHealthcheck().getTest()).containsExactly("NONE");
    Ports.Binding[] bindings =
        info.getHostConfig().getPortBindings().getBindings().get(ExposedPort.tcp(8000));
    if (InetAddress.getByName(vllm.getHost()).isLoopbackAddress()) {
      assertThat(bindings).extracting(Ports.Binding::getHostIp).containsExactly("127.0.0.1");
    }
    assertThat(vllm.getBaseUrl()).isEqualTo("http://" + vllm.getHost() + ":" + vllm.getPort());
    assertThat(vllm.getOpenAiBaseUrl()).isEqualTo(vllm.getBaseUrl() + "/v1");
  }
}
