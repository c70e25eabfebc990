package dev.llmemu.engine.internal.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmemu.engine.profile.HardwareProfile;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class ProfileReaderTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static ObjectNode tiny() {
    try (InputStream in =
        ProfileReaderTest.class.getResourceAsStream(
            "/dev/llmemu/engine/profile/tiny-kernel-profile.json")) {
      return (ObjectNode) JSON.readTree(in);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static HardwareProfile read(ObjectNode doc) {
    return ProfileReader.read(doc, "test.json");
  }

  private static ObjectNode with(Consumer<ObjectNode> change) {
    ObjectNode doc = tiny();
    change.accept(doc);
    return doc;
  }

  @Test
  void readsAValidKernelProfile() {
    HardwareProfile p = read(tiny());

    assertThat(p.name()).isEqualTo("test-tiny");
    assertThat(p.gpu()).isEqualTo("Test GPU");
    assertThat(p.model()).isEqualTo("test/tiny");
    assertThat(p.tensorParallelSize()).isEqualTo(1);
    assertThat(p.engineConfig().maxNumSeqs()).isEqualTo(8);
    assertThat(p.engineConfig().maxNumBatchedTokens()).isEqualTo(64);
    assertThat(p.engineConfig().maxModelLen()).isEqualTo(1024);
    assertThat(p.engineConfig().numGpuBlocks()).isEqualTo(1025);
    assertThat(p.engineConfig().asyncScheduling()).isTrue();
    assertThat(p.engineConfig().enablePrefixCaching()).isTrue();
    assertThat(p.kvCacheTokens()).isEqualTo(1024L * 16);
    assertThat(p.frontendLatency()).isEqualTo(Duration.ofMillis(2));
    assertThat(p.frontendPerOutput()).isEqualTo(Duration.ofNanos(75_500));
    assertThat(p.format()).isEqualTo("llmemu-profile/1");
    assertThat(p.provenance()).hasValue("{\"method\":\"hand-written\"}");
    assertThat(p.fidelity()).isEmpty();
  }

  @Test
  void aMissingFieldIsNamed() {
    assertThatThrownBy(() -> read(with(d -> d.remove("gpu"))))
        .isInstanceOf(ProfileFormatException.class)
        .hasMessage(
            "Invalid hardware profile test.json: field 'gpu' is missing. Add it (see docs/profiles.md)");
    assertThatThrownBy(() -> read(with(d -> ((ObjectNode) d.get("model")).remove("hidden_size"))))
        .hasMessage(
            "Invalid hardware profile test.json: field 'model.hidden_size' is missing. Add it (see"
                + " docs/profiles.md)");
  }

  @Test
  void aWrongTypeIsNamedWithTheValueFound() {
    assertThatThrownBy(
            () -> read(with(d -> ((ObjectNode) d.get("engine")).put("max_num_seqs", "lots"))))
        .hasMessage(
            "Invalid hardware profile test.json: field 'engine.max_num_seqs' must be an integer, got"
                + " the string \"lots\". Write a whole number such as 16");
    assertThatThrownBy(
            () ->
                read(with(d -> ((ObjectNode) d.get("engine")).put("gpu_memory_utilization", 1.5))))
        .hasMessage(
            "Invalid hardware profile test.json: field 'engine.gpu_memory_utilization' must be between"
                + " 0.01 and 1.0, got 1.5. Use a value in that range");
  }

  @Test
  void tablesMustMatchTheirGrids() {
    assertThatThrownBy(
            () -> read(with(d -> ((ArrayNode) d.at("/latency/token_ops/mean")).remove(2))))
        .hasMessage(
            "Invalid hardware profile test.json: field 'latency.token_ops.mean' must have 3 elements"
                + " (one per entry of 'latency.token_ops.tokens'), got 2. Regenerate the profile or make"
                + " both arrays the same length");
    assertThatThrownBy(
            () -> read(with(d -> ((ArrayNode) d.at("/latency/token_ops/tokens")).set(2, 8))))
        .hasMessage(
            "Invalid hardware profile test.json: field 'latency.token_ops.tokens[2]' must be greater"
                + " than the previous grid value 8.0, got 8.0. Grid values must be strictly increasing");
    assertThatThrownBy(
            () -> read(with(d -> ((ArrayNode) d.at("/latency/decode_attention/mean/1")).add(1))))
        .hasMessage(
            "Invalid hardware profile test.json: field 'latency.decode_attention.mean[1]' must have 2"
                + " elements (one per entry of 'latency.decode_attention.kv'), got 3. Regenerate the"
                + " profile or make both arrays the same length");
    assertThatThrownBy(
            () -> read(with(d -> ((ArrayNode) d.at("/latency/lm_head/mean")).set(0, -1))))
        .hasMessage(
            "Invalid hardware profile test.json: field 'latency.lm_head.mean[0]' must be at least 0.0,"
                + " got -1.0");
  }

  @Test
  void unknownKindsAndVersionsSayWhatIsSupported() {
    assertThatThrownBy(() -> read(with(d -> ((ObjectNode) d.get("latency")).put("type", "magic"))))
        .hasMessage(
            "Invalid hardware profile test.json: field 'latency.type' must be \"kernel\" or"
                + " \"empirical\", got \"magic\". See docs/profiles.md for both latency representations");
    assertThatThrownBy(() -> read(with(d -> d.put("format_version", 2))))
        .hasMessage(
            "Invalid hardware profile test.json: field 'format_version' is 2 but this llmemu reads"
                + " version 1. Upgrade llmemu, or regenerate the profile with this version's builder");
    assertThatThrownBy(() -> read(with(d -> d.put("format", "other"))))
        .hasMessage(
            "Invalid hardware profile test.json: field 'format' must be \"llmemu-profile\", got"
                + " \"other\"");
    assertThatThrownBy(() -> ProfileReader.read(JSON.createObjectNode().put("x", 1), "x.json"))
        .hasMessage(
            "Invalid hardware profile x.json: field '(root)' is neither an llmemu profile nor an"
                + " LLM-Emu pack. An llmemu profile starts with \"format\": \"llmemu-profile\"; an"
                + " LLM-Emu pack has \"version\" and \"profile_type\" (docs/profiles.md)");
  }

  @Test
  void crossFieldRulesExplainTheFix() {
    assertThatThrownBy(
            () -> read(with(d -> ((ObjectNode) d.get("engine")).put("max_model_len", 100_000))))
        .hasMessage(
            "Invalid hardware profile test.json: field 'engine.max_model_len' is 100000 but the KV"
                + " cache holds only 16384 tokens (1025 blocks of 16). vLLM refuses to start so; lower"
                + " max_model_len to at most 16384");
    assertThatThrownBy(() -> read(with(d -> d.put("tensor_parallel_size", 3))))
        .hasMessage(
            "Invalid hardware profile test.json: field 'tensor_parallel_size' is 3, which does not"
                + " divide model.num_attention_heads (4). vLLM needs the attention heads split evenly"
                + " across GPUs; use a divisor such as 1, 2, 4 or 8");
    assertThatThrownBy(
            () -> read(with(d -> ((ObjectNode) d.get("engine")).put("max_num_seqs", 128))))
        .hasMessage(
            "Invalid hardware profile test.json: field 'engine.max_num_batched_tokens' (64) must be at"
                + " least engine.max_num_seqs (128). vLLM rejects this combination; raise"
                + " max_num_batched_tokens or lower max_num_seqs");
  }

  @Test
  void brokenJsonIsReportedWithItsLine() {
    InputStream in =
        new ByteArrayInputStream("{\n \"format\": \n".getBytes(StandardCharsets.UTF_8));

    assertThatThrownBy(() -> ProfileReader.read(in, "broken.json"))
        .isInstanceOf(ProfileFormatException.class)
        .hasMessageStartingWith(
            "Invalid hardware profile broken.json: field '(root)' is not valid JSON")
        .hasMessageContaining("(line 3)");
  }

  @Test
  void withoutAMeasuredBlockCountTheKvCacheIsSizedAsVllmWould() {
    ObjectNode doc = with(d -> d.remove("kv_cache"));
    HardwareProfile p = read(doc);

    ModelGeometry m = ProfileReader.readModel(JsonField.root("t", doc.get("model")));
    long reserve = KvSizing.estimateReserveBytes(m, 1, 64, 8);
    long available =
        KvSizing.availableKvBytes(85_899_345_920L, 0.9, m.weightBytesPerGpu(1), reserve);
    assertThat(p.engineConfig().numGpuBlocks())
        .isEqualTo(KvSizing.numGpuBlocks(available, m.kvBytesPerTokenPerGpu(1), 16));
  }
}
