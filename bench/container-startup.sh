#!/usr/bin/env bash
# Container start-up time (docs/benchmarks.md, "Container").
#
# Usage: bench/container-startup.sh [RUNS] [SERVE FLAGS...]      (default: 10 runs, default profile)
#
# Builds the engine and the llmemu image (docker build, from $LLMEMU_BASE_IMAGE if set, as in CI),
# then runs dev.llmemu.testcontainers.bench.ContainerStartupBenchmark (test sources): RUNS
# containers one after the other, each timed from LlmemuContainer.start() until GET /health answers
# 200. Needs a Docker engine; on the build machine also TESTCONTAINERS_HOST_OVERRIDE=localhost and
# TESTCONTAINERS_RYUK_DISABLED=true (set here unless already set).
set -euo pipefail
cd "$(dirname "$0")/.."
export TESTCONTAINERS_HOST_OVERRIDE="${TESTCONTAINERS_HOST_OVERRIDE:-localhost}"
export TESTCONTAINERS_RYUK_DISABLED="${TESTCONTAINERS_RYUK_DISABLED:-true}"
cp_file="$PWD/llmemu-testcontainers/target/bench.classpath"
if ! build_log=$(./mvnw -q -B -pl llmemu-testcontainers -am pre-integration-test -DskipTests \
  dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" 2>&1); then
  echo "$build_log" >&2
  exit 1
fi
exec java ${BENCH_JAVA_OPTS:-} \
  -cp "llmemu-testcontainers/target/test-classes:llmemu-testcontainers/target/classes:$(cat "$cp_file")" \
  dev.llmemu.testcontainers.bench.ContainerStartupBenchmark "$@"
