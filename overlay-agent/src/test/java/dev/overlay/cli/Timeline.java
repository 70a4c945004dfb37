package dev.overlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reading the output of {@link HashPeers}' timing sink ({@code sinks}) and source: waiting for
 * progress, checking a transfer arrived whole, and measuring how long the data stopped after a
 * change in the network. Times are wall-clock milliseconds, which all processes of a lab share.
 */
final class Timeline {
    private static final Pattern PROGRESS = Pattern.compile("out: progress (\\d+) (\\d+) (\\d+)");

    private Timeline() {}

    /** Waits until sink connection {@code index} has at least {@code bytes}. */
    static void awaitProgress(OverlayProcess sink, int index, long bytes, Duration limit) throws InterruptedException {
        sink.awaitLine(l -> {
            Matcher m = PROGRESS.matcher(l);
            return m.matches() && Integer.parseInt(m.group(1)) == index && Long.parseLong(m.group(2)) >= bytes;
        }, limit);
    }

    /**
     * Waits for {@code source} to finish, then checks that sink connection {@code index} got
     * {@code bytes} with the SHA-256 the source sent, and that the source got that hash back.
     */
    static void assertIntact(OverlayProcess source, OverlayProcess sink, int index, long bytes, Duration limit)
            throws InterruptedException {
        assertThat(source.awaitExit(limit)).as(String.join("\n", source.lines())).isZero();
        String sent = source.awaitLine(l -> l.startsWith("out: sent "), limit).substring(10);
        String answer = source.awaitLine(l -> l.startsWith("out: answer "), limit).substring(12);
        String[] done = sink.awaitLine(l -> l.startsWith("out: done " + index + " "), limit).split(" ");
        assertThat(Long.parseLong(done[3])).as("bytes at the sink").isEqualTo(bytes);
        assertThat(done[4]).as("SHA-256 at the sink").isEqualTo(sent);
        assertThat(answer).as("SHA-256 the source got back").isEqualTo(sent);
    }

    /** When sink connection {@code index} got its first byte. */
    static long firstByte(OverlayProcess sink, int index, Duration limit) throws InterruptedException {
        return Long.parseLong(sink.awaitLine(l -> l.startsWith("out: first " + index + " "), limit).split(" ")[3]);
    }

    /** When the source had its TCP connection. */
    static long connected(OverlayProcess source, Duration limit) throws InterruptedException {
        return Long.parseLong(source.awaitLine(l -> l.startsWith("out: connected "), limit).split(" ")[2]);
    }

    /**
     * The stall a change at {@code changeAt} caused on a sink connection: {@code firstAfterMs}
     * from the change to the next progress line; {@code longestMs} the longest time without
     * progress from the change on (this also catches a stall that bytes already buffered past the
     * change hide from the first figure); {@code bytesAfter} what arrived after the change.
     */
    record Stall(long firstAfterMs, long longestMs, long bytesAfter) {}

    /** The {@link Stall} of sink connection {@code index} after {@code changeAt}; call once it is done. */
    static Stall stall(OverlayProcess sink, int index, long changeAt) {
        long previous = changeAt;
        long firstAfter = -1;
        long longest = 0;
        long bytesAtChange = 0;
        long last = 0;
        for (String l : sink.lines()) {
            Matcher m = PROGRESS.matcher(l);
            if (!m.matches() || Integer.parseInt(m.group(1)) != index) {
                continue;
            }
            long bytes = Long.parseLong(m.group(2));
            long at = Long.parseLong(m.group(3));
            last = bytes;
            if (at < changeAt) {
                bytesAtChange = bytes;
                continue;
            }
            if (firstAfter < 0) {
                firstAfter = at - changeAt;
            }
            longest = Math.max(longest, at - previous);
            previous = at;
        }
        return new Stall(firstAfter, longest, last - bytesAtChange);
    }
}
