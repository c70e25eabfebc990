package dev.llmemu.junit.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.junit.Mode;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class ServerLauncherTest {

  @Test
  void launchAllStartsEveryReplicaInOrderAndClosesThemIfOneFails() {
    List<String> events = new CopyOnWriteArrayList<>();
    ServerLauncher launcher =
        new ServerLauncher() {
          @Override
          public Mode mode() {
            return Mode.CONTAINER;
          }

          @Override
          public EmulatedVllmServer launch(ServerSpec spec, int replica) {
            if (replica == 2) {
              throw new IllegalArgumentException("no room for replica 2");
            }
            events.add("start " + replica);
            return EmulatedVllmServer.remote(
                "http://127.0.0.1:" + (9000 + replica), () -> events.add("stop " + replica));
          }
        };

    List<EmulatedVllmServer> two = launcher.launchAll(new ServerSpec(null, null, 0, List.of(), 2));
    assertThat(two).extracting(EmulatedVllmServer::port).containsExactly(9000, 9001);

    events.clear();
    assertThatThrownBy(() -> launcher.launchAll(new ServerSpec(null, null, 0, List.of(), 3)))
        .hasMessage("no room for replica 2");
    assertThat(events).containsExactly("start 0", "start 1", "stop 0", "stop 1");
  }

  @Test
  void specsNeedAReplica() {
    assertThatThrownBy(() -> new ServerSpec(null, null, 0, List.of(), 0))
        .hasMessage("replicas must be at least 1, got 0");
  }
}
