package dev.llmemu.engine.server;

import java.util.ArrayDeque;
import java.util.List;

/** The most recent entries, up to a bound: thread-safe, oldest dropped first. */
final class BoundedLog<T> {
  private final int capacity;
  private final ArrayDeque<T> entries = new ArrayDeque<>();

  BoundedLog(int capacity) {
    this.capacity = capacity;
  }

  synchronized void add(T entry) {
    if (entries.size() == capacity) {
      entries.removeFirst();
    }
    entries.addLast(entry);
  }

  synchronized List<T> snapshot() {
    return List.copyOf(entries);
  }

  synchronized void clear() {
    entries.clear();
  }
}
