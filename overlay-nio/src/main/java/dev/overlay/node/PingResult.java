package dev.overlay.node;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * One answered ping.
 *
 * @param seq the ping's sequence number
 * @param rtt round-trip time measured on the pinger's clock
 * @param path {@code direct}, or {@code relay} once relays exist
 * @param endpoint the UDP address the reply came from
 */
public record PingResult(int seq, Duration rtt, String path, InetSocketAddress endpoint) {}
