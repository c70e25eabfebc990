package dev.llmemu.engine.internal.exec;

import dev.llmemu.engine.internal.core.EngineCore;
import java.util.concurrent.LinkedBlockingQueue;
import org.jspecify.annotations.Nullable;

/** Commands handed over by other threads (HTTP handlers), applied on the executive thread. */
public final class RealTimeInbox implements Inbox {
  private static final Command STOP = (core, now) -> {};

  private final LinkedBlockingQueue<Command> queue = new LinkedBlockingQueue<>();
  private volatile boolean stopped;
  // The command that woke an idle executive; applied first at the next drain. Executive-only.
  private @Nullable Command woken;

  /** Hands a command to the executive; never blocks. */
  public void post(Command command) {
    queue.add(command);
  }

  /** Makes the executive return at its next look at the inbox. */
  public void stop() {
    stopped = true;
    queue.add(STOP);
  }

  public boolean isStopped() {
    return stopped;
  }

  @Override
  public void drainDue(EngineCore core, long now) {
    Command first = woken;
    if (first != null) {
      woken = null;
      first.apply(core, now);
    }
    for (Command c = queue.poll(); c != null; c = queue.poll()) {
      c.apply(core, now);
    }
  }

  @Override
  public boolean awaitWork(Clock clock) throws InterruptedException {
    if (stopped) {
      return false;
    }
    woken = queue.take();
    return !stopped;
  }
}
