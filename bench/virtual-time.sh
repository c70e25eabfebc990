#!/usr/bin/env bash
# Virtual-time speed of the engine: 10,000 requests, ~250 prompt / ~250 output tokens, ~100 running.
# Usage: bench/virtual-time.sh [profile] [rate] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q -B -pl llmemu-engine -am -DskipTests -Dspotless.check.skip=true test-compile \
  dependency:build-classpath -Dmdep.outputFile=target/test.classpath -Dmdep.includeScope=test
cp="llmemu-engine/target/test-classes:llmemu-engine/target/classes:$(cat llmemu-engine/target/test.classpath)"
exec java -Xmx2g -cp "$cp" dev.llmemu.engine.bench.VirtualTimeBenchmark "$@"
