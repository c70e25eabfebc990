package dev.llmemu.engine.internal.core;

import java.nio.charset.StandardCharsets;

/**
 * vLLM's KV cache manager for one full-attention group ({@code kv_cache_manager.py} with {@code
 * FullAttentionManager}): prefix-cache lookup over chained block hashes, slot allocation that
 * caches full blocks immediately, and freeing.
 */
public final class KvCacheManager {
  private final BlockPool pool;
  private final int blockSize;
  private final int maxModelLen;
  private final boolean prefixCaching;
  private final long noneHash;

  /** Scratch list of the blocks found by the last {@link #findCachedPrefix} call. */
  private final IntList hitBlocks = new IntList(64);

  public KvCacheManager(
      int numGpuBlocks, int blockSize, int maxModelLen, boolean prefixCaching, long seed) {
    this.pool = new BlockPool(numGpuBlocks);
    this.blockSize = blockSize;
    this.maxModelLen = maxModelLen;
    this.prefixCaching = prefixCaching;
    // vLLM seeds the chain with a per-process random NONE_HASH; ours is fixed by the engine seed.
    this.noneHash = mix(0x6A09E667F3BCC908L, seed);
  }

  public BlockPool pool() {
    return pool;
  }

  public int blockSize() {
    return blockSize;
  }

  /** Extends the request's block hashes over every newly full block of its tokens. */
  void updateBlockHashes(Request r) {
    int full = r.numTokens / blockSize;
    int[] t = r.tokenIds;
    while (r.blockHashes.size() < full) {
      int i = r.blockHashes.size();
      long h = i == 0 ? rootHash(r) : r.blockHashes.last();
      int from = i * blockSize;
      for (int k = from; k < from + blockSize; k++) {
        h = mix(h, t[k]);
      }
      r.blockHashes.add(fmix(h));
    }
  }

  private long rootHash(Request r) {
    String salt = r.spec.cacheSalt();
    if (salt == null) {
      return noneHash;
    }
    long h = noneHash;
    for (byte b : salt.getBytes(StandardCharsets.UTF_8)) {
      h = mix(h, b);
    }
    return fmix(h);
  }

  /**
   * Prefix-cache lookup ({@code get_computed_blocks}): walks the request's block hashes until the
   * first miss, never covering the last token. Returns the hit tokens; the hit blocks are left in
   * {@link #hitBlocks()} for {@link #allocateSlots}.
   */
  int findCachedPrefix(Request r) {
    hitBlocks.clear();
    if (!prefixCaching || r.spec.skipPrefixCache()) {
      return 0;
    }
    int maxBlocks = (r.numTokens() - 1) / blockSize;
    int n = Math.min(maxBlocks, r.blockHashes.size());
    for (int i = 0; i < n; i++) {
      int b = pool.lookup(r.blockHashes.get(i));
      if (b < 0) {
        break;
      }
      hitBlocks.add(b);
    }
    return hitBlocks.size() * blockSize;
  }

  IntList hitBlocks() {
    return hitBlocks;
  }

  /**
   * {@code allocate_slots}: makes room for {@code numNewTokens} more tokens after the request's
   * computed tokens and the prefix hit, or returns false and changes nothing if the free pool is
   * too small. Newly full blocks are cached at once, as vLLM does.
   */
  boolean allocateSlots(Request r, int numNewTokens, IntList hits, int numHitTokens) {
    int computed = r.numComputedTokens + numHitTokens;
    int needSlots = Math.min(computed + numNewTokens, maxModelLen);
    int required = (needSlots + blockSize - 1) / blockSize;
    int numNew = required - r.blocks.size() - hits.size();
    int evictableHits = 0;
    for (int i = 0; i < hits.size(); i++) {
      if (pool.refCount(hits.get(i)) == 0) {
        evictableHits++;
      }
    }
    if (numNew + evictableHits > pool.numFreeBlocks()) {
      return false;
    }
    for (int i = 0; i < hits.size(); i++) {
      int b = hits.get(i);
      pool.touch(b);
      r.blocks.add(b);
    }
    if (hits.size() > 0) {
      r.numCachedBlocks = r.blocks.size();
    }
    if (numNew > 0) {
      pool.allocate(numNew, r.blocks);
    }
    if (prefixCaching) {
      int toCache = Math.min(computed + numNewTokens, r.numTokens());
      int fullBlocks = toCache / blockSize;
      for (int i = r.numCachedBlocks; i < fullBlocks; i++) {
        pool.cache(r.blocks.get(i), r.blockHashes.get(i));
      }
      r.numCachedBlocks = Math.max(r.numCachedBlocks, fullBlocks);
    }
    return true;
  }

  /** Frees the request's blocks in reverse order; cached ones stay findable until evicted. */
  void free(Request r) {
    pool.free(r.blocks);
    r.blocks.clear();
    r.numCachedBlocks = 0;
  }

  public double usage() {
    return pool.usage();
  }

  private static long mix(long h, long value) {
    h ^= value * 0x9E3779B97F4A7C15L;
    return Long.rotateLeft(h, 29) * 0xBF58476D1CE4E5B9L;
  }

  private static long fmix(long h) {
    h ^= h >>> 33;
    h *= 0xFF51AFD7ED558CCDL;
    h ^= h >>> 33;
    h *= 0xC4CEB9FE1A85EC53L;
    h ^= h >>> 33;
    return h;
  }
}
