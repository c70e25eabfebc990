package dev.llmemu.junit.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmemu.junit.load.Endpoint;
import dev.llmemu.junit.load.RequestError;
import dev.llmemu.junit.load.RequestRecord;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.jspecify.annotations.Nullable;

/**
 * Sends one streaming request and measures it as {@code vllm bench serve}'s request functions do
 * ({@code endpoint_request_func.py}):
 *
 * <ul>
 *   <li>the clock starts just before the request is sent;
 *   <li>completions: the first event with non-empty {@code choices} is the first token, every later
 *       one adds a gap to the ITL list, and the last one ends the request;
 *   <li>chat: the same, but the first event with choices is the role event, and every event but
 *       {@code [DONE]} (the usage event included) moves the end;
 *   <li>output tokens come from {@code usage.completion_tokens}.
 * </ul>
 *
 * One deliberate difference: an error event inside the stream fails the request here, where {@code
 * vllm bench} ignores it and counts the request as successful.
 */
public final class StreamedRequest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final MediaType JSON_TYPE = MediaType.get("application/json");

  private StreamedRequest() {}

  /** The request body, as {@code vllm bench serve} builds it. */
  public static String body(
      Endpoint endpoint, String model, String prompt, int maxTokens, boolean ignoreEos) {
    ObjectNode b = JSON.createObjectNode();
    b.put("model", model);
    if (endpoint == Endpoint.CHAT) {
      ObjectNode message = b.putArray("messages").addObject();
      message.put("role", "user");
      message.put("content", prompt);
      b.put("max_completion_tokens", maxTokens);
    } else {
      b.put("prompt", prompt);
      b.put("max_tokens", maxTokens);
    }
    b.put("stream", true);
    b.putObject("stream_options").put("include_usage", true);
    if (ignoreEos) {
      b.put("ignore_eos", true);
    }
    return b.toString();
  }

  /**
   * Sends the request (blocking until the stream ends) and measures it.
   *
   * @param promptTokens the prompt length the driver built, or -1 to take the server's count
   */
  public static RequestRecord send(
      OkHttpClient client,
      String baseUrl,
      Map<String, String> headers,
      Endpoint endpoint,
      String body,
      int index,
      String requestId,
      long runStartNanos,
      int promptTokens) {
    Request.Builder rb =
        new Request.Builder()
            .url(baseUrl + endpoint.path())
            .header("X-Request-Id", requestId)
            .post(RequestBody.create(body, JSON_TYPE));
    headers.forEach(rb::header);
    Measurement m = new Measurement(endpoint);
    long start = System.nanoTime();
    Call call = client.newCall(rb.build());
    try (Response response = call.execute()) {
      m.status = response.code();
      ResponseBody rbody = response.body();
      if (!response.isSuccessful()) {
        m.fail(
            RequestError.Kind.HTTP_STATUS,
            "HTTP " + response.code() + ": " + abbreviate(rbody.string()));
      } else {
        read(rbody, m);
      }
    } catch (InterruptedIOException e) {
      m.fail(RequestError.Kind.TIMEOUT, "no answer within the request timeout (" + e + ")");
    } catch (IOException e) {
      m.fail(RequestError.Kind.CONNECTION, e.toString());
    } catch (RuntimeException e) {
      m.fail(RequestError.Kind.INVALID_RESPONSE, e.toString());
    }
    return new RequestRecord(
        index,
        requestId,
        Duration.ofNanos(start - runStartNanos),
        promptTokens >= 0 ? promptTokens : Math.max(0, m.usagePromptTokens),
        m.outputTokens(),
        m.status,
        m.error,
        m.firstToken < 0 ? null : Duration.ofNanos(m.firstToken - start),
        Arrays.copyOf(m.itls, m.numItls),
        m.last < 0 || m.error != null ? null : Duration.ofNanos(m.last - start),
        null);
  }

  private static void read(ResponseBody body, Measurement m) throws IOException {
    BufferedReader reader =
        new BufferedReader(new InputStreamReader(body.byteStream(), StandardCharsets.UTF_8));
    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
      long now = System.nanoTime();
      if (!line.startsWith("data:")) {
        continue; // blank separators, SSE comments (pings), event names
      }
      String data = line.substring(5).trim();
      if (data.equals("[DONE]")) {
        m.done = true;
        break;
      }
      JsonNode event;
      try {
        event = JSON.readTree(data);
      } catch (JsonProcessingException e) {
        m.fail(RequestError.Kind.INVALID_RESPONSE, "not JSON: " + abbreviate(data));
        return;
      }
      m.onEvent(event, now);
      if (m.error != null) {
        return;
      }
    }
    if (!m.done) {
      m.fail(RequestError.Kind.CONNECTION, "stream ended without data: [DONE]");
    } else if (m.firstToken < 0) {
      m.fail(RequestError.Kind.INVALID_RESPONSE, "no event with choices arrived");
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 300 ? s : s.substring(0, 300) + "…";
  }

  /** Per-event bookkeeping of one stream. */
  private static final class Measurement {
    final Endpoint endpoint;
    long firstToken = -1;
    long last = -1;
    long[] itls = new long[64];
    int numItls;
    int contentEvents;
    int usageTokens = -1;
    int usagePromptTokens = -1;
    int status;
    boolean done;
    @Nullable RequestError error;

    Measurement(Endpoint endpoint) {
      this.endpoint = endpoint;
    }

    void fail(RequestError.Kind kind, String message) {
      if (error == null) {
        error = new RequestError(kind, message);
      }
    }

    void onEvent(JsonNode event, long now) {
      JsonNode err = event.get("error");
      if (err != null && !err.isNull()) {
        JsonNode message = err.get("message");
        fail(RequestError.Kind.STREAM_ERROR, message == null ? err.toString() : message.asText());
        return;
      }
      JsonNode usage = event.get("usage");
      if (usage != null && usage.hasNonNull("completion_tokens")) {
        usageTokens = usage.get("completion_tokens").asInt();
        usagePromptTokens = usage.path("prompt_tokens").asInt(-1);
      }
      JsonNode choices = event.get("choices");
      boolean hasChoices = choices != null && choices.isArray() && !choices.isEmpty();
      if (hasChoices) {
        if (firstToken < 0) {
          firstToken = now;
        } else {
          if (numItls == itls.length) {
            itls = Arrays.copyOf(itls, numItls * 2);
          }
          itls[numItls++] = now - last;
        }
        contentEvents++;
        last = now;
      } else if (endpoint == Endpoint.CHAT) {
        last = now; // chat moves the end on every event, the usage event included
      }
    }

    int outputTokens() {
      if (usageTokens >= 0) {
        return usageTokens;
      }
      // Without usage, count content events (chat's role event carries no token).
      return endpoint == Endpoint.CHAT ? Math.max(0, contentEvents - 1) : contentEvents;
    }
  }
}
