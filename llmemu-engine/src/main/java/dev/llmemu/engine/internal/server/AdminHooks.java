package dev.llmemu.engine.internal.server;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** What the server's {@code /llmemu/...} admin endpoints read from and do to their server. */
public interface AdminHooks {
  /**
   * {@code {"request_count": C, "data": [...]}}: the recorded requests with a sequence number above
   * {@code after}, oldest first, at most {@code limit}.
   */
  ObjectNode recorded(long after, int limit);

  /**
   * {@code {"data": [...]}}: the engine's timing of finished requests whose client request id
   * starts with {@code prefix}.
   */
  ObjectNode timings(String prefix);

  /** Forgets recorded requests and restores the built runtime settings. */
  void reset();

  /** Hooks for a server without them (every endpoint answers empty). */
  AdminHooks NONE =
      new AdminHooks() {
        @Override
        public ObjectNode recorded(long after, int limit) {
          return com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        }

        @Override
        public ObjectNode timings(String prefix) {
          return com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        }

        @Override
        public void reset() {}
      };
}
