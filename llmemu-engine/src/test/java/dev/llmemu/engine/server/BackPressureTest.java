package dev.llmemu.engine.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.llmemu.engine.StepLatencyModel;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A client that stops reading: the engine does not wait for it (other requests go on at full
 * speed), its outputs merge into fewer events, and once it reads again it gets every token.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BackPressureTest {

  @Test
  void slowReaderGetsMergedEventsAndNeverStallsTheEngine() throws Exception {
    try (EmulatedVllmServer s =
        TestServers.fast().latencyModel(StepLatencyModel.constant(Duration.ofMillis(1))).start()) {
      int maxTokens = 3000;
      try (Socket socket = new Socket()) {
        socket.setReceiveBufferSize(4096);
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", s.port()));
        String body =
            "{\"prompt\":\"x\",\"max_tokens\":"
                + maxTokens
                + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
        OutputStream out = socket.getOutputStream();
        out.write(
            ("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Connection: close\r\nContent-Length: "
                    + body.length()
                    + "\r\n\r\n"
                    + body)
                .getBytes(StandardCharsets.UTF_8));
        out.flush();

        // While this client does not read, another request finishes in engine time.
        Http.Reply other = Http.post(s, "/v1/completions", "{\"prompt\":\"y\",\"max_tokens\":20}");
        assertThat(other.code()).isEqualTo(200);
        await()
            .atMost(Duration.ofSeconds(30))
            .untilAsserted(
                () ->
                    assertThat(s.metrics().generationTokens())
                        .isGreaterThanOrEqualTo(maxTokens + 20));

        InputStream in = socket.getInputStream();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        in.transferTo(all);
        String text = all.toString(StandardCharsets.UTF_8);
        assertThat(text).startsWith("HTTP/1.1 200 OK").contains("data: [DONE]");
        int events = count(text, "\"text_completion\",\"created\"") - 1; // minus the usage event
        Matcher m = Pattern.compile("\"completion_tokens\":(\\d+)}}").matcher(text);
        assertThat(m.find()).isTrue();
        assertThat(Integer.parseInt(m.group(1))).isEqualTo(maxTokens);
        assertThat(events).isLessThan(maxTokens);
      }
    }
  }

  static int count(String s, String needle) {
    int n = 0;
    for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }
}
