package dev.overlay.session;

import java.util.EnumMap;
import java.util.Map;

/**
 * Packet and drop counters of one device. Written by the event loop only; read them through
 * {@link #snapshot()} on the loop (the node offers that) for a consistent view.
 */
public final class Counters {
    private final long[] drops = new long[Drop.values().length];
    long datagramsIn;
    long datagramsOut;
    long bytesIn;
    long bytesOut;
    long handshakesCompleted;
    long keepalivesSent;
    long unconfirmedEvicted;
    long idlePeersEvicted;
    long challengesSent;
    long challengesSkipped;
    long challengesAnswered;
    long pathsValidated;
    long relayedIn;
    long relayedOut;

    void drop(Drop reason) {
        drops[reason.ordinal()]++;
    }

    void drop(Drop reason, int n) {
        drops[reason.ordinal()] += n;
    }

    public long drops(Drop reason) {
        return drops[reason.ordinal()];
    }

    public long totalDrops() {
        long sum = 0;
        for (long d : drops) {
            sum += d;
        }
        return sum;
    }

    public long datagramsIn() {
        return datagramsIn;
    }

    public long datagramsOut() {
        return datagramsOut;
    }

    public long bytesIn() {
        return bytesIn;
    }

    public long bytesOut() {
        return bytesOut;
    }

    public long handshakesCompleted() {
        return handshakesCompleted;
    }

    public long keepalivesSent() {
        return keepalivesSent;
    }

    /** Unconfirmed peers pushed out of their pool by newer initiations. */
    public long unconfirmedEvicted() {
        return unconfirmedEvicted;
    }

    /**
     * Learned peers holding nothing (no keys, no handshake, nothing staged) forgotten to make room
     * for a new peer when the table was full.
     */
    public long idlePeersEvicted() {
        return idlePeersEvicted;
    }

    /** PATH_CHALLENGEs sent (probes of candidates and of roaming endpoints). */
    public long challengesSent() {
        return challengesSent;
    }

    /**
     * PATH_CHALLENGEs due but not sent because nothing paid for them: an unvalidated address's
     * budget (3x the bytes from it) or the peer's probe allowance was spent.
     */
    public long challengesSkipped() {
        return challengesSkipped;
    }

    /** PATH_CHALLENGEs from peers answered with a PATH_RESPONSE. */
    public long challengesAnswered() {
        return challengesAnswered;
    }

    /** Direct addresses validated (by a PATH_RESPONSE, a handshake response or a confirmation). */
    public long pathsValidated() {
        return pathsValidated;
    }

    /** Sealed datagrams that arrived through a relay. */
    public long relayedIn() {
        return relayedIn;
    }

    /** Sealed datagrams handed to the driver to relay. */
    public long relayedOut() {
        return relayedOut;
    }

    /** The non-zero drop counters, for status output. */
    public Map<Drop, Long> snapshot() {
        Map<Drop, Long> m = new EnumMap<>(Drop.class);
        for (Drop d : Drop.values()) {
            if (drops[d.ordinal()] != 0) {
                m.put(d, drops[d.ordinal()]);
            }
        }
        return m;
    }
}
