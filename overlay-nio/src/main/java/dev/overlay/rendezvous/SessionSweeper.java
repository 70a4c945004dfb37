package dev.overlay.rendezvous;

import dev.overlay.identity.NodeId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * On a rendezvous server, every node holding a session counts against the device's peer bound,
 * registered or not: a handful of sources could complete handshakes with throwaway keys and fill
 * the table. The sweeper names the peers that have had a session without a live registration for
 * longer than a grace period, so the server can forget them. Clock-free: the driver passes
 * {@code now} and calls {@link #sweep} at {@link #nextDeadline}.
 */
public final class SessionSweeper {
    /** Long enough for a REGISTER to follow its handshake, or a refresh to be retried. */
    public static final long DEFAULT_GRACE_NANOS = 30_000_000_000L;
    /** How often the peer table is looked through. */
    public static final long DEFAULT_INTERVAL_NANOS = 5_000_000_000L;

    private final long graceNanos;
    private final long intervalNanos;
    private final Map<NodeId, Long> unregisteredSince = new HashMap<>();
    private long nextSweep;

    public SessionSweeper(long now, long graceNanos, long intervalNanos) {
        if (graceNanos <= 0 || intervalNanos <= 0) {
            throw new IllegalArgumentException("grace and interval must be positive");
        }
        this.graceNanos = graceNanos;
        this.intervalNanos = intervalNanos;
        this.nextSweep = now + intervalNanos;
    }

    public long nextDeadline() {
        return nextSweep;
    }

    /**
     * Looks through {@code peers} (those holding a session or handshake with the server) and
     * returns those unregistered for at least the grace period; an empty list before
     * {@link #nextDeadline}. Memory is bounded by the peer table.
     */
    public List<NodeId> sweep(long now, Collection<NodeId> peers, Predicate<NodeId> registered) {
        if (now < nextSweep) {
            return List.of();
        }
        nextSweep = now + intervalNanos;
        List<NodeId> due = new ArrayList<>();
        Set<NodeId> still = new HashSet<>();
        for (NodeId id : peers) {
            if (registered.test(id)) {
                continue;
            }
            Long since = unregisteredSince.putIfAbsent(id, now);
            if (since != null && now - since >= graceNanos) {
                due.add(id);
            } else {
                still.add(id);
            }
        }
        unregisteredSince.keySet().retainAll(still);
        return due;
    }
}
