package dev.llmemu.engine.internal.exec;

import dev.llmemu.engine.internal.core.EngineCore;

/** Something to do to the engine on its executive thread, at engine time {@code now}. */
@FunctionalInterface
public interface Command {
  void apply(EngineCore core, long now);
}
