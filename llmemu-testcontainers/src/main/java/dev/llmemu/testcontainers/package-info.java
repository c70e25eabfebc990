/** Testcontainers support for llmemu: {@link dev.llmemu.testcontainers.LlmemuContainer}. */
@NullMarked
package dev.llmemu.testcontainers;

import org.jspecify.annotations.NullMarked;
