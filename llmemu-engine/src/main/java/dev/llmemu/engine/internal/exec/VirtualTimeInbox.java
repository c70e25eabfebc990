package dev.llmemu.engine.internal.exec;

import dev.llmemu.engine.internal.core.EngineCore;
import java.util.PriorityQueue;

/**
 * Timed commands of a simulation (arrivals, client cancellations), ordered by (time, insertion).
 * When the engine is idle the clock jumps to the next one.
 */
public final class VirtualTimeInbox implements Inbox {
  private record Timed(long time, long seq, Command command) {}

  private final PriorityQueue<Timed> events =
      new PriorityQueue<>(
          (a, b) -> a.time != b.time ? Long.compare(a.time, b.time) : Long.compare(a.seq, b.seq));
  private long seq;

  public void schedule(long time, Command command) {
    events.add(new Timed(time, seq++, command));
  }

  public boolean isEmpty() {
    return events.isEmpty();
  }

  @Override
  public void drainDue(EngineCore core, long now) {
    while (!events.isEmpty() && events.peek().time <= now) {
      events.poll().command.apply(core, now);
    }
  }

  @Override
  public boolean awaitWork(Clock clock) {
    Timed next = events.peek();
    if (next == null) {
      return false;
    }
    ((VirtualClock) clock).advanceTo(next.time);
    return true;
  }
}
