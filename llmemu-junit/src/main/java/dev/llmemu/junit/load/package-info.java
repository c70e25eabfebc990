/** An HTTP load driver for OpenAI-compatible servers, with {@code vllm bench serve}'s metrics. */
@NullMarked
package dev.llmemu.junit.load;

import org.jspecify.annotations.NullMarked;
