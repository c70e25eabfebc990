package dev.llmemu.engine.internal.core;

import dev.llmemu.engine.SchedulingPolicy;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.PriorityQueue;

/**
 * vLLM's {@code waiting} queue ({@code request_queue.py}): a deque for FCFS, where preempted
 * requests go back to the front, or a heap ordered by {@code (priority, arrival, request)}.
 */
abstract class WaitingQueue {
  static WaitingQueue create(SchedulingPolicy policy) {
    return policy == SchedulingPolicy.PRIORITY ? new Priority() : new Fcfs();
  }

  abstract void add(Request r);

  /** Puts a preempted request back: at the front for FCFS, into the heap for priority. */
  abstract void prepend(Request r);

  abstract Request peek();

  abstract Request poll();

  abstract boolean remove(Request r);

  abstract int size();

  final boolean isEmpty() {
    return size() == 0;
  }

  private static final class Fcfs extends WaitingQueue {
    private final ArrayDeque<Request> deque = new ArrayDeque<>();

    @Override
    void add(Request r) {
      deque.addLast(r);
    }

    @Override
    void prepend(Request r) {
      deque.addFirst(r);
    }

    @Override
    Request peek() {
      return deque.getFirst();
    }

    @Override
    Request poll() {
      return deque.removeFirst();
    }

    @Override
    boolean remove(Request r) {
      return deque.remove(r);
    }

    @Override
    int size() {
      return deque.size();
    }
  }

  private static final class Priority extends WaitingQueue {
    // Request.__lt__: (priority, arrival_time) then the request itself; seq keeps ties stable.
    private final PriorityQueue<Request> heap =
        new PriorityQueue<>(
            Comparator.<Request>comparingInt(r -> r.spec.priority())
                .thenComparingLong(r -> r.arrivalNanos)
                .thenComparingLong(r -> r.seq));

    @Override
    void add(Request r) {
      heap.add(r);
    }

    @Override
    void prepend(Request r) {
      heap.add(r);
    }

    @Override
    Request peek() {
      Request r = heap.peek();
      if (r == null) {
        throw new java.util.NoSuchElementException();
      }
      return r;
    }

    @Override
    Request poll() {
      Request r = heap.poll();
      if (r == null) {
        throw new java.util.NoSuchElementException();
      }
      return r;
    }

    @Override
    boolean remove(Request r) {
      return heap.remove(r);
    }

    @Override
    int size() {
      return heap.size();
    }
  }
}
