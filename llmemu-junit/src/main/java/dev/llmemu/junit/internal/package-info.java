/** Not API: may change in any release. */
@NullMarked
package dev.llmemu.junit.internal;

import org.jspecify.annotations.NullMarked;
