package dev.llmemu.junit;

import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.junit.spi.ServerLauncher;
import dev.llmemu.junit.spi.ServerSpec;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Stands in for llmemu-testcontainers' launcher: "starts a container" by starting an in-process
 * server and handing back a remote handle on it, as a container launcher would. Registered only
 * through {@code fake-container-launcher/META-INF/services}, which a test puts on the context class
 * loader while it runs.
 */
public final class FakeContainerLauncher implements ServerLauncher {
  static final List<String> LAUNCHED = new CopyOnWriteArrayList<>();
  static final List<EmulatedVllmServer> BEHIND = new CopyOnWriteArrayList<>();

  @Override
  public Mode mode() {
    return Mode.CONTAINER;
  }

  @Override
  public EmulatedVllmServer launch(ServerSpec spec, int replica) {
    if ("/profiles/broken.json".equals(spec.profile())) {
      throw new IllegalArgumentException("image llmemu:test has no file /profiles/broken.json");
    }
    LAUNCHED.add(spec + " #" + replica);
    EmulatedVllmServer.Builder b =
        EmulatedVllmServer.builder()
            .seed(spec.seed() + replica)
            .args(spec.args().toArray(new String[0]));
    if (spec.profile() != null) {
      b.profile(spec.profile());
    }
    EmulatedVllmServer inside = b.start();
    BEHIND.add(inside);
    LAUNCHED.add("seeded " + inside.engine().orElseThrow().config().seed());
    return EmulatedVllmServer.remote(inside.baseUrl(), inside::close);
  }
}
