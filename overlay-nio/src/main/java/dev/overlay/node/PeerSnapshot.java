package dev.overlay.node;

import dev.overlay.session.Path;
import dev.overlay.session.PeerStats;
import dev.overlay.stream.StreamStats;
import java.net.InetSocketAddress;

/**
 * One peer of a node at the moment of a {@link NodeSnapshot}: its session-layer statistics and,
 * when streams were ever used with it, its stream-layer statistics. Immutable.
 *
 * @param session the session layer's view
 * @param streams the stream layer's view, or null when no stream connection was ever made
 */
public record PeerSnapshot(PeerStats session, StreamStats streams) {
    /** {@code direct}, {@code relay} or {@code none}. */
    public String pathKind() {
        Path p = session.path();
        return p == null ? "none" : p.kind();
    }

    /** The peer's own UDP address on a direct path; null when relayed or without a path. */
    public InetSocketAddress remoteAddress() {
        Path p = session.path();
        return p == null || p.isRelayed() ? null : p.address();
    }

    /** The relay's UDP address when relayed, else null. */
    public InetSocketAddress relayAddress() {
        Path p = session.path();
        return p != null && p.isRelayed() ? p.address() : null;
    }

    /**
     * The best RTT estimate in nanoseconds: the stream layer's smoothed RTT when it has samples,
     * else what the last handshake measured; -1 when neither exists.
     */
    public long rttNanos() {
        if (streams != null && streams.smoothedRtt() >= 0) {
            return streams.smoothedRtt();
        }
        return session.handshakeRtt();
    }

    /** Where {@link #rttNanos()} comes from: {@code streams}, {@code handshake} or {@code none}. */
    public String rttSource() {
        if (streams != null && streams.smoothedRtt() >= 0) {
            return "streams";
        }
        return session.handshakeRtt() >= 0 ? "handshake" : "none";
    }

    /** The lowest RTT seen in nanoseconds: the stream layer's minimum, else the handshake's; -1 if none. */
    public long minRttNanos() {
        if (streams != null && streams.minRtt() >= 0) {
            return session.handshakeRtt() >= 0 ? Math.min(streams.minRtt(), session.handshakeRtt()) : streams.minRtt();
        }
        return session.handshakeRtt();
    }
}
