package dev.llmemu.testcontainers.internal;

import dev.llmemu.engine.profile.Profiles;
import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.junit.Mode;
import dev.llmemu.junit.spi.ServerLauncher;
import dev.llmemu.junit.spi.ServerSpec;
import dev.llmemu.testcontainers.LlmemuContainer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.testcontainers.containers.ContainerLaunchException;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * Runs {@code @EmulatedVllm(mode = CONTAINER)} servers: one {@link LlmemuContainer} per replica, of
 * {@link LlmemuContainer#bundledImage()} unless {@code -Dllmemu.image} (or {@code LLMEMU_IMAGE})
 * names another. Found by {@link java.util.ServiceLoader} through {@code META-INF/services}.
 */
public final class ContainerServerLauncher implements ServerLauncher {
  /** System property naming the image to run (environment variable {@code LLMEMU_IMAGE}). */
  public static final String IMAGE_PROPERTY = "llmemu.image";

  /** For {@link java.util.ServiceLoader}. */
  public ContainerServerLauncher() {}

  @Override
  public Mode mode() {
    return Mode.CONTAINER;
  }

  @Override
  public EmulatedVllmServer launch(ServerSpec spec, int replica) {
    LlmemuContainer container = container(spec, replica);
    try {
      container.start();
    } catch (ContainerLaunchException e) {
      container.stop();
      Optional<String> refused = container.getServerError();
      if (refused.isPresent()) {
        throw new IllegalArgumentException(
            refused.get()
                + " (the "
                + container.getDockerImageName()
                + " container exited at start-up; serve flags: "
                + container.getServeArgs()
                + ")",
            e);
      }
      throw e;
    } catch (RuntimeException e) {
      container.stop();
      throw e;
    }
    return EmulatedVllmServer.remote(container.getBaseUrl(), apiKey(spec), container::stop);
  }

  /** The first {@code --api-key} among the serve flags: the handle needs it for its own calls. */
  static @Nullable String apiKey(ServerSpec spec) {
    List<String> args = spec.args();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("--api-key") && i + 1 < args.size()) {
        return args.get(i + 1);
      }
      if (a.startsWith("--api-key=")) {
        return a.substring("--api-key=".length());
      }
    }
    return null;
  }

  /** The container for one replica of {@code spec}, configured but not started. */
  static LlmemuContainer container(ServerSpec spec, int replica) {
    LlmemuContainer c = new LlmemuContainer(image());
    String profile = spec.profile();
    if (profile != null) {
      applyProfile(c, profile);
    }
    String model = spec.model();
    if (model != null) {
      c.withServedModelName(model);
    }
    c.withSeed(spec.seed() + replica);
    c.withServeArgs(spec.args());
    return c;
  }

  /**
   * A bundled name goes to {@code --profile} as it is; a profile file on this machine (a path, a
   * {@code file:} URL or a {@code classpath:} resource) is copied into the container; anything else
   * (an http URL) is left to the server.
   */
  static void applyProfile(LlmemuContainer c, String profile) {
    if (Profiles.knownNames().contains(profile)) {
      c.withProfile(profile);
      return;
    }
    if (profile.startsWith("classpath:")) {
      c.withProfileFile(
          MountableFile.forClasspathResource(profile.substring("classpath:".length())));
      return;
    }
    Path file = hostFile(profile);
    if (file != null) {
      c.withProfileFile(MountableFile.forHostPath(file));
    } else {
      c.withProfile(profile);
    }
  }

  private static @Nullable Path hostFile(String profile) {
    try {
      Path p =
          profile.startsWith("file:")
              ? Path.of(URI.create(profile))
              : profile.contains("://") ? null : Path.of(profile);
      return p != null && Files.isRegularFile(p) ? p : null;
    } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
      return null;
    }
  }

  /** The image to run: {@code -Dllmemu.image}, {@code LLMEMU_IMAGE}, or the bundled one. */
  static DockerImageName image() {
    String name = System.getProperty(IMAGE_PROPERTY);
    if (name == null || name.isBlank()) {
      name = System.getenv("LLMEMU_IMAGE");
    }
    if (name == null || name.isBlank()) {
      return DockerImageName.parse(LlmemuContainer.bundledImage());
    }
    // An explicit choice, e.g. a mirror in a private registry: trust it to be an llmemu image.
    return DockerImageName.parse(name.strip()).asCompatibleSubstituteFor("llmemu/llmemu");
  }
}
