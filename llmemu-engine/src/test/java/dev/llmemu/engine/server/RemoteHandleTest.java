package dev.llmemu.engine.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmemu.engine.cli.HealthCheck;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A remote handle on a running server behaves as the in-process one: recorded requests, counts,
 * metrics, reset and reconfiguration over llmemu's {@code /llmemu/...} endpoints.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RemoteHandleTest {
  private EmulatedVllmServer local;
  private EmulatedVllmServer remote;

  @BeforeEach
  void start() {
    local = TestServers.fast().servedModelName("m1", "m2").start();
    remote = EmulatedVllmServer.remote(local.baseUrl());
  }

  @AfterEach
  void stop() {
    remote.close();
    local.close();
  }

  private static String completion(String requestId) {
    return "{\"model\":\"m1\",\"prompt\":\"hello there\",\"max_tokens\":3,\"ignore_eos\":true,"
        + "\"request_id\":\""
        + requestId
        + "\"}";
  }

  @Test
  void seesWhatTheServerSees() throws Exception {
    assertThat(remote.baseUrl()).isEqualTo(local.baseUrl());
    assertThat(remote.port()).isEqualTo(local.port());
    assertThat(remote.servedModelNames()).containsExactly("m1", "m2");

    Http.post(local, "/v1/completions", completion("r-1"));
    Http.post(local, "/v1/completions", completion("r-2"));

    RecordedRequest first = remote.takeRequest(Duration.ofSeconds(10));
    RecordedRequest second = remote.takeRequest(Duration.ofSeconds(10));
    assertThat(first).isNotNull();
    assertThat(second).isNotNull();
    assertThat(first.path()).isEqualTo("/v1/completions");
    assertThat(first.model()).isEqualTo("m1");
    assertThat(first.maxTokens()).isEqualTo(3);
    assertThat(first.bodyAsString()).isEqualTo(completion("r-1"));
    assertThat(second.sequenceNumber()).isGreaterThan(first.sequenceNumber());
    assertThat(remote.takeRequest(Duration.ofMillis(100))).isNull();
    assertThat(remote.requestCount()).isEqualTo(local.requestCount());

    ServerMetrics m = remote.metrics();
    assertThat(m.generationTokens()).isEqualTo(6);
    assertThat(m.requestSuccess()).containsEntry("length", 2L);
    assertThat(m).isEqualTo(local.metrics());
  }

  @Test
  void resetAndReconfigureReachTheServer() throws Exception {
    Http.post(local, "/v1/completions", completion("before"));
    remote.reset();
    assertThat(remote.requestCount()).isZero();
    assertThat(local.takeRequest(Duration.ofMillis(100))).isNull();
    assertThat(remote.takeRequest(Duration.ofMillis(100))).isNull();

    remote.setTimeScale(0.5);
    assertThat(local.engine().orElseThrow().timeScale()).isEqualTo(0.5);

    Http.post(local, "/v1/completions", completion("after"));
    RecordedRequest after = remote.takeRequest(Duration.ofSeconds(10));
    assertThat(after).isNotNull();
    assertThat(after.bodyAsString()).contains("\"after\"");
  }

  @Test
  void engineTimingByClientRequestId() throws Exception {
    Http.post(local, "/v1/completions", completion("load-7"));
    Http.Reply timings = Http.get(local, "/llmemu/requests?prefix=load-");
    assertThat(timings.code()).isEqualTo(200);
    var data = timings.json().get("data");
    assertThat(data).hasSize(1);
    assertThat(data.get(0).get("request_id").asText()).isEqualTo("load-7");
    assertThat(data.get(0).get("output_tokens").asInt()).isEqualTo(3);
    assertThat(data.get(0).get("queue_time_ms").asDouble()).isGreaterThanOrEqualTo(0);
    assertThat(data.get(0).get("prefill_time_ms").asDouble()).isGreaterThan(0);
  }

  @Test
  void closedHandleAndNonLlmemuServersSayWhy() {
    EmulatedVllmServer plain =
        EmulatedVllmServer.remote("http://127.0.0.1:" + local.port() + "/v1");
    assertThat(plain.baseUrl()).isEqualTo(local.baseUrl());
    plain.close();
    assertThatThrownBy(plain::metricsText)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("close() already called");
    assertThatThrownBy(() -> EmulatedVllmServer.remote("localhost:8000"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not an http(s) URL");
  }

  @Test
  void healthCheckClassAnswersForContainers() {
    assertThat(HealthCheck.check(local.url("/health"))).isTrue();
    assertThat(HealthCheck.check(local.url("/nope"))).isFalse();
    assertThat(HealthCheck.check("http://127.0.0.1:1/health")).isFalse();
  }
}
