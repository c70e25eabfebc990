package dev.llmemu.engine.cli;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code java -cp llmemu.jar dev.llmemu.engine.cli.HealthCheck http://127.0.0.1:8000/health}: exits
 * 0 if the URL answers 200, else 1. Uses only {@code java.base}, so that a container's health probe
 * starts a JVM in a fraction of a second and needs no shell or curl.
 *
 * <p>{@code HealthCheck --wait 60 URL} polls until the URL answers 200, for up to 60 seconds: a
 * build or script that starts a server in the background waits for it this way before its tests run
 * against it.
 */
public final class HealthCheck {
  private HealthCheck() {}

  public static void main(String[] args) {
    List<String> rest = new ArrayList<>(List.of(args));
    Duration wait = Duration.ZERO;
    if (rest.size() >= 2 && rest.get(0).equals("--wait")) {
      try {
        wait = Duration.ofMillis(Math.round(Double.parseDouble(rest.get(1)) * 1000));
      } catch (NumberFormatException e) {
        System.err.println("--wait takes seconds, got '" + rest.get(1) + "'");
        System.exit(2);
      }
      rest = rest.subList(2, rest.size());
    }
    String url = rest.isEmpty() ? "http://127.0.0.1:8000/health" : rest.get(0);
    boolean healthy = await(url, wait);
    if (!healthy && !wait.isZero()) {
      System.err.println(url + " did not answer 200 within " + wait.toMillis() / 1000.0 + " s");
    }
    System.exit(healthy ? 0 : 1);
  }

  /**
   * True as soon as {@code GET url} answers 200; false if it has not by {@code timeout} (at least
   * one attempt is made). Polls every 100 ms.
   */
  public static boolean await(String url, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (check(url)) {
        return true;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      try {
        Thread.sleep(Math.min(100, Math.max(1, left / 1_000_000)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
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
