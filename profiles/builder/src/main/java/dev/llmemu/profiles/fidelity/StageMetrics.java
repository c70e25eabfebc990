package dev.llmemu.profiles.fidelity;

/**
 * The compared metrics of one load stage (times in seconds, throughput in output tokens per
 * second), measured or emulated.
 *
 * @param tpot physical time per output token, {@code (E2E − TTFT) / (output_len − 1)} on the means
 * @param itl mean inter-token latency as the client reported it
 * @param outputThroughput output tokens per second over the stage, every success counting exactly
 *     its configured output length
 */
public record StageMetrics(
    int successes,
    int failures,
    double ttftMean,
    double ttftP50,
    double ttftP90,
    double ttftP99,
    double tpot,
    double itl,
    double e2eMean,
    double e2eP50,
    double e2eP90,
    double e2eP99,
    double outputThroughput) {}
