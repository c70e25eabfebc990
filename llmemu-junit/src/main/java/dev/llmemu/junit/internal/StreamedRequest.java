package dev.llmemu.junit.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmemu.junit.load.Endpoint;
import dev.llmemu.junit.load.RequestRecord;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.jspecify.annotations.Nullable;

/**
 * Sends one streaming request and measures it exactly as {@code vllm bench serve}'s request
 * functions do ({@code endpoint_request_func.py}): completions count the first event with non-empty
 * {@code choices} as the first token and the last such event as the end; chat counts the first
 * event with choices (the role event) as the first token and every event but {@code [DONE]} as
 * moving the end.
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

  /** Sends the request (blocking until the stream ends) and measures it. */
  public static RequestRecord send(
      OkHttpClient client,
      String baseUrl,
      @Nullable String apiKey,
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
    if (apiKey != null) {
      rb.header("Authorization", "Bearer " + apiKey);
    }
    Measurement m = new Measurement(endpoint);
    long start = System.nanoTime();
    m.start = start;
    Call call = client.newCall(rb.build());
    try (Response response = call.execute()) {
      m.status = response.code();
      ResponseBody rbody = response.body();
      if (!response.isSuccessful()) {
        m.error = "HTTP " + response.code() + ": " + abbreviate(rbody.string());
      } else {
        BufferedReader reader =
            new BufferedReader(new InputStreamReader(rbody.byteStream(), StandardCharsets.UTF_8));
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
          long now = System.nanoTime();
          if (!line.startsWith("data:")) {
            continue;
          }
          String data = line.substring(5).trim();
          if (data.equals("[DONE]")) {
            m.done = true;
            break;
          }
          m.onEvent(JSON.readTree(data), now);
          if (m.error != null) {
            break;
          }
        }
        if (m.error == null && !m.done) {
          m.error = "stream ended without data: [DONE]";
        }
        if (m.error == null && m.firstToken < 0) {
          m.error = "no event with choices arrived";
        }
      }
    } catch (IOException | RuntimeException e) {
      m.error = e.getClass().getSimpleName() + ": " + e.getMessage();
    }
    boolean ok = m.error == null;
    return new RequestRecord(
        index,
        requestId,
        Duration.ofNanos(start - runStartNanos),
        promptTokens,
        m.outputTokens(),
        ok,
        m.status,
        m.error,
        m.firstToken < 0 ? null : Duration.ofNanos(m.firstToken - start),
        Arrays.copyOf(m.itls, m.numItls),
        m.last < 0 || !ok ? null : Duration.ofNanos(m.last - start),
        null);
  }

  private static String abbreviate(String s) {
    return s.length() <= 300 ? s : s.substring(0, 300) + "…";
  }

  /** Per-event bookkeeping of one stream. */
  private static final class Measurement {
    final Endpoint endpoint;
    long start;
    long firstToken = -1;
    long last = -1;
    long[] itls = new long[64];
    int numItls;
    int contentEvents;
    int usageTokens = -1;
    int status;
    boolean done;
    @Nullable String error;

    Measurement(Endpoint endpoint) {
      this.endpoint = endpoint;
    }

    void onEvent(JsonNode event, long now) {
      JsonNode err = event.get("error");
      if (err != null && !err.isNull()) {
        JsonNode message = err.get("message");
        error = "in-band error: " + (message == null ? err.toString() : message.asText());
        return;
      }
      JsonNode usage = event.get("usage");
      if (usage != null && usage.hasNonNull("completion_tokens")) {
        usageTokens = usage.get("completion_tokens").asInt();
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
      } else if (endpoint == Endpoint.CHAT && firstToken >= 0) {
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
