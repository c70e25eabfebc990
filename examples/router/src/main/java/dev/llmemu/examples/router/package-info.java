/**
 * A small HTTP router in front of several OpenAI-compatible (vLLM) replicas: {@link RouterProxy}
 * forwards each generation request to the replica a {@link Router} picks and streams the answer
 * back. Three strategies: {@link RoundRobinRouter}, {@link LeastOutstandingRouter} and {@link
 * PredictiveRouter}, which reads every replica's {@code /metrics} and predicts each request's
 * latency there with the hardware profile's step latency model ({@link LatencyPredictor}).
 */
package dev.llmemu.examples.router;
