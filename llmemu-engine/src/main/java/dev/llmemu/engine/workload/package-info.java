/**
 * Workloads: when requests arrive and how long their prompts and outputs are, with the arrival
 * processes and length distributions of {@code vllm bench serve}.
 */
@NullMarked
package dev.llmemu.engine.workload;

import org.jspecify.annotations.NullMarked;
