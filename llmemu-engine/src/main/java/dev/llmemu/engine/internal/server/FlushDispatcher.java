package dev.llmemu.engine.internal.server;

import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hands the calls that got outputs in an engine step to their event loops in one task per loop at
 * the end of the step, instead of one task (and one wake-up) per request: with hundreds of streams
 * per step this keeps the event loops' wake-ups, and so the SSE write times, steady. Used on the
 * executive thread only.
 */
final class FlushDispatcher {
  private final Map<EventLoop, List<GenerationCall>> pending = new IdentityHashMap<>();

  /** Queues a call's flush for the end of the current step. Executive thread. */
  void schedule(EventLoop loop, GenerationCall call) {
    pending.computeIfAbsent(loop, l -> new ArrayList<>()).add(call);
  }

  /** Submits the queued flushes, one task per event loop. Executive thread, after each step. */
  void endOfStep() {
    if (pending.isEmpty()) {
      return;
    }
    for (Map.Entry<EventLoop, List<GenerationCall>> e : pending.entrySet()) {
      List<GenerationCall> batch = e.getValue();
      if (batch.isEmpty()) {
        continue;
      }
      List<GenerationCall> mine = new ArrayList<>(batch);
      batch.clear();
      e.getKey()
          .execute(
              () -> {
                for (GenerationCall c : mine) {
                  c.flush();
                }
              });
    }
  }
}
