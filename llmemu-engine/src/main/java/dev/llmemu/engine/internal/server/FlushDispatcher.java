package dev.llmemu.engine.internal.server;

import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

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

  /**
   * Submits the queued flushes, one task per event loop, at {@code deliverAtNanos} (the step's end,
   * or later when vLLM's API-server cost per output is modelled: then a front-end thread holds them
   * until that time). Executive thread, after each step.
   */
  void endOfStep(long deliverAtNanos) {
    if (pending.isEmpty()) {
      return;
    }
    List<Runnable> tasks = new ArrayList<>(pending.size());
    for (Map.Entry<EventLoop, List<GenerationCall>> e : pending.entrySet()) {
      List<GenerationCall> batch = e.getValue();
      if (batch.isEmpty()) {
        continue;
      }
      List<GenerationCall> mine = new ArrayList<>(batch);
      batch.clear();
      EventLoop loop = e.getKey();
      tasks.add(
          () ->
              loop.execute(
                  () -> {
                    for (GenerationCall c : mine) {
                      c.flush();
                    }
                  }));
    }
    if (deliverAtNanos - System.nanoTime() <= 20_000) {
      tasks.forEach(Runnable::run);
    } else {
      frontend().deliverAt(deliverAtNanos, tasks);
    }
  }

  private @Nullable DelayedDelivery frontend;

  private DelayedDelivery frontend() {
    DelayedDelivery f = frontend;
    if (f == null) {
      f = new DelayedDelivery();
      frontend = f;
    }
    return f;
  }

  /** Stops the front-end thread, if one was started. */
  void close() {
    DelayedDelivery f = frontend;
    if (f != null) {
      f.close();
    }
  }

  /**
   * vLLM's API-server loop, as far as timing goes: one thread that releases each step's outputs at
   * their delivery time, in step order (delivery times never decrease).
   */
  private static final class DelayedDelivery implements AutoCloseable {
    private record Batch(long at, List<Runnable> tasks) {}

    private final LinkedBlockingQueue<Batch> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;

    DelayedDelivery() {
      thread = new Thread(this::run, "llmemu-frontend-out");
      thread.setDaemon(true);
      thread.start();
    }

    void deliverAt(long at, List<Runnable> tasks) {
      queue.add(new Batch(at, tasks));
    }

    private void run() {
      try {
        while (!closed) {
          Batch b = queue.take();
          for (long wait = b.at - System.nanoTime(); wait > 0; wait = b.at - System.nanoTime()) {
            LockSupport.parkNanos(this, wait);
          }
          b.tasks.forEach(Runnable::run);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        // an event loop that rejects the task is shutting down: nothing to deliver to
      }
    }

    @Override
    public void close() {
      closed = true;
      thread.interrupt();
    }
  }
}
