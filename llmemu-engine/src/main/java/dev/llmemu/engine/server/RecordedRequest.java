package dev.llmemu.engine.server;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One HTTP request as the server received it, with the fields of an OpenAI request that tests
 * usually check. Immutable. Taken from {@link EmulatedVllmServer#takeRequest()} in arrival order.
 */
public final class RecordedRequest {
  private final long sequenceNumber;
  private final Instant receivedAt;
  private final String method;
  private final String target;
  private final Map<String, List<String>> headers;
  private final byte[] body;
  private final int status;
  private final @Nullable String model;
  private final boolean stream;
  private final @Nullable Integer maxTokens;
  private final int n;
  private final @Nullable Integer promptTokens;
  private final @Nullable String responseId;

  /** Built by the server. */
  public RecordedRequest(
      long sequenceNumber,
      Instant receivedAt,
      String method,
      String target,
      Map<String, List<String>> headers,
      byte[] body,
      int status,
      @Nullable String model,
      boolean stream,
      @Nullable Integer maxTokens,
      int n,
      @Nullable Integer promptTokens,
      @Nullable String responseId) {
    this.sequenceNumber = sequenceNumber;
    this.receivedAt = receivedAt;
    this.method = method;
    this.target = target;
    this.headers = Map.copyOf(headers);
    this.body = body.clone();
    this.status = status;
    this.model = model;
    this.stream = stream;
    this.maxTokens = maxTokens;
    this.n = n;
    this.promptTokens = promptTokens;
    this.responseId = responseId;
  }

  /** 0 for the first request the server received, then 1, 2, … */
  public long sequenceNumber() {
    return sequenceNumber;
  }

  public Instant receivedAt() {
    return receivedAt;
  }

  public String method() {
    return method;
  }

  /** The request target as sent, query string included (e.g. {@code /v1/models?x=1}). */
  public String target() {
    return target;
  }

  /** The path, without the query string. */
  public String path() {
    int q = target.indexOf('?');
    return q < 0 ? target : target.substring(0, q);
  }

  /** Headers by lower-case name. */
  public Map<String, List<String>> headers() {
    return headers;
  }

  /** The first value of a header (case-insensitive), or null. */
  public @Nullable String header(String name) {
    List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  public byte[] body() {
    return body.clone();
  }

  public String bodyAsString() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /** The HTTP status the server answered with (200 for an accepted stream). */
  public int status() {
    return status;
  }

  /** The {@code model} field of an OpenAI request, or null. */
  public @Nullable String model() {
    return model;
  }

  /** The {@code stream} field of an OpenAI request. */
  public boolean stream() {
    return stream;
  }

  /**
   * The requested output limit ({@code max_completion_tokens}, else {@code max_tokens}; 16 for
   * completions when absent), or null.
   */
  public @Nullable Integer maxTokens() {
    return maxTokens;
  }

  /** The {@code n} field (1 when absent). */
  public int n() {
    return n;
  }

  /** Prompt tokens after tokenization and the chat template, or null if not known. */
  public @Nullable Integer promptTokens() {
    return promptTokens;
  }

  /** The response id ({@code cmpl-…}, {@code chatcmpl-…}) of a generation request, or null. */
  public @Nullable String responseId() {
    return responseId;
  }

  @Override
  public String toString() {
    return "RecordedRequest{#"
        + sequenceNumber
        + " "
        + method
        + " "
        + target
        + " -> "
        + status
        + "}";
  }
}
