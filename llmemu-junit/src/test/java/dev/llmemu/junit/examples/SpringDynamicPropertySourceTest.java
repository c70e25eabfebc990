package dev.llmemu.junit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmemu.engine.server.RecordedRequest;
import dev.llmemu.junit.EmulatedVllmExtension;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

/**
 * The Spring recipe: the emulated server's URL reaches the application context through
 * {@code @DynamicPropertySource}, as a Testcontainers container's would. Spring AI's {@code
 * spring.ai.openai.base-url} takes the server root (it appends {@code /v1/...} itself); clients
 * configured with an OpenAI base URL (LangChain4j, the OpenAI SDK) take {@code openAiBaseUrl}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
// tag::spring[]
@SpringJUnitConfig(ChatApp.class)
class SpringDynamicPropertySourceTest {

  @RegisterExtension
  static EmulatedVllmExtension vllm =
      EmulatedVllmExtension.builder().profile("h100-llama-3.1-8b").build();

  @DynamicPropertySource
  static void vllmProperties(DynamicPropertyRegistry registry) {
    registry.add("spring.ai.openai.base-url", vllm::baseUrl);
    registry.add("spring.ai.openai.api-key", () -> "not-used");
  }

  @Autowired ChatService chat;

  @Test
  void theApplicationTalksToTheEmulatedServer() throws InterruptedException {
    assertThat(chat.ask("Hello")).contains("data: [DONE]");

    RecordedRequest request = vllm.server().takeRequest(Duration.ofSeconds(5));
    assertThat(request.path()).isEqualTo("/v1/chat/completions");
  }
}
// end::spring[]
