package dev.llmemu.junit.spi;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What {@code @EmulatedVllm} (or the extension's builder) asks for, for launchers.
 *
 * @param profile bundled profile name, file path or URL; null: the default profile
 * @param model served model name; null: the profile's model id
 * @param seed seed of replica 0 (replica i uses seed + i)
 * @param args further {@code vllm serve} flags
 * @param replicas number of replicas
 */
public record ServerSpec(
    @Nullable String profile, @Nullable String model, long seed, List<String> args, int replicas) {
  public ServerSpec {
    args = List.copyOf(args);
    if (replicas < 1) {
      throw new IllegalArgumentException("replicas must be at least 1, got " + replicas);
    }
  }
}
