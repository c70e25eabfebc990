/** The {@code llmemu} command line ({@code serve}, {@code health}, {@code profiles}). */
@NullMarked
package dev.llmemu.engine.cli;

import org.jspecify.annotations.NullMarked;
