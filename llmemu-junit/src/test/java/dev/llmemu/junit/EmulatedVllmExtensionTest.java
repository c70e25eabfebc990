package dev.llmemu.junit;

import static dev.llmemu.junit.testkit.TestKit.failures;
import static dev.llmemu.junit.testkit.TestKit.reportEntries;
import static dev.llmemu.junit.testkit.TestKit.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.awaitility.Awaitility.await;

import dev.llmemu.engine.profile.Profiles;
import dev.llmemu.engine.server.EmulatedVllmServer;
import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/** The extension, run through JUnit's own engine with {@code *TestCases} fixtures. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EmulatedVllmExtensionTest {
  /** What fixtures saw; cleared before each test. */
  static final List<EmulatedVllmServer> SEEN = new CopyOnWriteArrayList<>();

  static final List<String> NOTES = new CopyOnWriteArrayList<>();

  private static final OkHttpClient HTTP = new OkHttpClient();

  @BeforeEach
  void clear() {
    SEEN.clear();
    NOTES.clear();
  }

  static String chat(EmulatedVllmServer server) {
    Request request =
        new Request.Builder()
            .url(server.url("/v1/chat/completions"))
            .post(
                RequestBody.create(
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                        + "\"max_tokens\":4,\"stream\":true}",
                    MediaType.get("application/json")))
            .build();
    try (Response response = HTTP.newCall(request).execute()) {
      return response.code() + " " + response.body().string();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void assertAllSucceeded(EngineExecutionResults results, int tests) {
    assertThat(failures(results)).isEmpty();
    assertThat(results.testEvents().succeeded().count()).isEqualTo(tests);
  }

  private static int executiveThreads() {
    return (int)
        Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getName().equals("llmemu-executive") && t.isAlive())
            .count();
  }

  private static void assertAllClosed(List<EmulatedVllmServer> servers) {
    assertThat(servers).isNotEmpty();
    assertThat(servers).allSatisfy(s -> assertThat(s).hasToString("EmulatedVllmServer{closed}"));
  }

  // ---------------------------------------------------------------- lifecycle and injection

  @EmulatedVllm(profile = "a100-llama-3.1-8b", model = "my-model", seed = 7)
  @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
  static class PerClassTestCases {
    static EmulatedVllmServer fromBeforeAll;

    final EmulatedVllmServer fromConstructor;

    PerClassTestCases(EmulatedVllmServer server) {
      this.fromConstructor = server;
    }

    @BeforeAll
    static void beforeAll(EmulatedVllmServer server) {
      fromBeforeAll = server;
    }

    @Test
    @org.junit.jupiter.api.Order(1)
    void first(EmulatedVllmServer server) throws InterruptedException {
      SEEN.add(server);
      NOTES.add("same in constructor: " + (server == fromConstructor));
      NOTES.add("same in @BeforeAll: " + (server == fromBeforeAll));
      NOTES.add("model: " + server.servedModelName());
      NOTES.add("seed: " + server.engine().orElseThrow().config().seed());
      NOTES.add("first: " + chat(server).startsWith("200 "));
      NOTES.add("recorded: " + server.takeRequest(Duration.ofSeconds(5)).path());
    }

    @Test
    @org.junit.jupiter.api.Order(2)
    void second(EmulatedVllmServer server) throws InterruptedException {
      SEEN.add(server);
      NOTES.add("reset before second: " + server.requestCount());
      NOTES.add("nothing left to take: " + (server.takeRequest(Duration.ZERO) == null));
    }
  }

  @Test
  @DisplayName("@EmulatedVllm: one server per class, injected everywhere, reset between tests")
  void perClassServerIsSharedAndResetBetweenTests() {
    int before = executiveThreads();

    assertAllSucceeded(run(PerClassTestCases.class), 2);

    assertThat(SEEN).hasSize(2);
    assertThat(SEEN.get(0)).isSameAs(SEEN.get(1));
    assertThat(NOTES)
        .containsExactly(
            "same in constructor: true",
            "same in @BeforeAll: true",
            "model: my-model",
            "seed: 7",
            "first: true",
            "recorded: /v1/chat/completions",
            "reset before second: 0",
            "nothing left to take: true");
    assertAllClosed(SEEN);
    await().atMost(Duration.ofSeconds(10)).until(() -> executiveThreads() == before);
  }

  static class PerMethodTestCases {
    @RegisterExtension EmulatedVllmExtension vllm = EmulatedVllmExtension.builder().build();

    @Test
    void one(EmulatedVllmServer server) {
      SEEN.add(server);
      NOTES.add("accessor is parameter: " + (vllm.server() == server));
    }

    @Test
    void two(EmulatedVllmServer server) {
      SEEN.add(server);
      NOTES.add("accessor is parameter: " + (vllm.server() == server));
    }
  }

  @Test
  @DisplayName("an instance field gives each test its own server, closed after it")
  void instanceFieldGivesEachTestItsOwnServer() {
    assertAllSucceeded(run(PerMethodTestCases.class), 2);

    assertThat(SEEN).hasSize(2);
    assertThat(SEEN.get(0)).isNotSameAs(SEEN.get(1));
    assertThat(NOTES).containsOnly("accessor is parameter: true");
    assertAllClosed(SEEN);
  }

  static class ProgrammaticTestCases {
    @RegisterExtension
    static EmulatedVllmExtension vllm =
        EmulatedVllmExtension.builder()
            .profile("h100-qwen3-8b")
            .args("--max-num-seqs", "3")
            .timeScale(0.5)
            .seed(11)
            .build();

    @Test
    void accessors(EmulatedVllmServer server) {
      SEEN.add(server);
      NOTES.add("server: " + (vllm.server() == server));
      NOTES.add("baseUrl: " + vllm.baseUrl().equals("http://127.0.0.1:" + server.port()));
      NOTES.add("openAiBaseUrl: " + vllm.openAiBaseUrl().equals(server.baseUrl() + "/v1"));
      NOTES.add("url: " + vllm.url("metrics").equals(server.baseUrl() + "/metrics"));
      NOTES.add("port: " + (vllm.port() == server.port()));
      NOTES.add("max-num-seqs: " + server.engine().orElseThrow().config().maxNumSeqs());
      NOTES.add("seed: " + server.engine().orElseThrow().config().seed());
      NOTES.add("metrics: " + server.metricsText().contains("vllm:num_requests_running"));
    }

    @Nested
    class Inner {
      @Test
      void sharesTheEnclosingServer(EmulatedVllmServer server) {
        SEEN.add(server);
      }
    }
  }

  @Test
  @DisplayName("a static field: the builder's settings, the accessors, @Nested sharing")
  void builderSettingsAndAccessors() {
    assertAllSucceeded(run(ProgrammaticTestCases.class), 2);

    assertThat(NOTES)
        .containsExactly(
            "server: true",
            "baseUrl: true",
            "openAiBaseUrl: true",
            "url: true",
            "port: true",
            "max-num-seqs: 3",
            "seed: 11",
            "metrics: true");
    assertThat(SEEN).hasSize(2);
    assertThat(SEEN.get(0)).isSameAs(SEEN.get(1));
    assertAllClosed(SEEN);
  }

  @EmulatedVllm
  static class NestedOverrideTestCases {
    @Test
    void outer(EmulatedVllmServer server) {
      SEEN.add(server);
    }

    @Nested
    @EmulatedVllm(profile = "a100-llama-3.1-8b")
    class OwnServer {
      @Test
      void inner(EmulatedVllmServer server) {
        SEEN.add(server);
        NOTES.add(server.engine().orElseThrow().config().toString().contains("a100") + "");
      }
    }
  }

  @Test
  @DisplayName("a @Nested class with its own @EmulatedVllm gets its own server")
  void nestedClassWithItsOwnAnnotationGetsItsOwnServer() {
    assertAllSucceeded(run(NestedOverrideTestCases.class), 2);

    assertThat(SEEN).hasSize(2);
    assertThat(SEEN.get(0).port()).isNotEqualTo(SEEN.get(1).port());
    assertAllClosed(SEEN);
  }

  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.TYPE)
  @EmulatedVllm(profile = "h100-mistral-7b", seed = 3)
  @interface MistralOnH100 {}

  @MistralOnH100
  static class MetaAnnotatedTestCases {
    @Test
    void test(EmulatedVllmServer server) {
      SEEN.add(server);
      NOTES.add("seed " + server.engine().orElseThrow().config().seed());
    }
  }

  static class InheritingTestCases extends MetaAnnotatedTestCases {}

  @Test
  @DisplayName("@EmulatedVllm works as a meta-annotation, and is inherited")
  void metaAnnotationAndInheritance() {
    assertAllSucceeded(run(MetaAnnotatedTestCases.class, InheritingTestCases.class), 2);

    assertThat(NOTES).containsExactly("seed 3", "seed 3");
    assertThat(SEEN.get(0).port()).isNotEqualTo(SEEN.get(1).port());
  }

  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  @EmulatedVllm
  static class PerClassInstanceTestCases {
    final EmulatedVllmServer server;

    PerClassInstanceTestCases(EmulatedVllmServer server) {
      this.server = server;
    }

    @Test
    void a(EmulatedVllmServer s) {
      SEEN.add(server);
      SEEN.add(s);
    }
  }

  @Test
  @DisplayName("@TestInstance(PER_CLASS) constructors get the server too")
  void perClassInstanceConstructorInjection() {
    assertAllSucceeded(run(PerClassInstanceTestCases.class), 1);

    assertThat(SEEN.get(0)).isSameAs(SEEN.get(1));
  }

  @Test
  @DisplayName("the accessors outside a test say where to call them")
  void accessorsOutsideATest() {
    EmulatedVllmExtension unused = EmulatedVllmExtension.builder().build();
    org.assertj.core.api.Assertions.assertThatThrownBy(unused::baseUrl)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "no server is running: call server() from a test, a lifecycle method or a"
                + " @DynamicPropertySource supplier of a class this extension is registered in");
  }

  // ---------------------------------------------------------------- replicas

  @EmulatedVllm(replicas = 3, seed = 40)
  static class ReplicasTestCases {
    @Test
    void replicas(List<EmulatedVllmServer> all, EmulatedVllmServer first) {
      SEEN.addAll(all);
      NOTES.add("first is replica 0: " + (first == all.get(0)));
      for (EmulatedVllmServer s : all) {
        NOTES.add("seed " + s.engine().orElseThrow().config().seed());
      }
    }
  }

  @Test
  @DisplayName("replicas: N servers on distinct ports, seeded seed + i, all closed after")
  void replicas() {
    assertAllSucceeded(run(ReplicasTestCases.class), 1);

    assertThat(SEEN).hasSize(3);
    assertThat(SEEN.stream().map(EmulatedVllmServer::port).distinct()).hasSize(3);
    assertThat(NOTES).containsExactly("first is replica 0: true", "seed 40", "seed 41", "seed 42");
    assertAllClosed(SEEN);
  }

  // ---------------------------------------------------------------- parallel classes

  static final CyclicBarrier TOGETHER = new CyclicBarrier(3);

  abstract static class ParallelTestCases {
    @Test
    void meetsTheOthers(EmulatedVllmServer server)
        throws InterruptedException, BrokenBarrierException, TimeoutException {
      SEEN.add(server);
      NOTES.add(chat(server).startsWith("200 ") + "");
      // Only passes if the three classes run at the same time.
      TOGETHER.await(30, TimeUnit.SECONDS);
      NOTES.add("requests " + server.requestCount());
    }
  }

  @EmulatedVllm(seed = 1)
  static class ParallelOneTestCases extends ParallelTestCases {}

  @EmulatedVllm(seed = 2)
  static class ParallelTwoTestCases extends ParallelTestCases {}

  static class ParallelThreeTestCases extends ParallelTestCases {
    @RegisterExtension static EmulatedVllmExtension vllm = EmulatedVllmExtension.builder().build();
  }

  @Test
  @DisplayName("test classes in parallel: each its own server and port, none leaked")
  void parallelClasses() {
    TOGETHER.reset();
    int before = executiveThreads();

    EngineExecutionResults results =
        run(
            Map.of(
                "junit.jupiter.execution.parallel.enabled", "true",
                "junit.jupiter.execution.parallel.mode.default", "same_thread",
                "junit.jupiter.execution.parallel.mode.classes.default", "concurrent",
                "junit.jupiter.execution.parallel.config.strategy", "fixed",
                "junit.jupiter.execution.parallel.config.fixed.parallelism", "4"),
            ParallelOneTestCases.class,
            ParallelTwoTestCases.class,
            ParallelThreeTestCases.class);

    assertAllSucceeded(results, 3);
    assertThat(SEEN.stream().map(EmulatedVllmServer::port).distinct()).hasSize(3);
    // each server saw only its own class's request
    assertThat(NOTES).containsOnly("true", "requests 1");
    assertAllClosed(SEEN);
    await().atMost(Duration.ofSeconds(10)).until(() -> executiveThreads() == before);
  }

  // ---------------------------------------------------------------- report entries

  @EmulatedVllm
  static class ReportEntriesTestCases {
    @Test
    void test(EmulatedVllmServer server) {
      SEEN.add(server);
    }
  }

  @Test
  @DisplayName("the server's base URL and mode are published as report entries")
  void reportEntriesNameTheServer() {
    EngineExecutionResults results = run(ReportEntriesTestCases.class);

    assertAllSucceeded(results, 1);
    assertThat(reportEntries(results))
        .containsExactly(
            entry("llmemu.mode", "IN_PROCESS"), entry("llmemu.server", SEEN.get(0).baseUrl()));
  }

  @EmulatedVllm(args = {"--time-scale", "0.1"})
  static class LoadReportTestCases {
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void tinyLoad(EmulatedVllmServer server) {
      SEEN.add(server);
      dev.llmemu.junit.load.LoadTest.against(server)
          .requests(3)
          .outputLength(dev.llmemu.engine.workload.LengthDistribution.fixed(4))
          .label("tiny")
          .run();
    }
  }

  @Test
  @DisplayName("a load run inside a test writes JSON and chart and publishes them as entries")
  void loadRunsPublishTheirReports() {
    EngineExecutionResults results = run(LoadReportTestCases.class);

    assertAllSucceeded(results, 1);
    List<Map.Entry<String, String>> entries = reportEntries(results);
    assertThat(entries)
        .extracting(Map.Entry::getKey)
        .containsExactly(
            "llmemu.mode",
            "llmemu.server",
            "llmemu.load.tiny",
            "llmemu.report.json",
            "llmemu.report.chart");
    assertThat(entries.get(2).getValue())
        .startsWith(
            "tiny: 3 completions requests to meta-llama/Llama-3.1-8B at " + SEEN.get(0).baseUrl())
        .contains("\n  3 completed, 0 failed in ");
    java.nio.file.Path json = java.nio.file.Path.of(entries.get(3).getValue());
    assertThat(json)
        .isRegularFile()
        .hasFileName("LoadReportTestCases.tinyLoad-tiny-1.json")
        .content()
        .contains("\"p99_ttft_ms\"");
    assertThat(java.nio.file.Path.of(entries.get(4).getValue()))
        .isRegularFile()
        .hasFileName("LoadReportTestCases.tinyLoad-tiny-1.png");
  }

  // ---------------------------------------------------------------- configuration errors

  @EmulatedVllm(profile = "h100x")
  static class UnknownProfileTestCases {
    @Test
    void test() {}
  }

  @EmulatedVllm(args = {"--max-num-seqs", "many"})
  static class BadArgsTestCases {
    @Test
    void test() {}
  }

  @EmulatedVllm(args = {"--no-such-flag"})
  static class UnknownFlagTestCases {
    @Test
    void test() {}
  }

  @EmulatedVllm(replicas = 0)
  static class NoReplicasTestCases {
    @Test
    void test() {}
  }

  @EmulatedVllm(args = {"--seed", "5"})
  static class SeedInArgsTestCases {
    @Test
    void test() {}
  }

  @EmulatedVllm(mode = Mode.CONTAINER)
  static class ContainerTestCases {
    @Test
    void test(EmulatedVllmServer server) {
      SEEN.add(server);
    }
  }

  static class BuilderUnknownProfileTestCases {
    @RegisterExtension
    static EmulatedVllmExtension vllm = EmulatedVllmExtension.builder().profile("nope").build();

    @Test
    void test() {}
  }

  private static String onlyFailure(EngineExecutionResults results) {
    List<Throwable> failures = failures(results);
    assertThat(failures).hasSize(1);
    assertThat(failures.get(0)).isInstanceOf(ExtensionConfigurationException.class);
    assertThat(results.testEvents().started().count()).isZero();
    return failures.get(0).getMessage();
  }

  @Test
  @DisplayName("an unknown profile fails the class, listing the known profiles")
  void unknownProfile() {
    assertThat(onlyFailure(run(UnknownProfileTestCases.class)))
        .isEqualTo(
            "@EmulatedVllm on UnknownProfileTestCases not configured correctly: unknown hardware"
                + " profile 'h100x'. Known profiles: "
                + Profiles.knownNames()
                + ". Use @EmulatedVllm(profile = \"h100-llama-3.1-8b\"), or the path or URL of a"
                + " profile file.");
    assertThat(onlyFailure(run(BuilderUnknownProfileTestCases.class)))
        .isEqualTo(
            "EmulatedVllmExtension on BuilderUnknownProfileTestCases not configured correctly:"
                + " unknown hardware profile 'nope'. Known profiles: "
                + Profiles.knownNames()
                + ". Use EmulatedVllmExtension.builder().profile(\"h100-llama-3.1-8b\"), or the"
                + " path or URL of a profile file.");
  }

  @Test
  @DisplayName("a bad vllm serve flag fails with the CLI's message")
  void badArgs() {
    assertThat(onlyFailure(run(BadArgsTestCases.class)))
        .isEqualTo(
            "@EmulatedVllm on BadArgsTestCases not configured correctly: args [--max-num-seqs,"
                + " many]: Invalid value for option '--max-num-seqs': 'many' is not an int. Use"
                + " the flags of 'vllm serve' (llmemu serve --help).");
    assertThat(onlyFailure(run(UnknownFlagTestCases.class)))
        .isEqualTo(
            "@EmulatedVllm on UnknownFlagTestCases not configured correctly: args"
                + " [--no-such-flag]: Unknown option: '--no-such-flag'. Use the flags of 'vllm"
                + " serve' (llmemu serve --help).");
    assertThat(onlyFailure(run(SeedInArgsTestCases.class)))
        .isEqualTo(
            "@EmulatedVllm on SeedInArgsTestCases not configured correctly: args [--seed, 5] set"
                + " --seed, which the seed setting controls. Use @EmulatedVllm(seed = 42)"
                + " (replica i is seeded seed + i).");
  }

  @Test
  @DisplayName("replicas below 1 fail the class")
  void noReplicas() {
    assertThat(onlyFailure(run(NoReplicasTestCases.class)))
        .isEqualTo(
            "@EmulatedVllm on NoReplicasTestCases not configured correctly: replicas is 0, but at"
                + " least 1 is needed. Use @EmulatedVllm(replicas = 1) or more.");
  }

  @Test
  @DisplayName("CONTAINER without a launcher on the classpath says which dependency to add")
  void containerWithoutLauncher() {
    assertThat(onlyFailure(run(ContainerTestCases.class)))
        .isEqualTo(
            "@EmulatedVllm on ContainerTestCases not configured correctly: mode CONTAINER (from"
                + " @EmulatedVllm(mode = CONTAINER)) needs a launcher for it, but none is on the"
                + " test classpath. Add the test dependency dev.llmemu:llmemu-testcontainers, or"
                + " use mode IN_PROCESS.");
    assertThat(onlyFailure(run(Map.of("llmemu.mode", "container"), ReportEntriesTestCases.class)))
        .isEqualTo(
            "@EmulatedVllm on ReportEntriesTestCases not configured correctly: mode CONTAINER"
                + " (from llmemu.mode=container) needs a launcher for it, but none is on the test"
                + " classpath. Add the test dependency dev.llmemu:llmemu-testcontainers, or use"
                + " mode IN_PROCESS.");
  }

  @Test
  @DisplayName("llmemu.mode=bogus fails, naming the known modes")
  void bogusMode() {
    assertThat(onlyFailure(run(Map.of("llmemu.mode", "bogus"), ReportEntriesTestCases.class)))
        .isEqualTo(
            "@EmulatedVllm on ReportEntriesTestCases not configured correctly: unknown mode in"
                + " llmemu.mode=bogus. Known modes: [in-process, container]. Use"
                + " llmemu.mode=container to run every @EmulatedVllm class against containers, or"
                + " set llmemu.url to run them against external servers.");
    assertThat(onlyFailure(run(Map.of("llmemu.mode", "external"), ReportEntriesTestCases.class)))
        .isEqualTo(
            "@EmulatedVllm on ReportEntriesTestCases not configured correctly: llmemu.mode=external"
                + " needs the servers' URLs, but llmemu.url is not set. Set llmemu.url (or"
                + " LLMEMU_URL) to the base URLs, e.g. -Dllmemu.url=http://gpu-box:8000.");
  }

  @Test
  @DisplayName("llmemu.mode=in-process overrides the annotation's mode")
  void modeOverride() {
    assertAllSucceeded(run(Map.of("llmemu.mode", "in-process"), ContainerTestCases.class), 1);
    assertThat(SEEN).hasSize(1);
  }

  // ---------------------------------------------------------------- launchers (CONTAINER)

  @EmulatedVllm(
      replicas = 2,
      seed = 40,
      args = {"--max-num-seqs", "8"})
  static class ContainerReplicasTestCases {
    @Test
    void test(List<EmulatedVllmServer> servers) {
      SEEN.addAll(servers);
      for (EmulatedVllmServer s : servers) {
        NOTES.add(chat(s).substring(0, 3) + " remote " + s.engine().isEmpty());
      }
    }
  }

  @EmulatedVllm(profile = "/profiles/broken.json", mode = Mode.CONTAINER)
  static class BrokenContainerTestCases {
    @Test
    void test() {}
  }

  /**
   * Runs with a ServerLauncher for CONTAINER visible to ServiceLoader, as a dependency adds one.
   */
  private static EngineExecutionResults withFakeContainerLauncher(
      Map<String, String> parameters, Class<?>... classes) {
    Thread thread = Thread.currentThread();
    ClassLoader original = thread.getContextClassLoader();
    try (java.net.URLClassLoader loader =
        new java.net.URLClassLoader(
            new java.net.URL[] {
              EmulatedVllmExtensionTest.class.getResource("/fake-container-launcher/")
            },
            original)) {
      thread.setContextClassLoader(loader);
      return run(parameters, classes);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } finally {
      thread.setContextClassLoader(original);
    }
  }

  @Test
  @DisplayName("CONTAINER mode goes through the ServerLauncher found on the classpath")
  void containerModeUsesTheLauncher() {
    FakeContainerLauncher.LAUNCHED.clear();
    FakeContainerLauncher.BEHIND.clear();

    EngineExecutionResults results =
        withFakeContainerLauncher(
            Map.of("llmemu.mode", "container"), ContainerReplicasTestCases.class);

    assertAllSucceeded(results, 1);
    assertThat(FakeContainerLauncher.LAUNCHED)
        .containsExactly(
            "ServerSpec[profile=null, model=null, seed=40, args=[--max-num-seqs, 8], replicas=2] #0",
            "seeded 40",
            "ServerSpec[profile=null, model=null, seed=40, args=[--max-num-seqs, 8], replicas=2] #1",
            "seeded 41");
    assertThat(NOTES).containsExactly("200 remote true", "200 remote true");
    assertThat(reportEntries(results)).contains(entry("llmemu.mode", "CONTAINER"));
    // closing the handles stopped the "containers"
    assertAllClosed(FakeContainerLauncher.BEHIND);

    assertThat(onlyFailure(withFakeContainerLauncher(Map.of(), BrokenContainerTestCases.class)))
        .isEqualTo(
            "@EmulatedVllm on BrokenContainerTestCases not configured correctly: image"
                + " llmemu:test has no file /profiles/broken.json.");
  }

  // ---------------------------------------------------------------- external servers

  @Test
  @DisplayName("llmemu.url with fewer URLs than replicas fails")
  void externalWithTooFewUrls() {
    assertThat(
            onlyFailure(run(Map.of("llmemu.url", "http://127.0.0.1:1"), ReplicasTestCases.class)))
        .isEqualTo(
            "@EmulatedVllm on ReplicasTestCases not configured correctly: 3 replicas, but"
                + " llmemu.url=http://127.0.0.1:1 lists 1 URL: [http://127.0.0.1:1]. Give one URL"
                + " per replica, separated by commas.");
  }

  @Test
  @DisplayName("llmemu.url pointing nowhere fails before any test runs")
  void externalUnreachable() throws IOException {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort(); // closed: nothing listens there now
    }
    String message =
        onlyFailure(
            run(Map.of("llmemu.url", "http://127.0.0.1:" + port), ReportEntriesTestCases.class));
    assertThat(message)
        .startsWith(
            "@EmulatedVllm on ReportEntriesTestCases not configured correctly: cannot reach the"
                + " external server http://127.0.0.1:"
                + port
                + " (llmemu.url=http://127.0.0.1:"
                + port
                + "): java.net.ConnectException: ")
        .endsWith(". Start it first, or unset llmemu.url to run in process.");
  }

  /** A test that knows nothing about where its server runs. */
  @EmulatedVllm(profile = "h100-llama-3.1-8b", replicas = 2)
  static class PortableTestCases {
    @Test
    void streamsAChat(List<EmulatedVllmServer> servers) {
      SEEN.addAll(servers);
      for (EmulatedVllmServer s : servers) {
        String answer = chat(s);
        NOTES.add(answer.substring(0, 4) + answer.contains("data: [DONE]"));
      }
    }
  }

  @Test
  @DisplayName("the same class runs unchanged against external servers given by llmemu.url")
  void externalServers() {
    try (EmulatedVllmServer a = EmulatedVllmServer.builder().start();
        EmulatedVllmServer b = EmulatedVllmServer.builder().start()) {
      assertAllSucceeded(run(PortableTestCases.class), 1);
      List<EmulatedVllmServer> inProcess = new ArrayList<>(SEEN);
      SEEN.clear();

      EngineExecutionResults results =
          run(
              Map.of("llmemu.url", a.baseUrl() + ", " + b.openAiBaseUrl()),
              PortableTestCases.class);

      assertAllSucceeded(results, 1);
      assertThat(SEEN)
          .extracting(EmulatedVllmServer::baseUrl)
          .containsExactly(a.baseUrl(), b.baseUrl());
      assertThat(a.requestCount()).isEqualTo(1);
      assertThat(b.requestCount()).isEqualTo(1);
      assertThat(NOTES).containsOnly("200 true");
      assertThat(reportEntries(results)).contains(entry("llmemu.mode", "EXTERNAL"));
      assertAllClosed(inProcess);
      // closing a handle on an external server leaves the server running
      assertThat(chat(a)).startsWith("200 ");
    }
  }

  @Test
  @DisplayName("an external server that is not llmemu (no /llmemu extras) works too")
  void externalServerThatIsNotLlmemu() throws IOException {
    try (mockwebserver3.MockWebServer other = new mockwebserver3.MockWebServer()) {
      other.setDispatcher(
          new mockwebserver3.Dispatcher() {
            @Override
            public mockwebserver3.MockResponse dispatch(mockwebserver3.RecordedRequest request) {
              if (request.getUrl().encodedPath().equals("/v1/chat/completions")) {
                return new mockwebserver3.MockResponse.Builder()
                    .addHeader("Content-Type", "text/event-stream")
                    .body(
                        "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\n")
                    .build();
              }
              return new mockwebserver3.MockResponse.Builder().code(404).build();
            }
          });
      other.start();
      String url = other.url("/").toString();
      String base = url.substring(0, url.length() - 1);

      EngineExecutionResults results =
          run(Map.of("llmemu.url", base + "," + base), PortableTestCases.class);

      assertAllSucceeded(results, 1);
      assertThat(NOTES).containsExactly("200 true", "200 true");
    }
  }
}
