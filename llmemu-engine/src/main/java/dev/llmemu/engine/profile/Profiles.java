package dev.llmemu.engine.profile;

import dev.llmemu.engine.EngineConfig;
import dev.llmemu.engine.StepLatencyModel;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/** Finds hardware profiles by name. */
public final class Profiles {
  /** The profile used when none is named. */
  public static final String DEFAULT_PROFILE = "generic-linear";

  private Profiles() {}

  /** Names of the profiles that ship with llmemu. */
  public static List<String> knownNames() {
    return List.of(DEFAULT_PROFILE);
  }

  /**
   * Loads a profile by bundled name.
   *
   * @throws IllegalArgumentException naming the known profiles if there is no such profile
   */
  public static HardwareProfile load(String nameOrLocation) {
    Objects.requireNonNull(nameOrLocation, "nameOrLocation");
    if (nameOrLocation.equals(DEFAULT_PROFILE)) {
      return genericLinear();
    }
    throw new IllegalArgumentException(
        "unknown hardware profile '" + nameOrLocation + "'. Known profiles: " + knownNames());
  }

  /**
   * A first-order stand-in until measured profiles are bundled: 8 ms per step plus 25 µs per token
   * and 15 µs per sequence, with an H100's vLLM defaults and a 64k-token KV cache.
   */
  private static HardwareProfile genericLinear() {
    return new HardwareProfile(
        DEFAULT_PROFILE,
        "generic",
        "llmemu/generic-8b",
        1,
        EngineConfig.builder().numGpuBlocks(4097).maxModelLen(8192).build(),
        StepLatencyModel.linear(
            Duration.ofMillis(8), Duration.ofNanos(25_000), Duration.ofNanos(15_000)),
        "linear step model: 8 ms + 25 us/token + 15 us/sequence");
  }
}
