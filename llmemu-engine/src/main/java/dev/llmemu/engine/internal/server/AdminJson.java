package dev.llmemu.engine.internal.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmemu.engine.RequestResult;
import dev.llmemu.engine.server.RecordedRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The JSON of llmemu's admin endpoints, written by the server and read by remote handles: recorded
 * requests ({@code GET /llmemu/recorded}) and the engine's per-request timing ({@code GET
 * /llmemu/requests}).
 */
public final class AdminJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private AdminJson() {}

  public static ObjectNode recorded(RecordedRequest r) {
    ObjectNode n = JSON.createObjectNode();
    n.put("sequence_number", r.sequenceNumber());
    n.put("received_at", r.receivedAt().toString());
    n.put("method", r.method());
    n.put("target", r.target());
    ObjectNode headers = n.putObject("headers");
    for (Map.Entry<String, List<String>> h : r.headers().entrySet()) {
      ArrayNode values = headers.putArray(h.getKey());
      h.getValue().forEach(values::add);
    }
    n.put("body_base64", Base64.getEncoder().encodeToString(r.body()));
    n.put("status", r.status());
    n.put("model", r.model());
    n.put("stream", r.stream());
    n.put("max_tokens", r.maxTokens());
    n.put("n", r.n());
    n.put("prompt_tokens", r.promptTokens());
    n.put("response_id", r.responseId());
    return n;
  }

  public static RecordedRequest recorded(JsonNode n) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    n.path("headers")
        .fields()
        .forEachRemaining(
            e -> {
              List<String> values = new ArrayList<>();
              e.getValue().forEach(v -> values.add(v.asText()));
              headers.put(e.getKey(), values);
            });
    return new RecordedRequest(
        n.path("sequence_number").asLong(),
        Instant.parse(n.path("received_at").asText()),
        n.path("method").asText(),
        n.path("target").asText(),
        headers,
        Base64.getDecoder().decode(n.path("body_base64").asText()),
        n.path("status").asInt(),
        textOrNull(n, "model"),
        n.path("stream").asBoolean(),
        n.hasNonNull("max_tokens") ? n.get("max_tokens").asInt() : null,
        n.path("n").asInt(1),
        n.hasNonNull("prompt_tokens") ? n.get("prompt_tokens").asInt() : null,
        textOrNull(n, "response_id"));
  }

  /**
   * The engine's view of one finished request, keyed by the id the client gave ({@code
   * X-Request-Id} or the body's {@code request_id}).
   */
  public static ObjectNode timing(String clientRequestId, int promptIndex, RequestResult r) {
    ObjectNode n = JSON.createObjectNode();
    n.put("request_id", clientRequestId);
    n.put("prompt_index", promptIndex);
    n.put("choice", r.index());
    n.put("finish_reason", r.finishReason().wireName());
    n.put("prompt_tokens", r.promptTokens());
    n.put("output_tokens", r.outputTokens());
    n.put("cached_tokens", r.cachedTokens());
    n.put("preemptions", r.numPreemptions());
    n.put("queue_time_ms", millis(r.queueTime()));
    n.put("prefill_time_ms", millis(r.prefillTime()));
    n.put("decode_time_ms", millis(r.decodeTime()));
    n.put("ttft_ms", millis(r.ttft()));
    n.put("e2e_ms", millis(r.e2eLatency()));
    return n;
  }

  private static double millis(@Nullable Duration d) {
    return d == null ? 0 : d.toNanos() / 1e6;
  }

  private static @Nullable String textOrNull(JsonNode n, String field) {
    return n.hasNonNull(field) ? n.get(field).asText() : null;
  }
}
