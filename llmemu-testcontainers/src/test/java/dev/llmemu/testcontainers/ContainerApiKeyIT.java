package dev.llmemu.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.engine.server.RecordedRequest;
import dev.llmemu.junit.EmulatedVllm;
import dev.llmemu.junit.Mode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A container started with {@code --api-key}: the launcher's handle sends the key on its own calls
 * (reset before each test, recorded requests), while clients without it get 401.
 */
@EmulatedVllm(
    mode = Mode.CONTAINER,
    args = {"--api-key", "s3cret"})
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ContainerApiKeyIT {
  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> post(EmulatedVllmServer vllm, String key) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(vllm.url("/v1/completions")))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"hi\",\"max_tokens\":2}"));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theHandleUsesTheKeyAndClientsWithoutItAreRefused(EmulatedVllmServer vllm) throws Exception {
    assertThat(post(vllm, null).statusCode()).isEqualTo(401);
    assertThat(post(vllm, "s3cret").statusCode()).isEqualTo(200);

    RecordedRequest refused = vllm.takeRequest(Duration.ofSeconds(10));
    RecordedRequest accepted = vllm.takeRequest(Duration.ofSeconds(10));
    assertThat(refused).isNotNull();
    assertThat(refused.status()).isEqualTo(401);
    assertThat(accepted).isNotNull();
    assertThat(accepted.status()).isEqualTo(200);
    assertThat(vllm.metrics().generationTokens()).isEqualTo(2);
  }

  @Test
  void eachTestStartsWithAnEmptyRequestLog(EmulatedVllmServer vllm) throws Exception {
    assertThat(vllm.requestCount()).isZero();
    vllm.setTimeScale(0.5);
  }
}
