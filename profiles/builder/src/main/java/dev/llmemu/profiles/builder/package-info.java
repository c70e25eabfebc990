/**
 * llmemu's profile builder: composes step latencies from real GPU kernel measurements
 * (aiconfigurator, Vidur) into hardware profiles, calibrates the CPU-overhead terms on real vLLM
 * runs, and writes the bundled catalog. See docs/profiles.md.
 */
@NullMarked
package dev.llmemu.profiles.builder;

import org.jspecify.annotations.NullMarked;
