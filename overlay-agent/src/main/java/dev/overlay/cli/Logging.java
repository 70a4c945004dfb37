package dev.overlay.cli;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One-line log records on stderr through java.util.logging, the JDK's default backend for the
 * {@code System.Logger} the library logs through. {@code serve} logs session events at INFO;
 * short-lived commands only warnings, so their output stays what the user asked for.
 */
final class Logging {
    /** Held so the level set on it is not lost when the logger is garbage collected. */
    private static final Logger OVERLAY = Logger.getLogger("dev.overlay");

    private Logging() {}

    static void configure() {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format",
                    "%1$tH:%1$tM:%1$tS.%1$tL %4$s %5$s%6$s%n");
        }
        quiet();
    }

    static void quiet() {
        OVERLAY.setLevel(Level.WARNING);
    }

    static void verbose() {
        OVERLAY.setLevel(Level.INFO);
    }
}
