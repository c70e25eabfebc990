package dev.llmemu.engine.internal.core;

import java.util.Arrays;

/**
 * An open-addressing map from long keys to non-negative int values (linear probing, backward-shift
 * deletion). The prefix cache's hash → block map is updated for every block that fills or is
 * evicted, which at a thousand running requests is dozens of times per step; boxing {@code
 * HashMap<Long, Integer>} cost a third of a step there.
 */
final class LongIntHashMap {
  private static final int EMPTY = -1;

  private long[] keys;
  private int[] values;
  private int mask;
  private int size;

  LongIntHashMap(int expected) {
    int capacity = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
    allocate(capacity);
  }

  private void allocate(int capacity) {
    keys = new long[capacity];
    values = new int[capacity];
    Arrays.fill(values, EMPTY);
    mask = capacity - 1;
  }

  int size() {
    return size;
  }

  /** The value for {@code key}, or -1. */
  int get(long key) {
    for (int i = slot(key); ; i = (i + 1) & mask) {
      int v = values[i];
      if (v == EMPTY) {
        return EMPTY;
      }
      if (keys[i] == key) {
        return v;
      }
    }
  }

  /** Maps {@code key} to {@code value} unless mapped; returns the existing value or -1. */
  int putIfAbsent(long key, int value) {
    if (value < 0) {
      throw new IllegalArgumentException("negative value " + value);
    }
    int i = slot(key);
    for (; values[i] != EMPTY; i = (i + 1) & mask) {
      if (keys[i] == key) {
        return values[i];
      }
    }
    keys[i] = key;
    values[i] = value;
    if (++size * 2 > keys.length) {
      rehash(keys.length * 2);
    }
    return EMPTY;
  }

  void put(long key, int value) {
    int i = slot(key);
    for (; values[i] != EMPTY; i = (i + 1) & mask) {
      if (keys[i] == key) {
        values[i] = value;
        return;
      }
    }
    keys[i] = key;
    values[i] = value;
    if (++size * 2 > keys.length) {
      rehash(keys.length * 2);
    }
  }

  void remove(long key) {
    int i = slot(key);
    for (; values[i] != EMPTY; i = (i + 1) & mask) {
      if (keys[i] == key) {
        break;
      }
    }
    if (values[i] == EMPTY) {
      return;
    }
    size--;
    // Backward-shift the cluster after i so that lookups never stop early.
    int hole = i;
    for (int j = (i + 1) & mask; values[j] != EMPTY; j = (j + 1) & mask) {
      int home = slot(keys[j]);
      boolean movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
      if (movable) {
        keys[hole] = keys[j];
        values[hole] = values[j];
        hole = j;
      }
    }
    values[hole] = EMPTY;
  }

  void clear() {
    Arrays.fill(values, EMPTY);
    size = 0;
  }

  private int slot(long key) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h >>> 32) & mask;
  }

  private void rehash(int capacity) {
    long[] oldKeys = keys;
    int[] oldValues = values;
    allocate(capacity);
    size = 0;
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldValues[i] != EMPTY) {
        put(oldKeys[i], oldValues[i]);
      }
    }
  }
}
