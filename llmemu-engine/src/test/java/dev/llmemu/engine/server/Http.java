package dev.llmemu.engine.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/** Small OkHttp helpers for the socket tests. */
final class Http {
  static final ObjectMapper JSON = new ObjectMapper();
  static final MediaType APPLICATION_JSON = MediaType.get("application/json");
  static final OkHttpClient CLIENT =
      new OkHttpClient.Builder()
          .readTimeout(30, TimeUnit.SECONDS)
          .retryOnConnectionFailure(false)
          .build();

  /** A finished exchange. */
  record Reply(int code, String contentType, String body, okhttp3.Headers headers) {
    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new UncheckedIOException(body, e);
      }
    }

    /** The SSE events' data, [DONE] included, after checking the exact framing. */
    List<String> events() {
      List<String> out = new ArrayList<>();
      String rest = body;
      while (!rest.isEmpty()) {
        if (!rest.startsWith("data: ")) {
          throw new AssertionError("not an SSE data line: " + rest);
        }
        int end = rest.indexOf("\n\n");
        if (end < 0) {
          throw new AssertionError("unterminated SSE event: " + rest);
        }
        String data = rest.substring(6, end);
        if (data.contains("\n")) {
          throw new AssertionError("multi-line SSE event: " + data);
        }
        out.add(data);
        rest = rest.substring(end + 2);
      }
      return out;
    }

    List<JsonNode> jsonEvents() {
      List<JsonNode> out = new ArrayList<>();
      for (String e : events()) {
        if (!e.equals("[DONE]")) {
          try {
            out.add(JSON.readTree(e));
          } catch (IOException ex) {
            throw new UncheckedIOException(ex);
          }
        }
      }
      return out;
    }
  }

  private Http() {}

  static Reply post(EmulatedVllmServer server, String path, String json) {
    return send(
        new Request.Builder()
            .url(server.url(path))
            .post(RequestBody.create(json, APPLICATION_JSON))
            .build());
  }

  static Reply get(EmulatedVllmServer server, String path) {
    return send(new Request.Builder().url(server.url(path)).get().build());
  }

  static Reply send(Request request) {
    try (Response r = CLIENT.newCall(request).execute()) {
      return new Reply(r.code(), r.header("content-type", ""), r.body().string(), r.headers());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
