/** Hardware profiles: a GPU, a model and the engine settings and step latency they imply. */
@NullMarked
package dev.llmemu.engine.profile;

import org.jspecify.annotations.NullMarked;
