package dev.llmemu.engine.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The published (shaded) engine jar: Netty, Prometheus client_java and picocli are relocated, the
 * published POM does not depend on them, and the in-process server works next to a different Netty
 * (4.1) on the class path.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ShadedJarIT {
  static Path prop(String name) {
    String v = System.getProperty(name);
    assertThat(v).as("system property %s (set by the failsafe configuration)", name).isNotNull();
    return Path.of(v);
  }

  @Test
  void serverDependenciesAreRelocatedInsideTheJar() throws IOException {
    try (JarFile jar = new JarFile(prop("llmemu.shadedJar").toFile())) {
      List<String> names = jar.stream().map(e -> e.getName()).collect(Collectors.toList());
      assertThat(names).noneMatch(n -> n.startsWith("io/netty/"));
      assertThat(names).noneMatch(n -> n.startsWith("io/prometheus/"));
      assertThat(names).noneMatch(n -> n.startsWith("picocli/"));
      assertThat(names)
          .contains("dev/llmemu/engine/internal/shaded/io/netty/channel/Channel.class")
          .contains("dev/llmemu/engine/server/EmulatedVllmServer.class");
      assertThat(names)
          .anyMatch(n -> n.startsWith("dev/llmemu/engine/internal/shaded/io/prometheus/"));
    }
  }

  @Test
  void publishedPomDoesNotDependOnTheRelocatedLibraries() throws IOException {
    String pom = Files.readString(prop("llmemu.dependencyReducedPom"));
    int from = pom.indexOf("\n  <dependencies>");
    int to = pom.indexOf("\n  </dependencies>");
    assertThat(from).isPositive();
    String dependencies = pom.substring(from, to);
    assertThat(dependencies)
        .doesNotContain("<groupId>io.netty</groupId>")
        .doesNotContain("<groupId>io.prometheus</groupId>")
        .doesNotContain("<artifactId>picocli</artifactId>")
        .contains("<artifactId>jackson-databind</artifactId>")
        .contains("<artifactId>jtokkit</artifactId>");
  }

  @Test
  void inProcessServerWorksWithNetty41OnTheClassPath() throws Exception {
    List<String> cp = new ArrayList<>();
    cp.add(prop("llmemu.shadedJar").toString());
    try (Stream<Path> jars = Files.list(prop("llmemu.netty41Dir"))) {
      jars.filter(p -> p.toString().endsWith(".jar")).forEach(p -> cp.add(p.toString()));
    }
    assertThat(cp).anyMatch(p -> p.contains("netty-codec-http-4.1."));
    // The engine's remaining dependencies (Jackson, JTokkit, profiles), from this JVM's class path.
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      String e = entry.replace('\\', '/');
      if (e.contains("/jackson-")
          || e.contains("/jtokkit")
          || e.contains("/jspecify")
          || e.contains("llmemu-profiles")
          || e.contains("/profiles/catalog/")) {
        cp.add(entry);
      }
    }
    cp.add(prop("llmemu.testClasses").toString());
    Result r =
        java(
            List.of(
                "-cp", String.join(File.pathSeparator, cp), NettyIsolationProbe.class.getName()));
    assertThat(r.code).as(r.output).isZero();
    assertThat(r.output).contains("OK netty=4.1.");
  }

  @Test
  void standaloneJarRunsTheCli() throws Exception {
    Path jar = prop("llmemu.standaloneJar");
    assertThat(jar).exists();
    Result version = java(List.of("-jar", jar.toString(), "--version"));
    assertThat(version.code).as(version.output).isZero();
    assertThat(version.output).startsWith("llmemu ").contains("vLLM 0.18.0");
    Result bad = java(List.of("-jar", jar.toString(), "serve", "--no-such-flag"));
    assertThat(bad.code).isEqualTo(2);
  }

  record Result(int code, String output) {}

  static Result java(List<String> args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    boolean done = p.waitFor(90, TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + String.join(" ", cmd));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String command = String.join(" ", args);
    return new Result(
        p.exitValue(), out + " [" + command.substring(0, Math.min(200, command.length())) + "]");
  }
}
