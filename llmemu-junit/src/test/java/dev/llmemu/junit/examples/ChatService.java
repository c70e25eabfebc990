package dev.llmemu.junit.examples;

import java.io.IOException;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/** Stands in for the application's own client code. */
final class ChatService {
  private final OkHttpClient http = new OkHttpClient();
  private final String baseUrl;

  ChatService(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  /** Streams a chat completion and returns the raw SSE answer. */
  String ask(String question) {
    Request request =
        new Request.Builder()
            .url(baseUrl + "/v1/chat/completions")
            .post(
                RequestBody.create(
                    "{\"messages\":[{\"role\":\"user\",\"content\":\""
                        + question
                        + "\"}],\"max_tokens\":8,\"stream\":true}",
                    MediaType.get("application/json")))
            .build();
    try (Response response = http.newCall(request).execute()) {
      return response.body().string();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
