package dev.llmemu.engine.internal.core;

import java.util.Arrays;

/** A growable list of primitive ints: request token ids and block tables, without boxing. */
public final class IntList {
  private int[] values;
  private int size;

  public IntList(int capacity) {
    values = new int[Math.max(4, capacity)];
  }

  public int size() {
    return size;
  }

  public int get(int index) {
    if (index >= size) {
      throw new IndexOutOfBoundsException(index + " >= " + size);
    }
    return values[index];
  }

  public void add(int value) {
    if (size == values.length) {
      values = Arrays.copyOf(values, values.length * 2);
    }
    values[size++] = value;
  }

  public void addAll(int[] source, int from, int to) {
    int count = to - from;
    if (size + count > values.length) {
      values = Arrays.copyOf(values, Math.max(values.length * 2, size + count));
    }
    System.arraycopy(source, from, values, size, count);
    size += count;
  }

  public void clear() {
    size = 0;
  }

  public int[] toArray() {
    return Arrays.copyOf(values, size);
  }

  /** The backing array; only indices below {@link #size()} are meaningful. */
  int[] raw() {
    return values;
  }
}
