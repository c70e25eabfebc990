package dev.llmemu.engine.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class BlockPoolTest {

  private static IntList list(int... values) {
    IntList l = new IntList(values.length);
    l.addAll(values, 0, values.length);
    return l;
  }

  @Test
  @DisplayName("block 0 is the null block: never handed out, not counted")
  void nullBlock() {
    BlockPool pool = new BlockPool(5);
    assertThat(pool.numFreeBlocks()).isEqualTo(4);
    IntList got = new IntList(4);
    pool.allocate(4, got);
    assertThat(got.toArray()).containsExactly(1, 2, 3, 4);
    assertThat(pool.usage()).isEqualTo(1.0);
  }

  @Test
  @DisplayName("freeing appends in reverse order; allocation pops the least recently freed first")
  void lruEvictionOrder() {
    BlockPool pool = new BlockPool(7);
    IntList a = new IntList(3);
    pool.allocate(3, a); // 1 2 3
    IntList b = new IntList(3);
    pool.allocate(3, b); // 4 5 6
    pool.cache(1, 11L);
    pool.cache(2, 22L);
    pool.cache(4, 44L);
    pool.free(a); // queue: 3 2 1
    pool.free(b); // queue: 3 2 1 6 5 4
    assertThat(pool.usage()).isZero();

    IntList next = new IntList(2);
    pool.allocate(2, next);
    assertThat(next.toArray()).containsExactly(3, 2);
    // 2 was cached: popping it evicts its hash; 1 and 4 are still findable
    assertThat(pool.lookup(22L)).isEqualTo(-1);
    assertThat(pool.lookup(11L)).isEqualTo(1);
    assertThat(pool.lookup(44L)).isEqualTo(4);
  }

  @Test
  @DisplayName("a prefix hit on a free cached block takes it off the free queue")
  void touchFreeBlock() {
    BlockPool pool = new BlockPool(4);
    IntList a = new IntList(3);
    pool.allocate(3, a);
    pool.cache(2, 7L);
    pool.free(a); // queue: 3 2 1
    pool.touch(2);
    assertThat(pool.numFreeBlocks()).isEqualTo(2);
    assertThat(pool.refCount(2)).isEqualTo(1);
    IntList rest = new IntList(2);
    pool.allocate(2, rest);
    assertThat(rest.toArray()).containsExactly(3, 1);
    assertThat(pool.leakedBlocks()).isZero();
  }

  @Test
  @DisplayName("two blocks with one hash: evicting the first leaves the second findable")
  void duplicateHashes() {
    BlockPool pool = new BlockPool(4);
    IntList a = new IntList(2);
    pool.allocate(2, a);
    pool.cache(1, 5L);
    pool.cache(2, 5L);
    assertThat(pool.lookup(5L)).isEqualTo(1);
    pool.free(list(1)); // queue: 3 1
    IntList x = new IntList(2);
    pool.allocate(2, x); // pops 3 then 1, evicting 1
    assertThat(pool.lookup(5L)).isEqualTo(2);
  }

  @Test
  @DisplayName("a block freed twice is a bug, reported at once")
  void doubleFree() {
    BlockPool pool = new BlockPool(3);
    IntList a = new IntList(1);
    pool.allocate(1, a);
    pool.free(a);
    assertThatThrownBy(() -> pool.free(a))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("freed twice");
  }

  @Test
  @DisplayName("over-allocation is refused")
  void overAllocation() {
    BlockPool pool = new BlockPool(3);
    assertThatThrownBy(() -> pool.allocate(3, new IntList(3)))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  @DisplayName("the prefix cache can be reset only when no block is in use")
  void resetPrefixCache() {
    BlockPool pool = new BlockPool(3);
    IntList a = new IntList(1);
    pool.allocate(1, a);
    pool.cache(1, 9L);
    assertThat(pool.resetPrefixCache()).isFalse();
    pool.free(a);
    assertThat(pool.resetPrefixCache()).isTrue();
    assertThat(pool.lookup(9L)).isEqualTo(-1);
  }
}
