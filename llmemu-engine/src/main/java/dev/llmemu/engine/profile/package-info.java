/**
 * Hardware profiles: a GPU, a model and the engine settings and step latency they imply. Load one
 * with {@link dev.llmemu.engine.profile.Profiles#load(String)} (bundled name, file path or URL;
 * llmemu's format or an LLM-Emu pack); see docs/profiles.md.
 */
@NullMarked
package dev.llmemu.engine.profile;

import org.jspecify.annotations.NullMarked;
