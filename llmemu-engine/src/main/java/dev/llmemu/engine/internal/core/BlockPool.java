package dev.llmemu.engine.internal.core;

/**
 * vLLM's v1 block pool ({@code vllm/v1/core/block_pool.py}): reference-counted KV blocks, a free
 * queue that also holds evictable cached blocks, and a lookup from chained block hash to cached
 * block.
 *
 * <p>The free queue is a doubly linked list over block ids kept in int arrays. Allocation pops from
 * the head (evicting a cached block's hash), freeing appends to the tail, and a prefix-cache hit on
 * a free block unlinks it wherever it is: together, LRU eviction of free cached blocks. Block 0 is
 * the null block and is never handed out, so {@code numGpuBlocks - 1} blocks are usable, as in
 * vLLM.
 */
public final class BlockPool {
  private static final int NONE = -1;

  private final int numBlocks;
  private final int[] refCount;
  private final long[] hash;
  private final boolean[] hashed;
  // Blocks that share one hash form a chain; the map points at its head (the first cached).
  private final int[] nextSameHash;
  private final int[] prev;
  private final int[] next;
  private final int head; // sentinel
  private final int tail; // sentinel
  private int numFree;
  private final LongIntHashMap cached;

  public BlockPool(int numGpuBlocks) {
    if (numGpuBlocks < 2) {
      throw new IllegalArgumentException(
          "num_gpu_blocks must be at least 2 (block 0 is reserved), got " + numGpuBlocks);
    }
    this.numBlocks = numGpuBlocks;
    this.cached = new LongIntHashMap(Math.min(numGpuBlocks, 1 << 16));
    refCount = new int[numGpuBlocks];
    hash = new long[numGpuBlocks];
    hashed = new boolean[numGpuBlocks];
    nextSameHash = new int[numGpuBlocks];
    prev = new int[numGpuBlocks + 2];
    next = new int[numGpuBlocks + 2];
    head = numGpuBlocks;
    tail = numGpuBlocks + 1;
    next[head] = tail;
    prev[tail] = head;
    prev[head] = NONE;
    next[tail] = NONE;
    // Block 0 is the null block: never on the free list.
    for (int b = 1; b < numGpuBlocks; b++) {
      append(b);
      nextSameHash[b] = NONE;
    }
    refCount[0] = 1;
  }

  public int numGpuBlocks() {
    return numBlocks;
  }

  /** Free blocks, including evictable cached ones. */
  public int numFreeBlocks() {
    return numFree;
  }

  /** KV cache usage as vLLM v0.11+ reports it: {@code 1 - free / (num_gpu_blocks - 1)}. */
  public double usage() {
    return 1.0 - (double) numFree / (numBlocks - 1);
  }

  /** Pops {@code count} blocks from the head of the free queue; the caller checked capacity. */
  public void allocate(int count, IntList into) {
    if (count > numFree) {
      throw new IllegalStateException("cannot allocate " + count + " blocks, " + numFree + " free");
    }
    for (int i = 0; i < count; i++) {
      int b = next[head];
      unlink(b);
      if (hashed[b]) {
        evict(b);
      }
      refCount[b] = 1;
      into.add(b);
    }
  }

  /** The cached block for a chained hash, or -1. */
  public int lookup(long blockHash) {
    return cached.get(blockHash);
  }

  public int refCount(int block) {
    return refCount[block];
  }

  /** Takes a reference to a prefix-cache hit, pulling it off the free queue if it was free. */
  public void touch(int block) {
    if (refCount[block] == 0) {
      unlink(block);
    }
    refCount[block]++;
  }

  /** Records the hash of a block that just became full, making it findable by later lookups. */
  public void cache(int block, long blockHash) {
    if (hashed[block]) {
      return;
    }
    hashed[block] = true;
    hash[block] = blockHash;
    nextSameHash[block] = NONE;
    int first = cached.putIfAbsent(blockHash, block);
    if (first >= 0) {
      int b = first;
      while (nextSameHash[b] != NONE) {
        b = nextSameHash[b];
      }
      nextSameHash[b] = block;
    }
  }

  /**
   * Releases a request's blocks in reverse order (its last block first), so that a request's tail
   * blocks are evicted before the shared prefix at its head.
   */
  public void free(IntList blocks) {
    int[] raw = blocks.raw();
    for (int i = blocks.size() - 1; i >= 0; i--) {
      int b = raw[i];
      if (refCount[b] <= 0) {
        throw new IllegalStateException("block " + b + " freed twice");
      }
      if (--refCount[b] == 0) {
        append(b);
      }
    }
  }

  /** Counts blocks referenced by nobody that are not on the free queue: must always be zero. */
  public int leakedBlocks() {
    boolean[] onFree = new boolean[numBlocks];
    for (int b = next[head]; b != tail; b = next[b]) {
      onFree[b] = true;
    }
    int leaked = 0;
    for (int b = 1; b < numBlocks; b++) {
      if (refCount[b] == 0 && !onFree[b]) {
        leaked++;
      }
      if (refCount[b] < 0) {
        leaked++;
      }
    }
    return leaked;
  }

  /** Sum of reference counts over all usable blocks (a block shared by two requests counts 2). */
  public long totalReferences() {
    long total = 0;
    for (int b = 1; b < numBlocks; b++) {
      total += refCount[b];
    }
    return total;
  }

  /** Drops every cached hash (vLLM's {@code /reset_prefix_cache}); blocks in use keep theirs. */
  public boolean resetPrefixCache() {
    if (numFree != numBlocks - 1) {
      return false;
    }
    cached.clear();
    for (int b = 1; b < numBlocks; b++) {
      hashed[b] = false;
      nextSameHash[b] = NONE;
    }
    return true;
  }

  private void evict(int block) {
    long h = hash[block];
    int first = cached.get(h);
    if (first == block) {
      if (nextSameHash[block] == NONE) {
        cached.remove(h);
      } else {
        cached.put(h, nextSameHash[block]);
      }
    } else {
      int b = first;
      while (nextSameHash[b] != block) {
        b = nextSameHash[b];
      }
      nextSameHash[b] = nextSameHash[block];
    }
    hashed[block] = false;
    nextSameHash[block] = NONE;
  }

  private void append(int block) {
    int last = prev[tail];
    next[last] = block;
    prev[block] = last;
    next[block] = tail;
    prev[tail] = block;
    numFree++;
  }

  private void unlink(int block) {
    int p = prev[block];
    int n = next[block];
    next[p] = n;
    prev[n] = p;
    prev[block] = NONE;
    next[block] = NONE;
    numFree--;
  }
}
