/** Not API: may change in any release. */
@NullMarked
package dev.llmemu.engine.internal.exec;

import org.jspecify.annotations.NullMarked;
