package dev.llmemu.examples.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.core.ObjectMappers;
import com.openai.core.RequestOptions;
import com.openai.core.Timeout;
import com.openai.core.http.StreamResponse;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.SseException;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.Optional;
import java.util.UUID;

/**
 * {@code POST /v1/chat/completions}: one conversation turn, streamed.
 *
 * <p>The client sends {@code {"messages":[{"role":"user","content":"…"}, …], "max_tokens": N}}
 * (optional; {@code max_completion_tokens} too) and gets an OpenAI-style event stream: {@code data:
 * <chat.completion.chunk>} events, a usage event, then {@code data: [DONE]}.
 *
 * <p>What can go wrong, and what the client sees:
 *
 * <ul>
 *   <li>vLLM answers 429 or 503: the request is retried ({@link RetryPolicy}); if every attempt is
 *       refused, <b>503</b> with {@code Retry-After}.
 *   <li>vLLM sends no token for {@code tokenTimeout} before the first one (its queue is long, its
 *       KV cache full), or the whole answer would exceed {@code requestTimeout}: <b>504</b>. The
 *       connection to vLLM is closed, so vLLM drops the request and frees its KV cache.
 *   <li>Any other refusal (say, a prompt longer than the model's context): its status and message.
 *   <li>After tokens were relayed, vLLM's stream breaks, errs or stalls: the status is already 200,
 *       so the stream ends with an error event ({@code data: {"error": …}}) and {@code [DONE]}, as
 *       vLLM itself reports errors mid-stream. Never retried: the client has seen part of an
 *       answer.
 *   <li>The client goes away: the connection to vLLM is closed at the next token.
 * </ul>
 *
 * Every request carries an id ({@code X-Request-Id} from the client, or a new one) that is passed
 * to vLLM, so the service's and vLLM's logs (and a test's) can be matched.
 */
