#!/usr/bin/env bash
# Runs the engine's JMH benchmarks (llmemu-engine/src/test/java/dev/llmemu/engine/bench).
# Usage: bench/jmh.sh [JMH arguments, e.g. StepBenchmark -p running=256]
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q -B -pl llmemu-engine -am -DskipTests -Dspotless.check.skip=true test-compile \
  dependency:build-classpath -Dmdep.outputFile=target/test.classpath -Dmdep.includeScope=test
cp="llmemu-engine/target/test-classes:llmemu-engine/target/classes:$(cat llmemu-engine/target/test.classpath)"
exec java -cp "$cp" org.openjdk.jmh.Main "$@"
