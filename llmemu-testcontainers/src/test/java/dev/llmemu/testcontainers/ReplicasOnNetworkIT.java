package dev.llmemu.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmemu.engine.server.EmulatedVllmServer;
import dev.llmemu.engine.server.RecordedRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;
import org.testcontainers.lifecycle.Startables;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * Two emulated replicas on one Docker network, reached by their aliases from a third container
 * (built from the llmemu image too: nothing can be pulled) and by mapped ports from the host.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReplicasOnNetworkIT {
  private static final String CLIENT_CLASS = "dev/llmemu/testcontainers/client/AliasClient.class";

  @Test
  void replicasAnswerByAliasFromAnotherContainerAndFromTheHost() throws InterruptedException {
    String image = TestImages.llmemu();
    // tag::network[]
    try (Network network = Network.newNetwork();
        LlmemuContainer a =
            new LlmemuContainer(LlmemuContainer.bundledImage())
                .withNetwork(network)
                .withNetworkAliases("vllm-a")
                .withServedModelName("replica-a")
                .withSeed(1);
        LlmemuContainer b =
            new LlmemuContainer(LlmemuContainer.bundledImage())
                .withNetwork(network)
                .withNetworkAliases("vllm-b")
                .withServedModelName("replica-b")
                .withSeed(2)) {
      Startables.deepStart(a, b).join(); // in parallel
      // containers on `network` reach http://vllm-a:8000 and http://vllm-b:8000;
      // this JVM reaches a.getBaseUrl() and b.getBaseUrl()
      // end::network[]

      try (GenericContainer<?> client =
          new GenericContainer<>(DockerImageName.parse(image))
              .withNetwork(network)
              .withCopyFileToContainer(
                  MountableFile.forClasspathResource(CLIENT_CLASS), "/client/" + CLIENT_CLASS)
              .withCreateContainerCmdModifier(
                  cmd ->
                      cmd.withEntrypoint(
                          "java", "-cp", "/client", "dev.llmemu.testcontainers.client.AliasClient"))
              .withCommand("http://vllm-a:8000", "http://vllm-b:8000")
              .withStartupCheckStrategy(
                  new OneShotStartupCheckStrategy().withTimeout(Duration.ofSeconds(60)))) {
        client.start(); // returns once the client exited 0

        assertThat(client.getLogs())
            .contains(
                "http://vllm-a:8000 model=replica-a finish_reason=length",
                "http://vllm-b:8000 model=replica-b finish_reason=length");
      }

      record Replica(LlmemuContainer container, String alias, String model) {}
      for (Replica r :
          List.of(new Replica(a, "vllm-a", "replica-a"), new Replica(b, "vllm-b", "replica-b"))) {
        LlmemuContainer replica = r.container();
        String alias = r.alias();
        String model = r.model();
        try (EmulatedVllmServer server = EmulatedVllmServer.remote(replica.getBaseUrl())) {
          RecordedRequest models = server.takeRequest(Duration.ofSeconds(10));
          RecordedRequest chat = server.takeRequest(Duration.ofSeconds(10));
          // the third container came by the alias, over the network
          assertThat(models).isNotNull();
          assertThat(models.path()).isEqualTo("/v1/models");
          assertThat(chat).isNotNull();
          assertThat(chat.path()).isEqualTo("/v1/chat/completions");
          assertThat(chat.header("Host")).isEqualTo(alias + ":8000");
          assertThat(chat.header("X-Llmemu-Client")).isEqualTo("alias-client");
          assertThat(chat.model()).isEqualTo(model);

          // and the host reaches the same replica through its mapped port
          assertThat(Http.getJson(replica.getOpenAiBaseUrl() + "/models").at("/data/0/id").asText())
              .isEqualTo(model);
          RecordedRequest fromHost = server.takeRequest(Duration.ofSeconds(10));
          assertThat(fromHost).isNotNull();
          assertThat(fromHost.header("Host"))
              .isEqualTo(replica.getHost() + ":" + replica.getPort());
        }
      }
      assertThat(a.getPort()).isNotEqualTo(b.getPort());
    }
  }
}