final class ChatHandler implements HttpHandler {
  private static final JsonMapper JSON = ObjectMappers.jsonMapper();
  private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);

  private final ChatServiceConfig config;
  private final OpenAIClient vllm;
  private final ServiceStats stats;

  ChatHandler(ChatServiceConfig config, OpenAIClient vllm, ServiceStats stats) {
    this.config = config;
    this.vllm = vllm;
    this.stats = stats;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!exchange.getRequestMethod().equals("POST")) {
        sendError(exchange, 405, "method_not_allowed", "use POST", null);
        return;
      }
      stats.requests.incrementAndGet();
      String requestId =
          Optional.ofNullable(exchange.getRequestHeaders().getFirst("X-Request-Id"))
              .orElseGet(() -> "chat-" + UUID.randomUUID());
      exchange.getResponseHeaders().set("X-Request-Id", requestId);
      ChatCompletionCreateParams params;
      try {
        params = params(JSON.readTree(exchange.getRequestBody()), requestId);
      } catch (IOException | IllegalArgumentException e) {
        sendError(exchange, 400, "invalid_request", e.getMessage(), null);
        return;
      }
      stats.activeStreams.incrementAndGet();
      try {
        answer(exchange, params);
      } finally {
        stats.activeStreams.decrementAndGet();
      }
    }
  }

  /** The request to vLLM: the system prompt, the client's turns, the service's caps. */
  private ChatCompletionCreateParams params(JsonNode body, String requestId) {
    JsonNode messages = body.path("messages");
    if (!messages.isArray() || messages.isEmpty()) {
      throw new IllegalArgumentException("'messages' must be a non-empty list");
    }
    int asked = body.path("max_completion_tokens").asInt(body.path("max_tokens").asInt(0));
    ChatCompletionCreateParams.Builder p =
        ChatCompletionCreateParams.builder()
            .model(config.model())
            .addSystemMessage(config.systemPrompt())
            .maxCompletionTokens(
                asked > 0 ? Math.min(asked, config.maxOutputTokens()) : config.maxOutputTokens())
            .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
            .putAdditionalHeader("X-Request-Id", requestId);
    config.vllmHeaders().forEach(p::putAdditionalHeader);
    for (JsonNode m : messages) {
      String content = m.path("content").asText("");
      switch (m.path("role").asText()) {
        case "user" -> p.addUserMessage(content);
        case "assistant" -> p.addAssistantMessage(content);
        default ->
            throw new IllegalArgumentException(
                "message roles must be 'user' or 'assistant', got " + m.path("role"));
      }
    }
    return p.build();
  }

  private void answer(HttpExchange exchange, ChatCompletionCreateParams params) throws IOException {
    long deadline = System.nanoTime() + config.requestTimeout().toNanos();
    StreamResponse<ChatCompletionChunk> stream = null;
    Iterator<ChatCompletionChunk> chunks;
    ChatCompletionChunk first;
    for (int attempt = 1; ; attempt++) {
      try {
        stream = vllm.chat().completions().createStreaming(params, options(deadline));
        chunks = stream.stream().iterator();
        if (!chunks.hasNext()) { // waits for the first token
          throw new IllegalStateException("vLLM ended the stream before the first token");
        }
        first = chunks.next();
        break;
      } catch (OpenAIServiceException e) {
        close(stream);
        Optional<Duration> wait =
            config
                .retry()
                .backoff(
                    attempt,
                    e.statusCode(),
                    e.headers().values("Retry-After").stream().findFirst());
        if (wait.isPresent() && System.nanoTime() + wait.get().toNanos() < deadline) {
          stats.retries.incrementAndGet();
          sleep(wait.get());
          continue;
        }
        stats.upstreamErrors.incrementAndGet();
        boolean busy = config.retry().retryOn().contains(e.statusCode());
        sendError(
            exchange,
            busy ? 503 : e.statusCode(),
            busy ? "upstream_busy" : "upstream_error",
            "vLLM answered "
                + e.statusCode()
                + (attempt > 1 ? " to all " + attempt + " attempts" : "")
                + ": "
                + e.getMessage(),
            busy ? "1" : null);
        return;
      } catch (RuntimeException e) {
        close(stream);
        if (isTimeout(e)) {
          stats.timeouts.incrementAndGet();
          sendError(
              exchange,
              504,
              "upstream_timeout",
              "vLLM sent no token within " + config.tokenTimeout().toMillis() + " ms",
              null);
        } else {
          stats.upstreamErrors.incrementAndGet();
          sendError(exchange, 502, "upstream_unreachable", "vLLM failed: " + e, null);
        }
        return;
      }
    }
    relay(exchange, stream, first, chunks);
  }

  /** Streams vLLM's chunks to the client as they come. */
  private void relay(
      HttpExchange exchange,
      StreamResponse<ChatCompletionChunk> stream,
      ChatCompletionChunk first,
      Iterator<ChatCompletionChunk> chunks)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
    exchange.getResponseHeaders().set("Cache-Control", "no-cache");
    try (stream) { // closing it mid-way closes the connection: vLLM aborts the request
      exchange.sendResponseHeaders(200, 0);
      OutputStream out = exchange.getResponseBody();
      for (ChatCompletionChunk chunk = first; chunk != null; ) {
        write(out, "data: " + JSON.writeValueAsString(chunk) + "\n\n");
        try {
          chunk = chunks.hasNext() ? chunks.next() : null; // waits for the next token
        } catch (RuntimeException e) {
          endWithError(out, e);
          return;
        }
      }
      write(out, DONE);
      stats.completed.incrementAndGet();
    } catch (ClientGoneException e) {
      stats.clientDisconnects.incrementAndGet();
    }
  }

  /**
   * vLLM's stream broke, erred or stalled after tokens were relayed: the status is sent already, so
   * the client learns it from an error event, as vLLM reports its own errors mid-stream.
   */
  private void endWithError(OutputStream out, RuntimeException e) {
    boolean timeout = isTimeout(e);
    (timeout ? stats.timeouts : stats.upstreamErrors).incrementAndGet();
    String message =
        timeout
            ? "vLLM stalled: no token within " + config.tokenTimeout().toMillis() + " ms"
            : e instanceof SseException
                ? "vLLM reported an error: " + e.getMessage()
                : "the stream from vLLM broke: " + e;
    ObjectNode error = JSON.createObjectNode();
    error
        .putObject("error")
        .put("message", message)
        .put("type", timeout ? "upstream_timeout" : "upstream_error")
        .put("code", timeout ? 504 : 502);
    write(out, "data: " + error + "\n\n");
    write(out, DONE);
  }

  private RequestOptions options(long deadline) {
    Duration left = Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()));
    return RequestOptions.builder()
        .timeout(
            Timeout.builder()
                .connect(Duration.ofSeconds(5))
                .read(config.tokenTimeout()) // silence on the stream: no next token
                .write(Duration.ofSeconds(10))
                .request(left) // the whole answer, streaming included
                .build())
        .build();
  }

  private static boolean isTimeout(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof InterruptedIOException) { // SocketTimeoutException, OkHttp's call time-out
        return true;
      }
    }
    return false;
  }

  private static void write(OutputStream out, String text) {
    write(out, text.getBytes(StandardCharsets.UTF_8));
  }

  private static void write(OutputStream out, byte[] bytes) {
    try {
      out.write(bytes);
      out.flush();
    } catch (IOException e) {
      throw new ClientGoneException(e);
    }
  }

  private static void sendError(
      HttpExchange exchange, int status, String type, String message, String retryAfter)
      throws IOException {
    ObjectNode body = JSON.createObjectNode();
    body.putObject("error").put("message", message).put("type", type).put("code", status);
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    if (retryAfter != null) {
      exchange.getResponseHeaders().set("Retry-After", retryAfter);
    }
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  private static void close(StreamResponse<?> stream) {
    if (stream != null) {
      stream.close();
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while backing off", e);
    }
  }

  /** Writing to the client failed: it has gone. */
  private static final class ClientGoneException extends RuntimeException {
    ClientGoneException(IOException cause) {
      super(cause);
    }
  }
}
