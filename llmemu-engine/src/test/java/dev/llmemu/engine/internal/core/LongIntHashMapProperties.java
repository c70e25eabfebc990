package dev.llmemu.engine.internal.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** The primitive map behaves as a {@code HashMap} under random puts, removes and lookups. */
class LongIntHashMapProperties {

  @TestFactory
  Stream<DynamicTest> behavesLikeHashMap() {
    return LongStream.range(0, 300)
        .mapToObj(seed -> DynamicTest.dynamicTest("seed " + seed, () -> behavesLikeHashMap(seed)));
  }

  private static void behavesLikeHashMap(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    LongIntHashMap map = new LongIntHashMap(random.nextInt(1, 64));
    Map<Long, Integer> reference = new HashMap<>();
    // a small key space makes collisions, clusters and re-insertions common
    int keySpace = random.nextInt(1, 500);
    for (int op = 0; op < 3000; op++) {
      long key = random.nextInt(keySpace) * (random.nextBoolean() ? 1L : 0x100000000L);
      switch (random.nextInt(4)) {
        case 0 -> {
          int v = random.nextInt(1_000_000);
          Integer old = reference.putIfAbsent(key, v);
          assertThat(map.putIfAbsent(key, v)).isEqualTo(old == null ? -1 : old);
        }
        case 1 -> {
          int v = random.nextInt(1_000_000);
          reference.put(key, v);
          map.put(key, v);
        }
        case 2 -> {
          reference.remove(key);
          map.remove(key);
        }
        default -> {
          Integer expected = reference.get(key);
          assertThat(map.get(key)).isEqualTo(expected == null ? -1 : expected);
        }
      }
      assertThat(map.size()).isEqualTo(reference.size());
    }
    for (Map.Entry<Long, Integer> e : reference.entrySet()) {
      assertThat(map.get(e.getKey())).isEqualTo(e.getValue());
    }
  }
}
