package dev.llmemu.profiles.builder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where the real GPU data lives (the project's {@code ../shared/data}): system property {@code
 * llmemu.data}, else environment variable {@code LLMEMU_DATA}, else {@code shared/data} found by
 * walking up from the working directory. Code reads the data there; it is never copied into the
 * repository.
 */
public final class SharedData {
  private SharedData() {}

  /** The data folder, if it can be found. */
  public static Optional<Path> locate() {
    List<Path> candidates = new ArrayList<>();
    String prop = System.getProperty("llmemu.data");
    if (prop != null && !prop.isBlank()) {
      // An explicit location is the only one tried (set it to a missing path to run without data).
      Path p = Path.of(prop);
      return Files.isDirectory(p.resolve("aiconfigurator")) || Files.isDirectory(p.resolve("vidur"))
          ? Optional.of(p.toAbsolutePath().normalize())
          : Optional.empty();
    }
    String env = System.getenv("LLMEMU_DATA");
    if (env != null && !env.isBlank()) {
      candidates.add(Path.of(env));
    }
    Path dir = Path.of("").toAbsolutePath();
    for (int i = 0; i < 5 && dir != null; i++) {
      candidates.add(dir.resolve("shared").resolve("data"));
      candidates.add(dir.resolve("..").resolve("shared").resolve("data").normalize());
      dir = dir.getParent();
    }
    for (Path p : candidates) {
      if (Files.isDirectory(p.resolve("aiconfigurator")) || Files.isDirectory(p.resolve("vidur"))) {
        return Optional.of(p.toAbsolutePath().normalize());
      }
    }
    return Optional.empty();
  }

  /** The data folder, or an exception that says how to point llmemu at it. */
  public static Path require() {
    return locate()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "cannot find the real GPU data folder (../shared/data): set -Dllmemu.data=PATH"
                        + " or LLMEMU_DATA=PATH"));
  }
}
