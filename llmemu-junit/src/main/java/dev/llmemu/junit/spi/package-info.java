/** Service-provider interface: launchers for modes other than in-process. */
@NullMarked
package dev.llmemu.junit.spi;

import org.jspecify.annotations.NullMarked;
