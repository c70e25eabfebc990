package dev.llmemu.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;

/**
 * Malformed and hostile bodies (deep nesting, huge numbers, wrong types, invalid UTF-8, truncated
 * JSON, random bytes) get a 4xx and never a 5xx, a hang or a stack trace; the server keeps serving.
 */
class HostileBodiesTest {
  static EmulatedVllmServer server;

  @BeforeContainer
  static void start() {
    server =
        TestServers.fast()
            .engineConfig(c -> c.maxModelLen(512).numGpuBlocks(256))
            .maxRequestBodyBytes(256 * 1024)
            .recordRequests(false)
            .start();
  }

  @AfterContainer
  static void stop() {
    server.close();
  }

  static final String[] PATHS = {
    "/v1/completions", "/v1/chat/completions", "/tokenize", "/detokenize"
  };

  @Property(tries = 150, seed = "42")
  void hostileBodiesGetOnly4xxAndTheServerGoesOn(
      @ForAll("paths") String path, @ForAll("bodies") byte[] body) {
    Http.Reply r =
        Http.send(
            new Request.Builder()
                .url(server.url(path))
                .post(RequestBody.create(body, MediaType.get("application/json")))
                .build());
    assertThat(r.code())
        .as("%s %s -> %s", path, new String(body, StandardCharsets.UTF_8), r.body())
        .isBetween(200, 499);
    assertThat(r.body()).doesNotContain("Exception").doesNotContain("\tat ");
    if (r.code() >= 400) {
      assertThat(r.body()).startsWith("{\"error\":");
    }
    Http.Reply ok = Http.post(server, "/v1/completions", "{\"prompt\":\"ok\",\"max_tokens\":1}");
    assertThat(ok.code()).isEqualTo(200);
  }

  @Property(tries = 30, seed = "7")
  void truncatedRequestsOnTheWireDoNotHurtOtherRequests(@ForAll("truncations") int cut)
      throws IOException {
    byte[] full =
        ("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: 40\r\n\r\n{\"prompt\":\"hello\",\"max_tokens\":2}      ")
            .getBytes(StandardCharsets.US_ASCII);
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(5000);
      OutputStream out = socket.getOutputStream();
      out.write(full, 0, Math.min(cut, full.length));
      out.flush();
      socket.shutdownOutput();
      InputStream in = socket.getInputStream();
      String reply = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      if (!reply.isEmpty()) {
        assertThat(reply).matches("(?s)HTTP/1\\.1 (200|400) .*");
      }
    }
    assertThat(Http.post(server, "/v1/completions", "{\"prompt\":\"ok\",\"max_tokens\":1}").code())
        .isEqualTo(200);
  }

  @Provide
  Arbitrary<String> paths() {
    return Arbitraries.of(PATHS);
  }

  @Provide
  Arbitrary<Integer> truncations() {
    return Arbitraries.integers().between(1, 140);
  }

  @Provide
  Arbitrary<byte[]> bodies() {
    Arbitrary<String> fieldNames =
        Arbitraries.of(
            "prompt",
            "messages",
            "max_tokens",
            "n",
            "stream",
            "stream_options",
            "logprobs",
            "top_logprobs",
            "seed",
            "stop",
            "model",
            "tokens",
            "temperature",
            "min_tokens",
            "echo",
            "priority",
            "stop_token_ids",
            "max_completion_tokens",
            "content",
            "role");
    Arbitrary<String> values =
        Arbitraries.oneOf(
            Arbitraries.of(
                "null",
                "true",
                "false",
                "0",
                "-1",
                "1e308",
                "-1e308",
                "1e999",
                "123456789012345678901234567890",
                "0.5",
                "\"\"",
                "\"x\"",
                "[]",
                "{}",
                "[1,2,3]",
                "[\"a\",1]",
                "[[1],[2,\"x\"]]",
                "{\"a\":1}",
                "\"\\ud800\"",
                "[-5]",
                "[{\"role\":\"user\",\"content\":\"hi\"}]",
                "[{\"role\":1}]",
                "[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]",
                "{\"include_usage\":\"maybe\"}",
                "99999999999",
                "\"9\"",
                "\"" + "z".repeat(3000) + "\""),
            Arbitraries.integers().map(Object::toString),
            Arbitraries.strings().ofMaxLength(20).map(s -> Http.JSON.valueToTree(s).toString()));
    Arbitrary<String> objects =
        Combinators.combine(fieldNames.list().ofMaxSize(5), values.list().ofSize(5))
            .as(
                (names, vals) -> {
                  StringBuilder b = new StringBuilder("{");
                  for (int i = 0; i < names.size(); i++) {
                    if (i > 0) {
                      b.append(',');
                    }
                    b.append('"').append(names.get(i)).append("\":").append(vals.get(i));
                  }
                  return b.append('}').toString();
                });
    Arbitrary<String> nested =
        Arbitraries.integers().between(60, 5000).map(d -> "[".repeat(d) + "]".repeat(d));
    Arbitrary<String> nestedObjects =
        Arbitraries.integers()
            .between(60, 3000)
            .map(d -> "{\"a\":".repeat(d) + "1" + "}".repeat(d));
    Arbitrary<String> truncated = objects.map(s -> s.substring(0, s.length() / 2));
    Arbitrary<String> scalars =
        Arbitraries.of(
            "1", "\"x\"", "null", "[]", "true", "", " ", "{", "}", "{\"prompt\":\"x\"}{}");
    Arbitrary<byte[]> text =
        Arbitraries.oneOf(objects, nested, nestedObjects, truncated, scalars)
            .map(s -> s.getBytes(StandardCharsets.UTF_8));
    Arbitrary<byte[]> badUtf8 =
        objects.map(
            s -> {
              byte[] b = s.getBytes(StandardCharsets.UTF_8);
              if (b.length > 3) {
                b[b.length / 2] = (byte) 0xC3;
                b[b.length / 2 + 1] = (byte) 0x28;
              }
              return b;
            });
    Arbitrary<byte[]> randomBytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(200);
    return Arbitraries.oneOf(text, text, text, badUtf8, randomBytes);
  }
}
