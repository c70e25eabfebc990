package dev.llmemu.junit.load;

import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One request of a load run, measured on the client as {@code vllm bench serve} measures it: TTFT
 * from sending to the first streamed event with choices, ITL between later events, E2E to the last
 * event, output tokens from the usage chunk.
 *
 * @param index position in the run (0-based, warm-up excluded)
 * @param requestId the {@code X-Request-Id} sent
 * @param start when it was sent, from the start of the run
 * @param promptTokens prompt length the driver aimed for (the server's count is in usage)
 * @param outputTokens tokens generated ({@code usage.completion_tokens}, or events if no usage)
 * @param success true if the stream completed without an error
 * @param status HTTP status, or 0 if no response arrived
 * @param error what went wrong, or null
 * @param ttft time to first token, or null if none arrived
 * @param interTokenLatenciesNanos gaps between consecutive events with choices
 * @param e2eLatency time to the last event, or null
 * @param server the engine's view of the request, when the server is llmemu
 */
public record RequestRecord(
    int index,
    String requestId,
    Duration start,
    int promptTokens,
    int outputTokens,
    boolean success,
    int status,
    @Nullable String error,
    @Nullable Duration ttft,
    long[] interTokenLatenciesNanos,
    @Nullable Duration e2eLatency,
    @Nullable ServerTiming server) {

  public RequestRecord {
    interTokenLatenciesNanos = interTokenLatenciesNanos.clone();
  }

  @Override
  public long[] interTokenLatenciesNanos() {
    return interTokenLatenciesNanos.clone();
  }

  /** {@code (E2E − TTFT) / (output tokens − 1)}, or null with fewer than two tokens. */
  public @Nullable Duration tpot() {
    if (!success || ttft == null || e2eLatency == null || outputTokens < 2) {
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
        success,
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
        && success == r.success
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
}
