package dev.llmemu.junit.spi;

import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.junit.Mode;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts servers for {@code @EmulatedVllm} in a mode other than {@link Mode#IN_PROCESS}.
 * Implementations are found with {@link java.util.ServiceLoader} (a {@code
 * META-INF/services/dev.llmemu.junit.spi.ServerLauncher} file) through the thread context class
 * loader; {@code llmemu-testcontainers} provides the one for {@link Mode#CONTAINER}.
 *
 * <p>The extension validates what it can (replicas, mode) before calling a launcher, closes every
 * handle it got back when the test class (or test) ends, and wraps an {@link
 * IllegalArgumentException} from a launcher into a configuration error naming the annotation.
 */
public interface ServerLauncher {
  /** The mode this launcher serves. */
  Mode mode();

  /**
   * Starts one replica and returns its handle, already serving; closing the handle stops it.
   *
   * @param spec what was asked for
   * @param replica which replica, from 0; it should be seeded {@code spec.seed() + replica}
   * @throws IllegalArgumentException if the configuration cannot be served
   */
  EmulatedVllmServer launch(ServerSpec spec, int replica);

  /**
   * Starts every replica of {@code spec}, in replica order. The default calls {@link #launch} for
   * each in turn and closes the ones already started if one fails; override it to start them in
   * parallel.
   *
   * @throws IllegalArgumentException if the configuration cannot be served
   */
  default List<EmulatedVllmServer> launchAll(ServerSpec spec) {
    List<EmulatedVllmServer> started = new ArrayList<>();
    try {
      for (int i = 0; i < spec.replicas(); i++) {
        started.add(launch(spec, i));
      }
      return started;
    } catch (RuntimeException e) {
      for (EmulatedVllmServer s : started) {
        try {
          s.close();
        } catch (RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }
}
