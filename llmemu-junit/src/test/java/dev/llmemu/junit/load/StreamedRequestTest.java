package dev.llmemu.junit.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmemu.junit.internal.StreamedRequest;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** How one stream is measured, against canned SSE answers. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StreamedRequestTest {
  private final MockWebServer server = new MockWebServer();
  private final OkHttpClient client = new OkHttpClient();

  @BeforeEach
  void start() throws Exception {
    server.start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private RequestRecord send(Endpoint endpoint) {
    String url = server.url("/").toString();
    return StreamedRequest.send(
        client,
        url.substring(0, url.length() - 1),
        java.util.Map.of(),
        endpoint,
        "{}",
        0,
        "id-0",
        System.nanoTime(),
        10);
  }

  private static MockResponse sse(String body) {
    return new MockResponse.Builder()
        .addHeader("Content-Type", "text/event-stream")
        .body(body)
        .build();
  }

  @Test
  void completionsCountsEventsWithChoicesAndTakesTokensFromUsage() {
    server.enqueue(
        sse(
            "data: {\"choices\":[{\"text\":\" a\"}]}\n\n"
                + "data: {\"choices\":[{\"text\":\" b\"}]}\n\n"
                + "data: {\"choices\":[{\"text\":\"\",\"finish_reason\":\"stop\"}]}\n\n"
                + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":3,\"total_tokens\":13}}\n\n"
                + "data: [DONE]\n\n"));
    RequestRecord r = send(Endpoint.COMPLETIONS);
    assertThat(r.success()).isTrue();
    assertThat(r.outputTokens()).isEqualTo(3);
    assertThat(r.ttft()).isNotNull();
    assertThat(r.interTokenLatenciesNanos()).hasSize(2);
    assertThat(r.e2eLatency()).isGreaterThanOrEqualTo(r.ttft());
  }

  @Test
  void chatCountsTheRoleEventAsFirst() {
    server.enqueue(
        sse(
            "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
                + "data: {\"choices\":[{\"delta\":{\"content\":\" hi\"}}]}\n\n"
                + "data: {\"choices\":[{\"delta\":{\"content\":\"\"},\"finish_reason\":\"length\"}]}\n\n"
                + "data: [DONE]\n\n"));
    RequestRecord r = send(Endpoint.CHAT);
    assertThat(r.success()).isTrue();
    assertThat(r.interTokenLatenciesNanos()).hasSize(2);
    // no usage: content events after the role event
    assertThat(r.outputTokens()).isEqualTo(2);
  }

  @Test
  void inBandErrorFailsTheRequest() {
    server.enqueue(
        sse(
            "data: {\"choices\":[{\"text\":\" a\"}]}\n\n"
                + "data: {\"error\":{\"message\":\"boom\",\"type\":\"InternalServerError\",\"code\":500}}\n\n"
                + "data: [DONE]\n\n"));
    RequestRecord r = send(Endpoint.COMPLETIONS);
    assertThat(r.success()).isFalse();
    assertThat(r.error()).isEqualTo(new RequestError(RequestError.Kind.STREAM_ERROR, "boom"));
    assertThat(r.e2eLatency()).isNull();
  }

  @Test
  void httpErrorAndTruncatedStreamFail() {
    server.enqueue(
        new MockResponse.Builder().code(429).body("{\"error\":{\"message\":\"busy\"}}").build());
    RequestRecord rejected = send(Endpoint.COMPLETIONS);
    assertThat(rejected.success()).isFalse();
    assertThat(rejected.status()).isEqualTo(429);
    assertThat(rejected.error())
        .isEqualTo(
            new RequestError(
                RequestError.Kind.HTTP_STATUS, "HTTP 429: {\"error\":{\"message\":\"busy\"}}"));

    server.enqueue(sse("data: {\"choices\":[{\"text\":\" a\"}]}\n\n"));
    RequestRecord truncated = send(Endpoint.COMPLETIONS);
    assertThat(truncated.success()).isFalse();
    assertThat(truncated.error())
        .isEqualTo(
            new RequestError(RequestError.Kind.CONNECTION, "stream ended without data: [DONE]"));
  }
}
