/** Internal: not API; may change in any release. */
@NullMarked
package dev.llmemu.testcontainers.internal;

import org.jspecify.annotations.NullMarked;
