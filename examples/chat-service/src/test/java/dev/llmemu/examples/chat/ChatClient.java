package dev.llmemu.examples.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.IntFunction;
import java.util.stream.IntStream;

/** A client of the chat service, as its front end would be: posts a turn, reads the stream. */
final class ChatClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().build();
  private final String baseUrl;

  ChatClient(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  /** The outcome of one turn: the status and, for a stream, its events up to {@code [DONE]}. */
  record Answer(int status, Optional<String> retryAfter, List<JsonNode> events, String body) {

    /** The assistant's text, put together from the stream. */
    String text() {
      StringBuilder s = new StringBuilder();
      for (JsonNode e : events) {
        e.path("choices").forEach(c -> s.append(c.path("delta").path("content").asText("")));
      }
      return s.toString();
    }

    /** The stream's error event, if it ended with one. */
    Optional<JsonNode> streamError() {
      return events.stream().filter(e -> e.has("error")).findFirst().map(e -> e.get("error"));
    }

    /** {@code usage.completion_tokens} of the stream's usage event, or -1. */
    int completionTokens() {
      return events.stream()
          .filter(e -> e.path("usage").has("completion_tokens"))
          .mapToInt(e -> e.path("usage").path("completion_tokens").asInt())
          .findFirst()
          .orElse(-1);
    }

    /** The error JSON of a non-200 answer. */
    JsonNode error() {
      try {
        return JSON.readTree(body).path("error");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** Starts {@code n} calls at once, each on its own thread, as {@code n} users would. */
  static List<CompletableFuture<Answer>> atOnce(int n, IntFunction<Answer> call) {
    ExecutorService users = Executors.newFixedThreadPool(n);
    try {
      return IntStream.range(0, n)
          .mapToObj(i -> CompletableFuture.supplyAsync(() -> call.apply(i), users))
          .toList();
    } finally {
      users.shutdown(); // the calls go on; the threads end with them
    }
  }

  Answer ask(String question, int maxTokens) {
    return ask(question, maxTokens, Optional.empty());
  }

  Answer ask(String question, int maxTokens, Optional<String> requestId) {
    String body =
        JSON.createObjectNode()
            .put("max_tokens", maxTokens)
            .set(
                "messages",
                JSON.createArrayNode()
                    .add(JSON.createObjectNode().put("role", "user").put("content", question)))
            .toString();
    return post(body, requestId);
  }

  /** Posts {@code json} as it is, for requests the typed helper cannot make. */
  Answer post(String json, Optional<String> requestId) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(baseUrl + "/v1/chat/completions"))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json));
    requestId.ifPresent(id -> request.header("X-Request-Id", id));
    try {
      HttpResponse<java.io.InputStream> response =
          http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      Optional<String> retryAfter = response.headers().firstValue("Retry-After");
      try (BufferedReader reader =
          new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
        if (response.statusCode() != 200) {
          StringBuilder text = new StringBuilder();
          reader.lines().forEach(text::append);
          return new Answer(response.statusCode(), retryAfter, List.of(), text.toString());
        }
        List<JsonNode> events = new ArrayList<>();
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
          if (line.equals("data: [DONE]")) {
            return new Answer(200, retryAfter, events, "");
          }
          if (line.startsWith("data: ")) {
            events.add(JSON.readTree(line.substring(6)));
          }
        }
        throw new IllegalStateException("the stream ended without [DONE] after " + events);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
