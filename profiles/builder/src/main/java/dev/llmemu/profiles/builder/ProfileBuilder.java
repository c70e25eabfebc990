package dev.llmemu.profiles.builder;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmemu.engine.internal.profile.KernelStepModel;
import dev.llmemu.engine.internal.profile.KvSizing;
import dev.llmemu.engine.internal.profile.ModelGeometry;
import dev.llmemu.engine.internal.profile.ProfileReader;
import dev.llmemu.engine.profile.HardwareProfile;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Builds one llmemu profile document (docs/profiles.md) from kernel data and calibrated overheads.
 */
public final class ProfileBuilder {
  static final ObjectMapper JSON = new ObjectMapper();

  private ProfileBuilder() {}

  /** The profile name: {@code <gpu>-<model>[-tp<N>]}. */
  public static String name(GpuSpec gpu, ModelSpec model, int tp) {
    return gpu.key() + "-" + model.key() + (tp > 1 ? "-tp" + tp : "");
  }

  /** KV-cache sizing as vLLM would do it for this model, GPU and engine settings. */
  public record KvPlan(
      long bytesPerToken,
      long weightBytes,
      long reserveBytes,
      long availableBytes,
      int numGpuBlocks) {
    public long tokens(int blockSize) {
      return (long) numGpuBlocks * blockSize;
    }
  }

  public static KvPlan kvPlan(GpuSpec gpu, ModelGeometry m, int tp, EngineSettings e) {
    long perToken = m.kvBytesPerTokenPerGpu(tp);
    long weights = m.weightBytesPerGpu(tp);
    long reserve = KvSizing.estimateReserveBytes(m, tp, e.maxNumBatchedTokens(), e.maxNumSeqs());
    long available =
        KvSizing.availableKvBytes(gpu.memoryBytes(), e.gpuMemoryUtilization(), weights, reserve);
    int blocks = KvSizing.numGpuBlocks(available, perToken, e.blockSize());
    return new KvPlan(perToken, weights, reserve, available, blocks);
  }

