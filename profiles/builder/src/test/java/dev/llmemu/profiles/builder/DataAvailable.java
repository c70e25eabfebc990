package dev.llmemu.profiles.builder;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;

/**
 * Data-dependent tests run only where ../shared/data exists (CI has it; a user's clone may not).
 */
public final class DataAvailable {
  private DataAvailable() {}

  /** The data folder, or skips the calling test with the reason. */
  public static Path require() {
    var data = SharedData.locate();
    assumeTrue(
        data.isPresent(),
        "skipped: the real GPU data folder ../shared/data is absent (set -Dllmemu.data=PATH to run)");
    return data.get();
  }
}
