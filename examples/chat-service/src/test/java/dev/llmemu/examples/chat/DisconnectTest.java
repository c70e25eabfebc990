package dev.llmemu.examples.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.engine.server.ServerMetrics;
import dev.llmemu.junit.EmulatedVllm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Streams cut in the middle, from either side. The emulator cuts vLLM's side on request ({@code
 * X-Llmemu-Drop-After-Tokens}, {@code X-Llmemu-Fail-After-Tokens}: headers the service is told to
 * send with every call, as it would send a gateway's routing key); the test cuts the client's side
 * with a plain socket.
 */
@EmulatedVllm(args = {"--time-scale", "0.5"})
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DisconnectTest {

  static ChatService serviceSending(EmulatedVllmServer vllm, Map<String, String> headers) {
    return ChatService.start(
        ChatServiceConfig.builder(vllm.openAiBaseUrl(), vllm.servedModelName())
            .vllmHeaders(headers)
            .build());
  }

  @Test
  void whenVllmDropsTheConnectionTheClientGetsAnErrorEventNotAHang(EmulatedVllmServer vllm) {
    try (ChatService chat = serviceSending(vllm, Map.of("X-Llmemu-Drop-After-Tokens", "5"))) {
      ChatClient.Answer answer = new ChatClient(chat.baseUrl()).ask("Tell me a story", 100);

      assertThat(answer.status()).isEqualTo(200);
      assertThat(answer.text()).isNotEmpty(); // the tokens before the cut were relayed
      assertThat(answer.streamError()).isPresent();
      assertThat(answer.streamError().get().path("type").asText()).isEqualTo("upstream_error");
      assertThat(answer.streamError().get().path("message").asText())
          .startsWith("the stream from vLLM broke");
      assertThat(chat.stats().upstreamErrors()).isEqualTo(1);
      awaitNoActiveStream(chat);
      assertThat(vllm.requestCount()).as("not retried: the client has part of the answer").isOne();
    }
  }

  @Test
  void whenVllmReportsAnErrorMidStreamTheClientGetsItAsAnErrorEvent(EmulatedVllmServer vllm) {
    try (ChatService chat = serviceSending(vllm, Map.of("X-Llmemu-Fail-After-Tokens", "3"))) {
      ChatClient.Answer answer = new ChatClient(chat.baseUrl()).ask("Tell me a story", 100);

      assertThat(answer.status()).isEqualTo(200);
      assertThat(answer.streamError()).isPresent();
      assertThat(answer.streamError().get().path("message").asText())
          .startsWith("vLLM reported an error");
      awaitNoActiveStream(chat);
    }
  }

  @Test
  void whenTheClientLeavesVllmStopsGeneratingAndFreesTheKvCache(EmulatedVllmServer vllm)
      throws IOException {
    ServerMetrics before = vllm.metrics();
    try (ChatService chat = serviceSending(vllm, Map.of())) {
      // 2,000 tokens would take seconds; the client reads three events and hangs up
      try (Socket socket = connect(chat.baseUrl())) {
        String body =
            "{\"max_tokens\":2000,\"messages\":[{\"role\":\"user\",\"content\":\"Go on and on\"}]}";
        OutputStream out = socket.getOutputStream();
        out.write(
            ("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/json\r\nContent-Length: "
                    + body.length()
                    + "\r\n\r\n"
                    + body)
                .getBytes(StandardCharsets.UTF_8));
        out.flush();
        BufferedReader in =
            new BufferedReader(
                new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
        int events = 0;
        while (events < 3) {
          String line = in.readLine();
          assertThat(line).as("the stream went on").isNotNull();
          if (line.startsWith("data: ")) {
            events++;
          }
        }
        assertThat(vllm.metrics().numRequestsRunning()).isOne();
      } // the client is gone

      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () -> {
                assertThat(chat.stats().clientDisconnects()).isOne();
                assertThat(chat.stats().activeStreams()).isZero();
                ServerMetrics now = vllm.metrics();
                assertThat(now.numRequestsRunning()).isZero();
                assertThat(now.kvCacheUsage()).isZero();
              });
      ServerMetrics after = vllm.metrics();
      // aborted, not finished: far fewer than 2,000 tokens were generated, and vLLM counts no
      // successful request
      assertThat(after.generationTokens() - before.generationTokens()).isLessThan(1000);
      assertThat(after.requestsFinished()).isEqualTo(before.requestsFinished());
    }
  }

  /** The handler has released the call (it ends just after the client read {@code [DONE]}). */
  static void awaitNoActiveStream(ChatService chat) {
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(chat.stats().activeStreams()).isZero());
  }

  private static Socket connect(String baseUrl) throws IOException {
    URI uri = URI.create(baseUrl);
    Socket socket = new Socket(uri.getHost(), uri.getPort());
    socket.setSoTimeout(10_000);
    return socket;
  }
}
