/** JUnit 5 support: {@code @EmulatedVllm} and its extension. */
@NullMarked
package dev.llmemu.junit;

import org.jspecify.annotations.NullMarked;
