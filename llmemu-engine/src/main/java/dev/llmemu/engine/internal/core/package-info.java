/** Not API: may change in any release. */
@NullMarked
package dev.llmemu.engine.internal.core;

import org.jspecify.annotations.NullMarked;
