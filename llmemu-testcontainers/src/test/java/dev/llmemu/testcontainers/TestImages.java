package dev.llmemu.testcontainers;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The image the container tests run: the one this build made ({@code -Dllmemu.image}). */
final class TestImages {
  private TestImages() {}

  static String llmemu() {
    String image = System.getProperty("llmemu.image");
    return image == null || image.isBlank() ? LlmemuContainer.bundledImage() : image;
  }

  /** The project version the image was built with. */
  static String version() {
    Properties p = new Properties();
    try (InputStream in = LlmemuContainer.class.getResourceAsStream("image.properties")) {
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p.getProperty("version");
  }
}
