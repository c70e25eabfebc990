/**
 * An emulated vLLM server in your JVM: {@link dev.llmemu.engine.server.EmulatedVllmServer} serves
 * vLLM's OpenAI-compatible HTTP API on a real port, backed by the emulated engine.
 */
@NullMarked
package dev.llmemu.engine.server;

import org.jspecify.annotations.NullMarked;
