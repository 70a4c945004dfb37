package dev.overlay.cli;

import java.time.Duration;

/** Durations as users typed them: {@code 5s}, {@code 250ms}. */
final class NodeOptionsFormat {
    private NodeOptionsFormat() {}

    static String duration(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
