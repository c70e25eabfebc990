package dev.llmemu.engine.cli;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;

/**
 * {@code java -cp llmemu.jar dev.llmemu.engine.cli.HealthCheck http://127.0.0.1:8000/health}: exits
 * 0 if the URL answers 200, else 1. Uses only {@code java.base}, so that a container's health probe
 * starts a JVM in a fraction of a second and needs no shell or curl.
 */
public final class HealthCheck {
  private HealthCheck() {}

  public static void main(String[] args) {
    String url = args.length > 0 ? args[0] : "http://127.0.0.1:8000/health";
    System.exit(check(url) ? 0 : 1);
  }

  /** True if {@code GET url} answers 200 within two seconds. */
  public static boolean check(String url) {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
      c.setConnectTimeout(2000);
      c.setReadTimeout(2000);
      int status = c.getResponseCode();
      c.disconnect();
      return status == 200;
    } catch (IOException | IllegalArgumentException e) {
      return false;
    }
  }
}
