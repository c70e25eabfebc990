package dev.llmemu.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Starts an emulated vLLM server (or several replicas) for a test class and injects it as an {@link
 * dev.llmemu.engine.server.EmulatedVllmServer} parameter of tests, constructors and lifecycle
 * methods ({@code List<EmulatedVllmServer>} for every replica).
 *
 * <pre>{@code
 * @EmulatedVllm(profile = "h100-llama-3.1-8b", args = {"--max-num-seqs", "32"})
 * class ChatServiceTest {
 *   @Test
 *   void answers(EmulatedVllmServer vllm) {
 *     ChatService service = new ChatService(vllm.openAiBaseUrl());
 *     ...
 *     assertThat(vllm.takeRequest(Duration.ofSeconds(1)).path()).isEqualTo("/v1/chat/completions");
 *   }
 * }
 * }</pre>
 *
 * <p>One server per class, shared by its tests (and its {@code @Nested} classes, unless they carry
 * their own {@code @EmulatedVllm}), {@linkplain dev.llmemu.engine.server.EmulatedVllmServer#reset()
 * reset} before each test, stopped after the class. For a server per test, or builder-style
 * configuration, use {@link EmulatedVllmExtension#builder()} with {@code @RegisterExtension}. Works
 * as a meta-annotation and is inherited. A bad configuration (an unknown profile, a bad flag) fails
 * the class before any server starts, saying how to fix it.
 *
 * <p>{@code llmemu.mode=container} (a JUnit configuration parameter, e.g. in {@code
 * junit-platform.properties}, a system property, or the environment variable {@code LLMEMU_MODE})
 * runs every such class against containers instead; {@code llmemu.url=http://gpu-box:8000} (or
 * {@code LLMEMU_URL}) runs them against external servers, such as a real vLLM.
 */
@Target({ElementType.TYPE, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@Documented
@ExtendWith(EmulatedVllmExtension.class)
public @interface EmulatedVllm {
  /**
   * Bundled profile name ({@code "h100-llama-3.1-8b"}, {@code "a100-qwen3-8b"}, …), profile file
   * path or URL; empty: the default profile.
   */
  String profile() default "";

  /** The served model name; empty: the profile's model id. */
  String model() default "";

  /**
   * Seed for synthetic tokens, output lengths and latency jitter; replica {@code i} gets {@code
   * seed + i}.
   */
  long seed() default 0;

  /**
   * Engine settings as {@code vllm serve} flags, e.g. {@code {"--max-num-seqs", "32",
   * "--scheduling-policy", "priority", "--time-scale", "0.1"}} ({@code llmemu serve --help} lists
   * them). {@code --seed} and {@code --profile} are set by the attributes above.
   */
  String[] args() default {};

  /**
   * Where the server runs; {@code llmemu.mode} and {@code llmemu.url} override it for a whole
   * suite.
   */
  Mode mode() default Mode.IN_PROCESS;

  /** How many identical replicas to start (each on its own port, seeded seed, seed + 1, …). */
  int replicas() default 1;
}
