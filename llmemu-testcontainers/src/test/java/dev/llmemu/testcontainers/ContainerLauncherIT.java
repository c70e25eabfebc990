package dev.llmemu.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.engine.server.RecordedRequest;
import dev.llmemu.junit.EmulatedVllm;
import dev.llmemu.junit.Mode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code @EmulatedVllm(mode = CONTAINER)} with two replicas and a profile file from this machine,
 * which the launcher copies into each container.
 */
@EmulatedVllm(
    mode = Mode.CONTAINER,
    replicas = 2,
    profile = "src/test/resources/profiles/tiny-test-gpu.json",
    model = "launched",
    seed = 5)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ContainerLauncherIT {

  @Test
  void startsEachReplicaInItsOwnContainerWithTheMountedProfile(List<EmulatedVllmServer> replicas)
      throws InterruptedException {
    assertThat(replicas).hasSize(2);
    assertThat(replicas.get(0).port()).isNotEqualTo(replicas.get(1).port());

    for (EmulatedVllmServer replica : replicas) {
      assertThat(replica.servedModelNames()).containsExactly("launched");
      JsonNode models = Http.getJson(replica.url("/v1/models"));
      assertThat(models.at("/data/0/max_model_len").asInt()).isEqualTo(2048); // tiny-test-gpu

      HttpResponse<String> response =
          Http.postJson(
              replica.url("/v1/completions"),
              "{\"model\":\"launched\",\"prompt\":\"Which replica?\",\"max_tokens\":3}");
      assertThat(response.statusCode()).isEqualTo(200);
    }
    for (EmulatedVllmServer replica : replicas) {
      RecordedRequest first = replica.takeRequest(Duration.ofSeconds(10));
      RecordedRequest second = replica.takeRequest(Duration.ofSeconds(10));
      assertThat(first).isNotNull();
      assertThat(first.path()).isEqualTo("/v1/models");
      assertThat(second).isNotNull();
      assertThat(second.bodyAsString()).contains("Which replica?");
      assertThat(replica.requestCount()).isEqualTo(2);
    }
  }

  @Test
  void theFirstReplicaIsInjectedAlone(EmulatedVllmServer first, List<EmulatedVllmServer> all) {
    assertThat(first.baseUrl()).isEqualTo(all.get(0).baseUrl());
    assertThat(first.toString()).contains("remote=");
  }
}
