package dev.overlay.cli;

import java.net.InetSocketAddress;

/** Small formatting helpers shared by commands. */
final class Cli {
    private Cli() {}

    /** {@code 127.0.0.1:7000} or {@code [::1]:7000}. */
    static String format(InetSocketAddress a) {
        return dev.overlay.node.Endpoints.format(a);
    }
}
