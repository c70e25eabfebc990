/**
 * The fidelity harness: replays real experiments (inference-perf runs in the data's layout, and
 * {@code vllm bench serve}-style workloads) in virtual time and compares the emulated metrics with
 * the real measurements. See docs/fidelity.md.
 */
@NullMarked
package dev.llmemu.profiles.fidelity;

import org.jspecify.annotations.NullMarked;
