package dev.llmemu.junit.load;

import java.util.Objects;

/**
 * Why a request of a load run failed.
 *
 * @param kind what went wrong, for counting and asserting
 * @param message the detail: the HTTP status and body, the error event's message, the exception
 */
public record RequestError(Kind kind, String message) {

  /** The kinds of failure the load driver tells apart. */
  public enum Kind {
    /** The server answered an HTTP error status (4xx, 5xx) instead of a stream. */
    HTTP_STATUS,
    /** The stream carried an error event ({@code data: {"error": …}}) mid-way. */
    STREAM_ERROR,
    /** The request took longer than {@link LoadTest#requestTimeout}. */
    TIMEOUT,
    /**
     * The connection failed or was closed before {@code data: [DONE]}: refused, reset, dropped
     * mid-stream.
     */
    CONNECTION,
    /** The server answered something that is not an OpenAI stream (no event with choices). */
    INVALID_RESPONSE
  }

  public RequestError {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(message, "message");
  }

  @Override
  public String toString() {
    return kind + ": " + message;
  }
}
