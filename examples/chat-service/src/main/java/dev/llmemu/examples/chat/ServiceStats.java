package dev.llmemu.examples.chat;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** The service's counters, as a dashboard would show them. Thread-safe. */
public final class ServiceStats {
  final AtomicLong requests = new AtomicLong();
  final AtomicLong completed = new AtomicLong();
  final AtomicLong retries = new AtomicLong();
  final AtomicLong timeouts = new AtomicLong();
  final AtomicLong upstreamErrors = new AtomicLong();
  final AtomicLong clientDisconnects = new AtomicLong();
  final AtomicInteger activeStreams = new AtomicInteger();

  /**
   * A moment's counts.
   *
   * @param requests chat requests received
   * @param completed answers streamed to the end
   * @param retries extra attempts made at vLLM (a request answered at the third attempt counts 2)
   * @param timeouts requests given up because vLLM was too slow (504, or an error event mid-stream)
   * @param upstreamErrors requests that failed because of vLLM's answer (after any retries)
   * @param clientDisconnects clients that left before their answer ended
   * @param activeStreams requests now being answered (open connections to vLLM)
   */
  public record Snapshot(
      long requests,
      long completed,
      long retries,
      long timeouts,
      long upstreamErrors,
      long clientDisconnects,
      int activeStreams) {}

  Snapshot snapshot() {
    return new Snapshot(
        requests.get(),
        completed.get(),
        retries.get(),
        timeouts.get(),
        upstreamErrors.get(),
        clientDisconnects.get(),
        activeStreams.get());
  }
}
