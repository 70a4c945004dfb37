package dev.overlay.stream;

import java.time.Duration;

/**
 * Tuning of the stream layer. Each default says why it has its value.
 *
 * @param initialStreamWindow receive window a new stream starts with (256 KiB: one round trip of a
 *     ~200 Mbit/s, 10 ms path before autotuning has seen a single RTT)
 * @param maxStreamWindow the autotuned window never exceeds this (16 MiB: fills 1 Gbit/s at 130 ms);
 *     it is also the most a slow reader can make one stream buffer
 * @param initialConnectionWindow receive window shared by all streams of a peer (1 MiB)
 * @param maxConnectionWindow bound on the connection window (64 MiB): all received-but-unread bytes
 *     from one peer stay below it
 * @param sendBufferBytes bytes an application may write ahead of acknowledgements per stream (4 MiB,
 *     like a generous SO_SNDBUF); writers block beyond it
 * @param maxStreamsPerPeer concurrent streams a peer may open to us (1024); more are refused
 * @param idleTimeout a connection with open streams fails them when nothing arrives for this long
 *     (30 s, QUIC's common max_idle_timeout); keepalive PINGs go out at a third of it
 * @param maxAckDelay how long a receiver may delay an ACK (25 ms, RFC 9000 18.2's default)
 * @param initialDatagramSize UDP payload size before path MTU discovery (1200: RFC 9000 14, what
 *     every path carries)
 * @param maxDatagramSize largest UDP payload probed (65507: the IPv4 UDP limit; loopback carries it)
 * @param acceptBacklog streams waiting for {@code accept()} per listener (128, like a listen backlog)
 */
public record StreamConfig(
        int initialStreamWindow,
        int maxStreamWindow,
        int initialConnectionWindow,
        int maxConnectionWindow,
        int sendBufferBytes,
        int maxStreamsPerPeer,
        Duration idleTimeout,
        Duration maxAckDelay,
        int initialDatagramSize,
        int maxDatagramSize,
        int acceptBacklog) {

    public static final StreamConfig DEFAULTS = new StreamConfig(
            256 * 1024, 16 * 1024 * 1024, 1024 * 1024, 64 * 1024 * 1024, 4 * 1024 * 1024,
            1024, Duration.ofSeconds(30), Duration.ofMillis(25), 1200, 65507, 128);

    public StreamConfig {
        positive("initialStreamWindow", initialStreamWindow);
        positive("maxStreamWindow", maxStreamWindow);
        positive("initialConnectionWindow", initialConnectionWindow);
        positive("maxConnectionWindow", maxConnectionWindow);
        positive("sendBufferBytes", sendBufferBytes);
        positive("maxStreamsPerPeer", maxStreamsPerPeer);
        positive("acceptBacklog", acceptBacklog);
        if (maxStreamWindow < initialStreamWindow || maxConnectionWindow < initialConnectionWindow) {
            throw new IllegalArgumentException("a maximum window is smaller than its initial window");
        }
        if (initialDatagramSize < 1200 || maxDatagramSize < initialDatagramSize || maxDatagramSize > 65507) {
            throw new IllegalArgumentException("datagram sizes must satisfy 1200 <= initial <= max <= 65507, got "
                    + initialDatagramSize + " and " + maxDatagramSize);
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero() || maxAckDelay.isNegative()) {
            throw new IllegalArgumentException("idleTimeout must be positive and maxAckDelay not negative");
        }
    }

    private static void positive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + v);
        }
    }

    public StreamConfig withIdleTimeout(Duration d) {
        return new StreamConfig(initialStreamWindow, maxStreamWindow, initialConnectionWindow,
                maxConnectionWindow, sendBufferBytes, maxStreamsPerPeer, d, maxAckDelay,
                initialDatagramSize, maxDatagramSize, acceptBacklog);
    }

    public StreamConfig withMaxDatagramSize(int size) {
        return new StreamConfig(initialStreamWindow, maxStreamWindow, initialConnectionWindow,
                maxConnectionWindow, sendBufferBytes, maxStreamsPerPeer, idleTimeout, maxAckDelay,
                initialDatagramSize, size, acceptBacklog);
    }
}
