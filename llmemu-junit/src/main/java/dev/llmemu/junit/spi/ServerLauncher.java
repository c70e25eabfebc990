package dev.llmemu.junit.spi;

import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.junit.Mode;

/**
 * Starts servers for {@code @EmulatedVllm} in a mode other than {@link Mode#IN_PROCESS}.
 * Implementations are found with {@link java.util.ServiceLoader}; {@code llmemu-testcontainers}
 * provides the one for {@link Mode#CONTAINER}.
 */
public interface ServerLauncher {
  /** The mode this launcher serves. */
  Mode mode();

  /**
   * Starts one replica and returns its handle, already serving; closing the handle stops it.
   *
   * @throws IllegalArgumentException if the configuration cannot be served
   */
  EmulatedVllmServer launch(ServerSpec spec, int replica);
}
