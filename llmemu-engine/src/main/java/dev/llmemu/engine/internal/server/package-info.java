/** Not API: the HTTP layer of {@code EmulatedVllmServer}. May change in any release. */
@NullMarked
package dev.llmemu.engine.internal.server;

import org.jspecify.annotations.NullMarked;
