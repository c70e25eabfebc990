/**
 * llmemu's engine: a vLLM v1 serving engine whose GPU forward pass is replaced by a step latency
 * drawn from a hardware profile.
 *
 * <p>Start with {@link dev.llmemu.engine.Simulator} to run a workload in virtual time, or {@link
 * dev.llmemu.engine.Engine} to run the engine in real time behind your own front end.
 */
@NullMarked
package dev.llmemu.engine;

import org.jspecify.annotations.NullMarked;
