package dev.llmemu.testcontainers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/** A few HTTP calls for the tests, with the JDK's client. */
final class Http {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private Http() {}

  /** GETs {@code url}; {@code headers} are name, value pairs. */
  static HttpResponse<String> get(String url, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).GET();
    if (headers.length > 0) {
      b.headers(headers);
    }
    return send(b);
  }

  static JsonNode getJson(String url) {
    HttpResponse<String> res = get(url);
    if (res.statusCode() != 200) {
      throw new IllegalStateException("GET " + url + " answered " + res.statusCode());
    }
    return json(res.body());
  }

  /** POSTs JSON; {@code headers} are name, value pairs. */
  static HttpResponse<String> postJson(String url, String body, String... headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return send(b);
  }

  /** POSTs a streaming request and returns the payloads of its {@code data:} events, in order. */
  static List<String> streamEvents(String url, String body, String... headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(TIMEOUT)
            .header("Content-Type", "application/json")
            .header("Accept", "text/event-stream")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      b.headers(headers);
    }
    HttpRequest request = b.build();
    try {
      HttpResponse<java.util.stream.Stream<String>> res =
          CLIENT.send(request, HttpResponse.BodyHandlers.ofLines());
      if (res.statusCode() != 200) {
        throw new IllegalStateException("POST " + url + " answered " + res.statusCode());
      }
      try (java.util.stream.Stream<String> lines = res.body()) {
        return lines
            .filter(l -> l.startsWith("data: "))
            .map(l -> l.substring("data: ".length()))
            .collect(Collectors.toList());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) {
    try {
      return CLIENT.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
