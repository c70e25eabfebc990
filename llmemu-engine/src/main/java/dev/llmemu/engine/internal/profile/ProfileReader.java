package dev.llmemu.engine.internal.profile;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmemu.engine.EngineConfig;
import dev.llmemu.engine.SchedulingPolicy;
import dev.llmemu.engine.StepLatencyModel;
import dev.llmemu.engine.profile.HardwareProfile;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads and validates hardware profiles: llmemu's own format ({@code "format": "llmemu-profile"},
 * docs/profiles.md) and LLM-Emu packs (versions 2.0 and 2.1), which load unchanged. Every problem
 * is reported as a {@link ProfileFormatException} naming the field and how to fix it.
 */
public final class ProfileReader {
  /** The value of {@code format} in llmemu's own profiles. */
  public static final String FORMAT = "llmemu-profile";

  /** The {@code format_version} this reader understands. */
  public static final int FORMAT_VERSION = 1;

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]*");
  private static final long GIB = 1L << 30;

  private ProfileReader() {}

  /** Reads a profile from a stream; {@code source} names it in error messages. */
  public static HardwareProfile read(InputStream in, String source) throws IOException {
    JsonNode root;
    try {
      root = MAPPER.readTree(in);
    } catch (JsonProcessingException e) {
      throw new ProfileFormatException(
          source,
          "(root)",
          "is not valid JSON: " + e.getOriginalMessage(),
          "Check the file is a complete JSON document"
              + " (line "
              + (e.getLocation() == null ? "?" : e.getLocation().getLineNr())
              + ")");
    }
    if (root == null || root.isMissingNode()) {
      throw new ProfileFormatException(source, "(root)", "is empty", "The file holds no JSON");
    }
    return read(root, source);
  }

  /** Reads a profile from a parsed JSON document. */
  public static HardwareProfile read(JsonNode root, String source) {
    JsonField r = JsonField.root(source, root).requireObject();
    if (r.get("format").present()) {
      return readLlmemu(r);
    }
    if (r.get("profile_type").present() || r.get("version").present()) {
      return LlmEmuPack.read(r);
    }
    throw r.error(
        "is neither an llmemu profile nor an LLM-Emu pack",
        "An llmemu profile starts with \"format\": \""
            + FORMAT
            + "\"; an LLM-Emu pack has \"version\" and \"profile_type\" (docs/profiles.md)");
  }

  private static HardwareProfile readLlmemu(JsonField r) {
    String format = r.get("format").string();
    if (!format.equals(FORMAT)) {
      throw r.get("format").error("must be \"" + FORMAT + "\", got \"" + format + "\"", "");
    }
    int version = r.get("format_version").integer(1, Integer.MAX_VALUE);
    if (version > FORMAT_VERSION) {
      throw r.get("format_version")
          .error(
              "is " + version + " but this llmemu reads version " + FORMAT_VERSION,
              "Upgrade llmemu, or regenerate the profile with this version's builder");
    }
    String name = r.get("name").string();
    if (!NAME.matcher(name).matches()) {
      throw r.get("name")
          .error(
              "must be lower-case letters, digits, '.', '_' or '-', got \"" + name + "\"",
              "Use a name like h100-llama-3.1-8b");
    }
    String description = r.get("description").string(name);
    JsonField gpu = r.get("gpu").requireObject();
    String gpuName = gpu.get("name").string();
    long gpuMemory = gpu.get("memory_bytes").integer(GIB, 1L << 50);
    ModelGeometry model = readModel(r.get("model").requireObject());
    JsonField tpField = r.get("tensor_parallel_size");
    int tp = tpField.integer(1, 64);
    if (model.numHeads() % tp != 0) {
      throw tpField.error(
          "is "
              + tp
              + ", which does not divide model.num_attention_heads ("
              + model.numHeads()
              + ")",
          "vLLM needs the attention heads split evenly across GPUs; use a divisor such as 1, 2, 4 or 8");
    }
    JsonField engine = r.get("engine").requireObject();
    int blockSize = engine.get("block_size").integer(1, 1024, EngineConfig.DEFAULT_BLOCK_SIZE);
    int maxNumSeqs = engine.get("max_num_seqs").integer(1, 1 << 20);
    int maxBatched = engine.get("max_num_batched_tokens").integer(1, 1 << 24);
    int maxModelLen = engine.get("max_model_len").integer(2, 1 << 24);
    double utilization = engine.get("gpu_memory_utilization").number(0.01, 1.0, 0.9);
    boolean prefixCaching = engine.get("enable_prefix_caching").bool(true);
    boolean chunkedPrefill = engine.get("enable_chunked_prefill").bool(true);
    boolean async = engine.get("async_scheduling").bool(true);
    int longPrefill = engine.get("long_prefill_token_threshold").integer(0, 1 << 24, 0);
    if (maxBatched < maxNumSeqs) {
      throw engine
          .get("max_num_batched_tokens")
          .error(
              "(" + maxBatched + ") must be at least engine.max_num_seqs (" + maxNumSeqs + ")",
              "vLLM rejects this combination; raise max_num_batched_tokens or lower max_num_seqs");
    }
    JsonField kv = r.get("kv_cache");
    int numGpuBlocks;
    if (kv.present() && kv.get("num_gpu_blocks").present()) {
      numGpuBlocks = kv.get("num_gpu_blocks").integer(2, Integer.MAX_VALUE);
    } else {
      long reserve =
          kv.present() && kv.get("activation_reserve_bytes").present()
              ? kv.get("activation_reserve_bytes").integer(0L, 1L << 50)
              : KvSizing.estimateReserveBytes(model, tp, maxBatched, maxNumSeqs);
      long available =
          KvSizing.availableKvBytes(gpuMemory, utilization, model.weightBytesPerGpu(tp), reserve);
      numGpuBlocks = KvSizing.numGpuBlocks(available, model.kvBytesPerTokenPerGpu(tp), blockSize);
      if (numGpuBlocks < 2) {
        throw gpu.get("memory_bytes")
            .error(
                "("
                    + gpuMemory
                    + " bytes) leaves no room for a KV cache after the weights ("
                    + model.weightBytesPerGpu(tp)
                    + " bytes per GPU)",
                "Use a larger GPU, a larger tensor_parallel_size, or set kv_cache.num_gpu_blocks");
      }
    }
    long kvTokens = (long) (numGpuBlocks - 1) * blockSize;
    if (maxModelLen > kvTokens) {
      throw engine
          .get("max_model_len")
          .error(
              "is "
                  + maxModelLen
                  + " but the KV cache holds only "
                  + kvTokens
                  + " tokens ("
                  + numGpuBlocks
                  + " blocks of "
                  + blockSize
                  + ")",
              "vLLM refuses to start so; lower max_model_len to at most " + kvTokens);
    }
    if (!chunkedPrefill && maxBatched < maxModelLen) {
      throw engine
          .get("max_num_batched_tokens")
          .error(
              "("
                  + maxBatched
                  + ") is smaller than max_model_len ("
                  + maxModelLen
                  + ") without chunked prefill",
              "Enable chunked prefill, raise max_num_batched_tokens or lower max_model_len");
    }
    EngineConfig config =
        new EngineConfig(
            blockSize,
            numGpuBlocks,
            maxNumSeqs,
            maxBatched,
            maxModelLen,
            longPrefill,
            chunkedPrefill,
            prefixCaching,
            SchedulingPolicy.FCFS,
            0,
            async);
    JsonField latency = r.get("latency").requireObject();
    String type = latency.get("type").string();
    StepLatencyModel model2;
    String label = name + " (" + type + " profile, " + gpuName + ", " + model.id() + ")";
    switch (type) {
      case "kernel":
        model2 = new KernelStepModel(readKernel(latency), label);
        break;
      case "empirical":
        model2 = readEmpirical(latency, label);
        break;
      default:
        throw latency
            .get("type")
            .error(
                "must be \"kernel\" or \"empirical\", got \"" + type + "\"",
                "See docs/profiles.md for both latency representations");
    }
    JsonField overheads = latency.get("overheads");
    double frontendUs = overheads.present() ? overheads.get("frontend_us").number(0, 1e8, 0) : 0;
    double perOutputUs =
        overheads.present() ? overheads.get("frontend_per_output_us").number(0, 1e6, 0) : 0;
    @Nullable String provenance =
        r.get("provenance").present() ? r.get("provenance").node().toString() : null;
    @Nullable String fidelity =
        r.get("fidelity").present() ? r.get("fidelity").node().toString() : null;
    return new HardwareProfile(
        name,
        gpuName,
        model.id(),
        tp,
        config,
        model2,
        description,
        Duration.ofNanos(Math.round(frontendUs * 1000)),
        Duration.ofNanos(Math.round(perOutputUs * 1000)),
        r.source(),
        FORMAT + "/" + version,
        provenance,
        fidelity);
  }

  static ModelGeometry readModel(JsonField m) {
    String id = m.get("id").string();
    int layers = m.get("num_hidden_layers").integer(1, 10_000);
    int hidden = m.get("hidden_size").integer(1, 1 << 20);
    int heads = m.get("num_attention_heads").integer(1, 10_000);
    int kvHeads = m.get("num_key_value_heads").integer(1, 10_000, heads);
    if (heads % kvHeads != 0) {
      throw m.get("num_key_value_heads")
          .error(
              "(" + kvHeads + ") must divide num_attention_heads (" + heads + ")",
              "Copy both values from the model's config.json");
    }
    int headDim = m.get("head_dim").integer(1, 4096, Math.max(1, hidden / heads));
    int intermediate = m.get("intermediate_size").integer(1, 1 << 22);
    int vocab = m.get("vocab_size").integer(1, 1 << 24);
    String dtype = m.get("dtype").string("bfloat16").toLowerCase(Locale.ROOT);
    int dtypeBytes;
    switch (dtype) {
      case "bfloat16":
      case "float16":
      case "half":
        dtypeBytes = 2;
        break;
      case "float32":
        dtypeBytes = 4;
        break;
      case "fp8":
      case "float8":
        dtypeBytes = 1;
        break;
      default:
        throw m.get("dtype")
            .error(
                "must be bfloat16, float16, float32 or fp8, got \"" + dtype + "\"",
                "Use the torch_dtype from the model's config.json");
    }
    int maxPos = m.get("max_position_embeddings").integer(2, 1 << 24);
    boolean tie = m.get("tie_word_embeddings").bool(false);
    boolean qkNorm = m.get("qk_norm").bool(false);
    return new ModelGeometry(
        id,
        layers,
        hidden,
        heads,
        kvHeads,
        headDim,
        intermediate,
        vocab,
        dtypeBytes,
        maxPos,
        tie,
        qkNorm);
  }

  private static KernelStepModel.Tables readKernel(JsonField l) {
    String unit = l.get("unit").string("us");
    if (!unit.equals("us")) {
      throw l.get("unit").error("must be \"us\" (microseconds), got \"" + unit + "\"", "");
    }
    int[] graphs =
        l.get("cuda_graph_sizes").present() && l.get("cuda_graph_sizes").size() > 0
            ? l.get("cuda_graph_sizes").ints(1, 1 << 20)
            : new int[0];
    for (int i = 1; i < graphs.length; i++) {
      if (graphs[i] <= graphs[i - 1]) {
        throw l.get("cuda_graph_sizes")
            .at(i)
            .error("must be greater than the previous size", "Sort the sizes");
      }
    }
    JsonField tok = l.get("token_ops").requireObject();
    double[] tokens = tok.get("tokens").increasing(1);
    for (int i = 0; i < tokens.length; i++) {
      if (tokens[i] != Math.rint(tokens[i])) {
        throw tok.get("tokens").at(i).error("must be a whole number of tokens", "");
      }
    }
    if (tokens[tokens.length - 1] > 1 << 22) {
      throw tok.get("tokens").error("goes beyond 4194304 tokens", "Use a smaller grid");
    }
    tok.get("mean").requireSize(tokens.length, "latency.token_ops.tokens");
    double[] tokMean = tok.get("mean").numbers(0);
    double[] tokStd;
    if (tok.get("std").present()) {
      tok.get("std").requireSize(tokens.length, "latency.token_ops.tokens");
      tokStd = tok.get("std").numbers(0);
    } else {
      tokStd = new double[tokens.length];
    }
    JsonField lm = l.get("lm_head").requireObject();
    double[] lmGrid = lm.get("sequences").increasing(1);
    lm.get("mean").requireSize(lmGrid.length, "latency.lm_head.sequences");
    double[] lmMean = lm.get("mean").numbers(0);
    JsonField dec = l.get("decode_attention").requireObject();
    double[] decB = dec.get("batch").increasing(1);
    double[] decKv = dec.get("kv").increasing(0);
    double[][] decMean = matrix(dec.get("mean"), decB.length, decKv.length, "decode_attention");
    JsonField pre = l.get("prefill_attention").requireObject();
    double[] preQ = pre.get("query").increasing(1);
    double[] preC = pre.get("context").increasing(0);
    double[][] preMean = matrix(pre.get("mean"), preQ.length, preC.length, "prefill_attention");
    double fixed = pre.get("fixed").number(0, 1e7, 0);
    double relStd = l.get("attention_rel_std").number(0, 1, 0);
    JsonField o = l.get("overheads");
    double stepUs = o.present() ? o.get("step_us").number(0, 1e7, 0) : 0;
    double perReqUs = o.present() ? o.get("per_request_us").number(0, 1e6, 0) : 0;
    double prefillStepUs = o.present() ? o.get("prefill_step_us").number(0, 1e7, 0) : 0;
    return new KernelStepModel.Tables(
        graphs,
        tokens,
        tokMean,
        tokStd,
        lmGrid,
        lmMean,
        decB,
        decKv,
        decMean,
        preQ,
        preC,
        preMean,
        fixed,
        relStd,
        stepUs,
        perReqUs,
        prefillStepUs);
  }

  private static double[][] matrix(JsonField f, int rows, int cols, String table) {
    String rowName = table.equals("decode_attention") ? "batch" : "query";
    String colName = table.equals("decode_attention") ? "kv" : "context";
    f.requireSize(rows, "latency." + table + "." + rowName);
    double[][] out = new double[rows][];
    for (int i = 0; i < rows; i++) {
      JsonField row = f.at(i);
      row.requireSize(cols, "latency." + table + "." + colName);
      out[i] = row.numbers(0);
    }
    return out;
  }

  private static StepLatencyModel readEmpirical(JsonField l, String label) {
    List<JsonField> dimFields = l.get("dimensions").elements();
    if (dimFields.isEmpty()) {
      throw l.get("dimensions")
          .error("must name at least one dimension", "For LLM-Emu's method use tt and conc");
    }
    List<StepDimension> dims = new ArrayList<>();
    double[] widths = new double[dimFields.size()];
    boolean[] snap = new boolean[dimFields.size()];
    for (int i = 0; i < dimFields.size(); i++) {
      JsonField d = dimFields.get(i).requireObject();
      String dn = d.get("name").string();
      StepDimension dim;
      try {
        dim = StepDimension.of(dn);
      } catch (IllegalArgumentException e) {
        throw d.get("name")
            .error(
                "is \"" + dn + "\", not a step dimension",
                "Use one of tt, conc, new_reqs, ctx, decodes");
      }
      if (dims.contains(dim)) {
        throw d.get("name")
            .error("repeats the dimension \"" + dn + "\"", "Name each dimension once");
      }
      dims.add(dim);
      widths[i] = d.get("width").number(1, 1e9, 1);
      snap[i] = d.get("snap").bool(widths[i] > 1);
    }
    int minSamples = l.get("min_samples").integer(1, 1_000_000, ShepardOracle.DEFAULT_MIN_SAMPLES);
    JsonField tables = l.get("tables").requireObject();
    ShepardOracle prefill = buckets(tables.get("prefill"), dims.size(), minSamples);
    ShepardOracle decode = buckets(tables.get("decode"), dims.size(), minSamples);
    ShepardOracle all = buckets(tables.get("all"), dims.size(), minSamples);
    if (empty(prefill) && empty(decode) && empty(all)) {
      throw tables.error(
          "holds no samples", "Give at least one of prefill, decode or all with sampled buckets");
    }
    JsonField o = l.get("overheads");
    double stepUs = o.present() ? o.get("step_us").number(0, 1e7, 0) : 0;
    return new EmpiricalStepModel(
        dims, widths, snap, prefill, decode, all, Math.round(stepUs * 1000), label);
  }

  private static boolean empty(@Nullable ShepardOracle o) {
    return o == null || o.isEmpty();
  }

  private static @Nullable ShepardOracle buckets(JsonField table, int dims, int minSamples) {
    if (!table.present()) {
      return null;
    }
    List<ShepardOracle.Bucket> out = new ArrayList<>();
    for (JsonField b : table.elements()) {
      b.requireObject();
      JsonField key = b.get("key");
      key.requireSize(dims, "latency.dimensions");
      double[] k = key.numbers(Double.NEGATIVE_INFINITY);
      double[] s = b.get("samples").size() == 0 ? new double[0] : b.get("samples").numbers(0);
      out.add(new ShepardOracle.Bucket(k, s));
    }
    return new ShepardOracle(out, minSamples);
  }
}
