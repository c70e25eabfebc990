package dev.llmemu.engine.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The handle's lifecycle and recorded requests. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class EmulatedVllmServerTest {

  @Test
  void lifecycleFollowsMockWebServer() {
    EmulatedVllmServer server = TestServers.fast().build();
    assertThat(server).hasToString("EmulatedVllmServer{new}");
    assertThatThrownBy(server::port)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("call start() first");
    assertThatThrownBy(server::baseUrl).hasMessage("call start() first");

    assertThat(server.start()).isSameAs(server);
    assertThat(server.start()).isSameAs(server);
    int port = server.port();
    assertThat(port).isPositive();
    assertThat(server).hasToString("EmulatedVllmServer{port=" + port + "}");
    assertThat(server.baseUrl()).isEqualTo("http://127.0.0.1:" + port);
    assertThat(server.openAiBaseUrl()).isEqualTo("http://127.0.0.1:" + port + "/v1");
    assertThat(server.url("/metrics")).isEqualTo("http://127.0.0.1:" + port + "/metrics");
    assertThat(server.url("health")).isEqualTo("http://127.0.0.1:" + port + "/health");

    server.close();
    server.close();
    assertThat(server).hasToString("EmulatedVllmServer{closed}");
    assertThatThrownBy(server::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("close() already called");
  }

  @Test
  void resetForgetsRecordedRequestsAndRuntimeChanges() throws InterruptedException {
    try (EmulatedVllmServer server = TestServers.fast().start()) {
      Http.get(server, "/health");
      server.setTimeScale(3);
      server.setFailureRate(1, 503);
      server.reset();
      assertThat(server.requestCount()).isZero();
      assertThat(server.takeRequest(Duration.ofMillis(10))).isNull();
      assertThat(server.engine().orElseThrow().timeScale()).isEqualTo(1.0);
      assertThat(Http.post(server, "/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":1}").code())
          .isEqualTo(200);
      assertThat(server.takeRequest().sequenceNumber()).isEqualTo(1);
    }
  }

  @Test
  void closeBeforeStartMakesItUnusable() {
    EmulatedVllmServer server = TestServers.fast().build();
    server.close();
    assertThatThrownBy(server::start).hasMessage("close() already called");
  }

  @Test
  void defaultsComeFromTheDefaultProfile() {
    try (EmulatedVllmServer server = EmulatedVllmServer.builder().start()) {
      assertThat(server.host()).isEqualTo("127.0.0.1");
      assertThat(((LocalVllmServer) server).profile().name())
          .isEqualTo(dev.llmemu.engine.profile.Profiles.DEFAULT_PROFILE);
      assertThat(server.servedModelName()).isEqualTo(((LocalVllmServer) server).profile().model());
    }
  }

  @Test
  void unknownProfileFailsWithTheKnownNames() {
    assertThatThrownBy(() -> EmulatedVllmServer.builder().profile("h100x").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("h100x")
        .hasMessageContaining(dev.llmemu.engine.profile.Profiles.DEFAULT_PROFILE);
  }

  @Test
  void engineOverridesApply() {
    try (EmulatedVllmServer server =
        TestServers.fast().engineConfig(c -> c.maxNumSeqs(7).maxModelLen(2048)).seed(9).start()) {
      assertThat(((LocalVllmServer) server).engineConfig().maxNumSeqs()).isEqualTo(7);
      assertThat(((LocalVllmServer) server).engineConfig().maxModelLen()).isEqualTo(2048);
      assertThat(((LocalVllmServer) server).engineConfig().seed()).isEqualTo(9);
    }
  }

  @Test
  void requestsAreRecordedInOrderWithTheirOpenAiFields() throws InterruptedException {
    try (EmulatedVllmServer server = TestServers.fast().start()) {
      assertThat(server.takeRequest(Duration.ofMillis(10))).isNull();
      Http.post(
          server,
          "/v1/chat/completions?x=1",
          "{\"model\":\""
              + server.servedModelName()
              + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":2,\"n\":2}");
      Http.get(server, "/health");

      RecordedRequest first = server.takeRequest();
      assertThat(first.sequenceNumber()).isZero();
      assertThat(first.method()).isEqualTo("POST");
      assertThat(first.path()).isEqualTo("/v1/chat/completions");
      assertThat(first.target()).isEqualTo("/v1/chat/completions?x=1");
      assertThat(first.header("Content-Type")).startsWith("application/json");
      assertThat(first.bodyAsString()).contains("\"messages\"");
      assertThat(first.model()).isEqualTo(server.servedModelName());
      assertThat(first.maxTokens()).isEqualTo(2);
      assertThat(first.n()).isEqualTo(2);
      assertThat(first.promptTokens()).isPositive();
      assertThat(first.responseId()).startsWith("chatcmpl-");
      assertThat(first.status()).isEqualTo(200);
      RecordedRequest second = server.takeRequest();
      assertThat(second.sequenceNumber()).isEqualTo(1);
      assertThat(second.path()).isEqualTo("/health");
      assertThat(server.requestCount()).isEqualTo(2);
    }
  }

  @Test
  void vllmServeFlagsConfigureTheBuilder() {
    EmulatedVllmServer.Builder b =
        EmulatedVllmServer.builder()
            .args(
                "--max-num-seqs",
                "12",
                "--scheduling-policy",
                "priority",
                "--served-model-name",
                "x");
    assertThat(b.engineConfig().maxNumSeqs()).isEqualTo(12);
    assertThat(b.engineConfig().schedulingPolicy())
        .isEqualTo(dev.llmemu.engine.SchedulingPolicy.PRIORITY);
    try (EmulatedVllmServer s = b.start()) {
      // flags not given keep the builder's defaults: loopback and an ephemeral port
      assertThat(s.host()).isEqualTo("127.0.0.1");
      assertThat(s.port()).isNotEqualTo(8000);
      assertThat(s.servedModelName()).isEqualTo("x");
    }
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> EmulatedVllmServer.builder().args("--max-num-seqz", "3"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--max-num-seqz");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> EmulatedVllmServer.builder().args("--profile", "h100-nope"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown hardware profile 'h100-nope'");
  }
}