  /** Builds the profile document. */
  public static ObjectNode build(
      String name,
      KernelData data,
      ModelSpec model,
      int tp,
      EngineSettings engine,
      Overheads overheads,
      ObjectNode provenanceExtra,
      @Nullable ObjectNode fidelity) {
    GpuSpec gpu = data.gpu();
    ModelGeometry m = model.geometry();
    KvPlan kv = kvPlan(gpu, m, tp, engine);
    if (kv.numGpuBlocks() < 2) {
      throw new IllegalArgumentException(
          name + ": the model does not fit on " + gpu.name() + " at TP " + tp);
    }
    long kvTokens = (long) (kv.numGpuBlocks() - 1) * engine.blockSize();
    int maxModelLen =
        engine.maxModelLen() > 0
            ? engine.maxModelLen()
            : (int) Math.min(m.maxPositionEmbeddings(), kvTokens);
    StepComposer composer =
        new StepComposer(data, m, tp, engine.maxNumSeqs(), engine.maxNumBatchedTokens());
    KernelStepModel.Tables t =
        composer.tables(engine.maxNumBatchedTokens(), engine.maxNumSeqs(), maxModelLen, overheads);

    ObjectNode root = JSON.createObjectNode();
    root.put("format", ProfileReader.FORMAT);
    root.put("format_version", ProfileReader.FORMAT_VERSION);
    root.put("name", name);
    root.put(
        "description",
        model.geometry().id()
            + " on "
            + (tp > 1 ? tp + "x " : "")
            + gpu.name()
            + ", vLLM "
            + engine.vllmVersion()
            + " server defaults; step latency composed from real kernel timings");
    ObjectNode g = root.putObject("gpu");
    g.put("name", gpu.name());
    g.put("key", gpu.key());
    g.put("memory_bytes", gpu.memoryBytes());
    g.put("count", tp);
    ObjectNode mo = root.putObject("model");
    mo.put("id", m.id());
    mo.put("num_hidden_layers", m.numLayers());
    mo.put("hidden_size", m.hiddenSize());
    mo.put("num_attention_heads", m.numHeads());
    mo.put("num_key_value_heads", m.numKvHeads());
    mo.put("head_dim", m.headDim());
    mo.put("intermediate_size", m.intermediateSize());
    mo.put("vocab_size", m.vocabSize());
    mo.put("dtype", model.dtype());
    mo.put("max_position_embeddings", m.maxPositionEmbeddings());
    mo.put("tie_word_embeddings", m.tieWordEmbeddings());
    mo.put("qk_norm", m.qkNorm());
    mo.put("source", model.source());
    root.put("tensor_parallel_size", tp);
    ObjectNode en = root.putObject("engine");
    en.put("vllm_version", engine.vllmVersion());
    en.put("max_num_seqs", engine.maxNumSeqs());
    en.put("max_num_batched_tokens", engine.maxNumBatchedTokens());
    en.put("max_model_len", maxModelLen);
    en.put("block_size", engine.blockSize());
    en.put("gpu_memory_utilization", engine.gpuMemoryUtilization());
    en.put("enable_prefix_caching", engine.enablePrefixCaching());
    en.put("enable_chunked_prefill", true);
    en.put("async_scheduling", engine.asyncScheduling());
    ObjectNode kvn = root.putObject("kv_cache");
    kvn.put("num_gpu_blocks", kv.numGpuBlocks());
    kvn.put("bytes_per_token", kv.bytesPerToken());
    kvn.put("weight_bytes", kv.weightBytes());
    kvn.put("activation_reserve_bytes", kv.reserveBytes());
    kvn.put("available_bytes", kv.availableBytes());
    kvn.put(
        "method",
        "vLLM's sizing: memory_bytes x gpu_memory_utilization - weights - reserve, in blocks of"
            + " block_size x bytes_per_token; the reserve (activation peak of a max_num_batched_tokens"
            + " forward pass, the sampler's float32 logits for max_num_seqs rows, non-torch memory)"
            + " is an estimate; pin a measured size with --num-gpu-blocks-override");
    ObjectNode l = root.putObject("latency");
    l.put("type", "kernel");
    l.put("unit", "us");
    ints(l.putArray("cuda_graph_sizes"), t.cudaGraphSizes());
    ObjectNode tok = l.putObject("token_ops");
    doubles(tok.putArray("tokens"), t.tokenGrid());
    doubles(tok.putArray("mean"), t.tokenMean());
    doubles(tok.putArray("std"), t.tokenStd());
    ObjectNode lm = l.putObject("lm_head");
    doubles(lm.putArray("sequences"), t.lmGrid());
    doubles(lm.putArray("mean"), t.lmMean());
    ObjectNode dec = l.putObject("decode_attention");
    doubles(dec.putArray("batch"), t.decodeBatch());
    doubles(dec.putArray("kv"), t.decodeKv());
    ArrayNode dm = dec.putArray("mean");
    for (double[] row : t.decodeMean()) {
      doubles(dm.addArray(), row);
    }
    ObjectNode pre = l.putObject("prefill_attention");
    doubles(pre.putArray("query"), t.prefillQuery());
    doubles(pre.putArray("context"), t.prefillContext());
    ArrayNode pm = pre.putArray("mean");
    for (double[] row : t.prefillMean()) {
      doubles(pm.addArray(), row);
    }
    pre.put("fixed", t.attentionFixed());
    l.put("attention_rel_std", t.attentionRelStd());
    ObjectNode ov = l.putObject("overheads");
    ov.put("step_us", overheads.stepUs());
    ov.put("per_request_us", overheads.perRequestUs());
    ov.put("prefill_step_us", overheads.prefillStepUs());
    ov.put("frontend_us", overheads.frontendUs());
    ov.put("frontend_per_output_us", overheads.frontendPerOutputUs());
    ObjectNode prov = root.putObject("provenance");
    prov.put(
        "generator",
        "llmemu-profile-builder (profiles/builder), dev.llmemu.profiles.builder.CatalogCommand");
    prov.put(
        "method",
        "GPU time per step composed from kernel timings (docs/profiles.md#how-the-builder-composes-a-step):"
            + " per layer QKV/O/gate-up/down GEMMs at the CUDA-graph padded token count, RMSNorms, rope,"
            + " SiLU-and-mul, all-reduce for TP; decode attention by batch and mean KV length; prefill"
            + " attention per chunk and cached context; LM head per request; jitter from measured op"
            + " std. CPU overhead terms calibrated on four real vLLM runs only (Llama-2-7B, H100).");
    ArrayNode src = prov.putArray("sources");
    for (String s : data.sources()) {
      src.add(s);
    }
    src.add("small-op reference profile: vidur " + composer.vidurReference());
    src.add("model geometry: " + model.source());
    prov.setAll(provenanceExtra);
    if (fidelity != null) {
      root.set("fidelity", fidelity);
    }
    return root;
  }

  /** Parses a built document back through the engine's validator. */
  public static HardwareProfile load(ObjectNode doc) {
    return ProfileReader.read(doc, doc.path("name").asText("(built)"));
  }

  static void doubles(ArrayNode a, double[] v) {
    for (double x : v) {
      if (x == Math.rint(x) && Math.abs(x) < 1e15) {
        a.add((long) x);
      } else {
        a.add(x);
      }
    }
  }

  static void ints(ArrayNode a, int[] v) {
    for (int x : v) {
      a.add(x);
    }
  }

  static List<String> names(List<ObjectNode> docs) {
    return docs.stream().map(d -> d.path("name").asText()).toList();
  }
}
