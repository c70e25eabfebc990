package dev.llmemu.engine.internal.core;

import java.util.Arrays;

/** A growable list of primitive longs: token timestamps and block hashes, without boxing. */
public final class LongList {
  private long[] values;
  private int size;

  public LongList(int capacity) {
    values = new long[Math.max(4, capacity)];
  }

  public int size() {
    return size;
  }

  public long get(int index) {
    if (index >= size) {
      throw new IndexOutOfBoundsException(index + " >= " + size);
    }
    return values[index];
  }

  public long last() {
    return values[size - 1];
  }

  public void add(long value) {
    if (size == values.length) {
      values = Arrays.copyOf(values, values.length * 2);
    }
    values[size++] = value;
  }

  public long[] toArray() {
    return Arrays.copyOf(values, size);
  }
}
