package dev.overlay.session;

import dev.overlay.identity.NodeId;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Tuning of one device.
 *
 * @param timers the session timers
 * @param maxPeers most peers held at once (configured and learned ones; initiators that have not
 *     confirmed their keys live in a separate bounded pool); an initiation from a new key, or a
 *     relay or candidates for one, beyond this is dropped and counted ({@link Drop#PEER_LIMIT})
 *     unless an idle learned peer gives way, which bounds memory under a flood of valid handshakes
 * @param acceptPeer which keys may complete a handshake with us as responder; others are dropped
 *     before any state is kept ({@link Drop#REFUSED_PEER})
 */
public record DeviceConfig(SessionTimers timers, int maxPeers, Predicate<NodeId> acceptPeer) {
    /**
     * Enough for a large mesh. An idle peer with a session costs about 7 KB of heap (measured by
     * MemoryProbe, docs/benchmarks.md), so the default bounds peers to roughly 29 MB.
     */
    public static final int DEFAULT_MAX_PEERS = 4096;

    public static final DeviceConfig DEFAULTS =
            new DeviceConfig(SessionTimers.DEFAULTS, DEFAULT_MAX_PEERS, key -> true);

    public DeviceConfig {
        Objects.requireNonNull(timers, "timers");
        Objects.requireNonNull(acceptPeer, "acceptPeer");
        if (maxPeers < 1) {
            throw new IllegalArgumentException("maxPeers must be at least 1, got " + maxPeers);
        }
    }

    public DeviceConfig withTimers(SessionTimers t) {
        return new DeviceConfig(t, maxPeers, acceptPeer);
    }
}
