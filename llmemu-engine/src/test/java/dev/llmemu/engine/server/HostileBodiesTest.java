package dev.llmemu.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Malformed and hostile bodies (deep nesting, huge numbers, wrong types, invalid UTF-8, truncated
 * JSON, random bytes) get a 4xx and never a 5xx, a hang or a stack trace; the server keeps serving.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HostileBodiesTest {
  static EmulatedVllmServer server;

  @BeforeAll
  static void start() {
    server =
        TestServers.fast()
            .engineConfig(c -> c.maxModelLen(512).numGpuBlocks(256))
            .maxRequestBodyBytes(256 * 1024)
            .recordRequests(false)
            .start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static final String[] PATHS = {
    "/v1/completions", "/v1/chat/completions", "/tokenize", "/detokenize"
  };

  @TestFactory
  Stream<DynamicTest> hostileBodiesGetOnly4xxAndTheServerGoesOn() {
    Bodies bodies = new Bodies(42);
    SplittableRandom pick = new SplittableRandom(43);
    return IntStream.range(0, 150)
        .mapToObj(
            i -> {
              String path = PATHS[pick.nextInt(PATHS.length)];
              byte[] body = bodies.next();
              return DynamicTest.dynamicTest(
                  "#" + i + " " + path, () -> hostileBodyGetsA4xx(path, body));
            });
  }

  private static void hostileBodyGetsA4xx(String path, byte[] body) {
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

  @ParameterizedTest(name = "cut after {0} bytes")
  @ValueSource(
      ints = {
        1, 5, 16, 17, 30, 33, 48, 60, 70, 77, 80, 85, 90, 95, 99, 100, 104, 110, 115, 120, 125, 130,
        135, 140
      })
  void truncatedRequestsOnTheWireDoNotHurtOtherRequests(int cut) throws IOException {
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

  /**
   * A seeded generator of hostile bodies: objects of OpenAI fields with wrong values, deep nesting,
   * truncation, scalars, invalid UTF-8 and random bytes.
   */
  static final class Bodies {
    private static final String[] FIELDS = {
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
      "role"
    };
    private static final String[] VALUES = {
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
      "\"" + "z".repeat(3000) + "\""
    };
    private static final String[] SCALARS = {
      "1", "\"x\"", "null", "[]", "true", "", " ", "{", "}", "{\"prompt\":\"x\"}{}"
    };

    private final SplittableRandom random;

    Bodies(long seed) {
      random = new SplittableRandom(seed);
    }

    String value() {
      return switch (random.nextInt(3)) {
        case 0 -> VALUES[random.nextInt(VALUES.length)];
        case 1 -> Integer.toString(random.nextInt());
        default -> {
          StringBuilder b = new StringBuilder();
          for (int i = random.nextInt(21); i > 0; i--) {
            b.append((char) random.nextInt(0x20, 0x3000));
          }
          yield Http.JSON.valueToTree(b.toString()).toString();
        }
      };
    }

    String object() {
      StringBuilder b = new StringBuilder("{");
      for (int i = random.nextInt(6); i > 0; i--) {
        if (b.length() > 1) {
          b.append(',');
        }
        b.append('"').append(FIELDS[random.nextInt(FIELDS.length)]).append("\":").append(value());
      }
      return b.append('}').toString();
    }

    byte[] next() {
      return switch (random.nextInt(7)) {
        case 0, 1 -> utf8(object());
        case 2 -> {
          int d = random.nextInt(60, 5001);
          yield utf8("[".repeat(d) + "]".repeat(d));
        }
        case 3 -> {
          int d = random.nextInt(60, 3001);
          yield utf8("{\"a\":".repeat(d) + "1" + "}".repeat(d));
        }
        case 4 -> {
          String o = object();
          yield utf8(
              random.nextBoolean()
                  ? o.substring(0, o.length() / 2)
                  : SCALARS[random.nextInt(SCALARS.length)]);
        }
        case 5 -> {
          byte[] b = utf8(object());
          if (b.length > 3) {
            b[b.length / 2] = (byte) 0xC3;
            b[b.length / 2 + 1] = (byte) 0x28;
          }
          yield b;
        }
        default -> {
          byte[] b = new byte[random.nextInt(201)];
          random.nextBytes(b);
          yield b;
        }
      };
    }

    private static byte[] utf8(String s) {
      return s.getBytes(StandardCharsets.UTF_8);
    }
  }
}
