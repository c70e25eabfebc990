#!/usr/bin/env bash
# The HTTP server's load benchmark (docs/benchmarks.md, "HTTP server").
#
# Usage: bench/server-load.sh [all|itl|concurrency|startup]     (default: all)
#
# Compiles the engine and its tests, then runs dev.llmemu.engine.bench.ServerLoadBenchmark (test
# sources) in one JVM against an in-process server over loopback. Takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
cp_file="$PWD/llmemu-engine/target/bench.classpath"
if ! build_log=$(./mvnw -q -B -pl llmemu-engine -am test-compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" 2>&1); then
  echo "$build_log" >&2
  exit 1
fi
exec java -Xms2g -Xmx2g -Xmn1536m -XX:+AlwaysPreTouch ${BENCH_JAVA_OPTS:-} \
  -cp "llmemu-engine/target/test-classes:llmemu-engine/target/classes:$(cat "$cp_file")" \
  dev.llmemu.engine.bench.ServerLoadBenchmark "${1:-all}"
