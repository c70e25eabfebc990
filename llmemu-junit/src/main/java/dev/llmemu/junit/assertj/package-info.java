/** AssertJ assertions on load results: latency percentiles, throughput, goodput, errors. */
@NullMarked
package dev.llmemu.junit.assertj;

import org.jspecify.annotations.NullMarked;
