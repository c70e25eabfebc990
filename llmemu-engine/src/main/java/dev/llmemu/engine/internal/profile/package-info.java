/**
 * Not API: may change in any release. Hardware-profile internals: the profile JSON format and its
 * validator, the LLM-Emu pack importer, the empirical oracle and the runtime step-latency models.
 */
@NullMarked
package dev.llmemu.engine.internal.profile;

import org.jspecify.annotations.NullMarked;
