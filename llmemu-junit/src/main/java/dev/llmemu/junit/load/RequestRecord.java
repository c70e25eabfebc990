package dev.llmemu.junit.load;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One request of a load run, measured on the client as {@code vllm bench serve} measures it: TTFT
 * from just before sending to the first streamed event with choices, ITL between later events, E2E
 * to the last event (for chat, the last event of any kind but {@code [DONE]}), output tokens from
 * the usage event.
 *
 * @param index position in the run (0-based, warm-up excluded)
 * @param requestId the {@code X-Request-Id} sent
 * @param start when it was sent, from the start of the run
 * @param promptTokens prompt length: the driver's count for prompts it built (as {@code vllm bench}
 *     counts on the client), the server's {@code usage.prompt_tokens} for your own prompts
 * @param outputTokens tokens generated ({@code usage.completion_tokens}, or the content events if
 *     the server sent no usage)
 * @param status HTTP status, or 0 if no response arrived
 * @param error why it failed, or null if it succeeded
 * @param ttft time to first token, or null if none arrived
 * @param interTokenLatenciesNanos gaps between consecutive events with choices, in nanoseconds
 * @param e2eLatency time to the last event, or null if the request failed
 * @param server the engine's view of the request, when the server is llmemu
 */
public record RequestRecord(
    int index,
    String requestId,
    Duration start,
    int promptTokens,
    int outputTokens,
    int status,
    @Nullable RequestError error,
    @Nullable Duration ttft,
    long[] interTokenLatenciesNanos,
    @Nullable Duration e2eLatency,
    @Nullable ServerTiming server) {

  public RequestRecord {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(start, "start");
    interTokenLatenciesNanos = interTokenLatenciesNanos.clone();
    if (error == null && (ttft == null || e2eLatency == null)) {
      throw new IllegalArgumentException(
          "a successful request needs its TTFT and E2E latency: " + requestId);
    }
  }

  /** True if the stream completed without an error. */
  public boolean success() {
    return error == null;
  }

  @Override
  public long[] interTokenLatenciesNanos() {
    return interTokenLatenciesNanos.clone();
  }

  /** Number of inter-token gaps, without copying them. */
  public int interTokenLatencyCount() {
    return interTokenLatenciesNanos.length;
  }

  /**
   * {@code (E2E − TTFT) / (output tokens − 1)} as {@code vllm bench serve} computes it, or null for
   * a failed request or one with fewer than two output tokens.
   */
  public @Nullable Duration tpot() {
    if (error != null || ttft == null || e2eLatency == null || outputTokens < 2) {
      return null;
    }
    return e2eLatency.minus(ttft).dividedBy(outputTokens - 1);
  }

  /** The same record with the server's timing attached. */
  public RequestRecord withServer(@Nullable ServerTiming timing) {
    return new RequestRecord(
        index,
        requestId,
        start,
        promptTokens,
        outputTokens,
        status,
        error,
        ttft,
        interTokenLatenciesNanos,
        e2eLatency,
        timing);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof RequestRecord r
        && index == r.index
        && requestId.equals(r.requestId)
        && start.equals(r.start)
        && promptTokens == r.promptTokens
        && outputTokens == r.outputTokens
        && status == r.status
        && Objects.equals(error, r.error)
        && Objects.equals(ttft, r.ttft)
        && Arrays.equals(interTokenLatenciesNanos, r.interTokenLatenciesNanos)
        && Objects.equals(e2eLatency, r.e2eLatency)
        && Objects.equals(server, r.server);
  }

  @Override
  public int hashCode() {
    return Objects.hash(index, requestId, start, outputTokens, ttft, e2eLatency);
  }

  /** One line: {@code #3 id: TTFT 41.0 ms, E2E 812.5 ms, 128 tokens} or the error. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder().append('#').append(index).append(' ').append(requestId);
    if (error != null) {
      s.append(": failed, ").append(error);
    } else {
      s.append(": TTFT ")
          .append(ms(ttft))
          .append(", E2E ")
          .append(ms(e2eLatency))
          .append(", ")
          .append(outputTokens)
          .append(" tokens");
    }
    return s.toString();
  }

  private static String ms(@Nullable Duration d) {
    return d == null ? "-" : String.format(Locale.ROOT, "%.1f ms", d.toNanos() / 1e6);
  }
}
