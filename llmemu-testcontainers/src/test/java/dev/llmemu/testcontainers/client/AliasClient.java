package dev.llmemu.testcontainers.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs inside a third container on the replicas' Docker network (java.base only, no dependencies):
 * for each base URL given, asks {@code /v1/models} for the model and sends it a chat completion,
 * printing one line per server. Exits 1 if any call fails.
 */
public final class AliasClient {
  private static final Pattern ID = Pattern.compile("\"id\":\"([^\"]+)\"");
  private static final Pattern FINISH = Pattern.compile("\"finish_reason\":\"([^\"]+)\"");

  private AliasClient() {}

  public static void main(String[] args) throws IOException {
    int failures = 0;
    for (String base : args) {
      String models = call("GET", base + "/v1/models", null);
      Matcher id = ID.matcher(models);
      if (!id.find()) {
        System.out.println(base + " no model in " + models);
        failures++;
        continue;
      }
      String chat =
          "{\"model\":\""
              + id.group(1)
              + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi from the network\"}],"
              + "\"max_tokens\":4}";
      String answer = call("POST", base + "/v1/chat/completions", chat);
      Matcher finish = FINISH.matcher(answer);
      System.out.println(
          base
              + " model="
              + id.group(1)
              + " finish_reason="
              + (finish.find() ? finish.group(1) : "none in " + answer));
    }
    System.exit(failures == 0 ? 0 : 1);
  }

  private static String call(String method, String url, String body) throws IOException {
    HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
    c.setConnectTimeout(5000);
    c.setReadTimeout(30000);
    c.setRequestMethod(method);
    c.setRequestProperty("X-Llmemu-Client", "alias-client");
    if (body != null) {
      c.setDoOutput(true);
      c.setRequestProperty("Content-Type", "application/json");
      try (OutputStream out = c.getOutputStream()) {
        out.write(body.getBytes(StandardCharsets.UTF_8));
      }
    }
    int status = c.getResponseCode();
    if (status != 200) {
      throw new IOException(method + " " + url + " answered " + status);
    }
    try (InputStream in = c.getInputStream()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
