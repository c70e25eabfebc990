package dev.llmemu.testcontainers;

import dev.llmemu.junit.EmulatedVllm;
import dev.llmemu.junit.Mode;

/** {@link EmulatedVllmContract}, unchanged, against the llmemu image in Docker. */
@EmulatedVllm(
    profile = EmulatedVllmContract.PROFILE,
    model = EmulatedVllmContract.MODEL,
    seed = 42,
    args = {"--time-scale", "0.1", "--max-num-seqs", "8"},
    mode = Mode.CONTAINER)
class ContainerContractIT extends EmulatedVllmContract {}
