package dev.llmemu.junit.examples;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** A stand-in application: reads its LLM endpoint from a property, as a Spring AI app does. */
@Configuration
class ChatApp {
  @Bean
  ChatService chatService(@Value("${spring.ai.openai.base-url}") String baseUrl) {
    return new ChatService(baseUrl);
  }
}
