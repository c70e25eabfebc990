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
 * @EmulatedVllm(profile = "h100-llama-3.1-8b")
 * class ChatServiceTest {
 *   @Test
 *   void answers(EmulatedVllmServer vllm) {
 *     ChatService service = new ChatService(vllm.openAiBaseUrl());
 *     ...
 *   }
 * }
 * }</pre>
 *
 * <p>One server per class, shared by its tests; recorded requests are cleared before each test. For
 * a server per test, or builder-style configuration, use {@link EmulatedVllmExtension#builder()}
 * with {@code @RegisterExtension}. Usable as a meta-annotation.
 *
 * <p>{@code -Dllmemu.mode=container} (or {@code LLMEMU_MODE=container}) runs every such class
 * against containers instead; {@code -Dllmemu.url=http://gpu-box:8000} (or {@code LLMEMU_URL}) runs
 * them against an external server, such as a real vLLM.
 */
@Target({ElementType.TYPE, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@Documented
@ExtendWith(EmulatedVllmExtension.class)
public @interface EmulatedVllm {
  /** Bundled profile name, profile file path or URL; empty: the default profile. */
  String profile() default "";

  /** The served model name; empty: the profile's model id. */
  String model() default "";

  /** Seed for synthetic tokens, output lengths and latency jitter. */
  long seed() default 0;

  /**
   * Further {@code vllm serve} flags, e.g. {@code {"--max-num-seqs", "32", "--scheduling-policy",
   * "priority"}}.
   */
  String[] args() default {};

  /** Where the server runs; system property {@code llmemu.mode} overrides it for a whole suite. */
  Mode mode() default Mode.IN_PROCESS;

  /** How many identical replicas to start (each on its own port, seeded seed, seed + 1, …). */
  int replicas() default 1;
}
