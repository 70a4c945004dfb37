package dev.overlay.rendezvous;

import dev.overlay.identity.NodeId;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Soft-state registrations of a rendezvous: key to (reflexive address, local addresses, expiry),
 * plus an index from each key's 16-byte handle ({@link NodeId#handle()}) back to the key.
 *
 * <p>A registration lives {@code ttl} after its last {@link #register}; every refresh pushes the
 * expiry back. At most {@code maxEntries} keys are held: a new key that finds the table full after
 * expired entries are purged is refused (known keys can always refresh), so a flood of
 * registrations from fresh keys costs bounded memory.
 *
 * <p>Clock-free and single-threaded: {@code now} is in nanoseconds (as {@link System#nanoTime()})
 * and must not decrease from one call to the next.
 */
public final class Registry {
    /** Default bound on registrations; each costs 0.5 to 3.1 KB of heap (0 to 16 local addresses). */
    public static final int DEFAULT_MAX_ENTRIES = 16_384;
    /** A registration is forgotten this long after its last REGISTER. */
    public static final int DEFAULT_TTL_SECONDS = 60;
    /** Advertised in REGISTERED: how often a node should re-register (below common NAT timeouts). */
    public static final int DEFAULT_REFRESH_SECONDS = 20;

    /**
     * One registered node.
     *
     * @param key the node's key
     * @param reflexive the address its REGISTER came from, as the rendezvous saw it
     * @param locals the node's own local addresses (at most {@link Messages#MAX_ADDRESSES})
     * @param expiresAt when it is forgotten unless refreshed (nanos)
     */
    public record Registration(NodeId key, InetSocketAddress reflexive, List<InetSocketAddress> locals, long expiresAt) {
        /**
         * The addresses a LOOKUP_RESULT carries: reflexive first, then the locals that differ
         * from it, at most {@link Messages#MAX_ADDRESSES} in all.
         */
        public List<InetSocketAddress> addresses() {
            List<InetSocketAddress> all = new ArrayList<>(1 + locals.size());
            all.add(reflexive);
            for (InetSocketAddress a : locals) {
                if (all.size() == Messages.MAX_ADDRESSES) {
                    break;
                }
                if (!all.contains(a)) {
                    all.add(a);
                }
            }
            return List.copyOf(all);
        }
    }

    /** The 128 bits of a handle as two longs: cheap to hash, no InetAddress equality subtleties. */
    private record Handle(long hi, long lo) {
        static Handle of(Inet6Address address) {
            ByteBuffer b = ByteBuffer.wrap(address.getAddress());
            return new Handle(b.getLong(0), b.getLong(8));
        }
    }

    private final int maxEntries;
    private final long ttlNanos;
    /** In order of last registration, which is also order of expiry (the TTL is the same for all). */
    private final LinkedHashMap<NodeId, Registration> entries = new LinkedHashMap<>();
    private final Map<Handle, NodeId> handles = new HashMap<>();

    /** {@link #DEFAULT_MAX_ENTRIES} entries living {@link #DEFAULT_TTL_SECONDS}. */
    public Registry() {
        this(DEFAULT_MAX_ENTRIES, DEFAULT_TTL_SECONDS * 1_000_000_000L);
    }

    public Registry(int maxEntries, long ttlNanos) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be at least 1, got " + maxEntries);
        }
        if (ttlNanos <= 0) {
            throw new IllegalArgumentException("ttl must be positive, got " + ttlNanos);
        }
        this.maxEntries = maxEntries;
        this.ttlNanos = ttlNanos;
    }

    /**
     * Registers or refreshes {@code key}: it lives until {@code now + ttl} with these addresses
     * (which replace any earlier ones).
     *
     * @param locals at most {@link Messages#MAX_ADDRESSES} addresses; extra ones are ignored
     * @return false when {@code key} is new and the table is full of live registrations
     */
    public boolean register(long now, NodeId key, InetSocketAddress reflexive, List<InetSocketAddress> locals) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(reflexive, "reflexive");
        List<InetSocketAddress> kept = List.copyOf(
                locals.size() > Messages.MAX_ADDRESSES ? locals.subList(0, Messages.MAX_ADDRESSES) : locals);
        Registration old = entries.remove(key);
        if (old == null) {
            if (entries.size() >= maxEntries) {
                expire(now);
                if (entries.size() >= maxEntries) {
                    return false;
                }
            }
            handles.put(Handle.of(key.handle()), key);
        }
        entries.put(key, new Registration(key, reflexive, kept, now + ttlNanos));
        return true;
    }

    /** The live registration of {@code key}, or null. */
    public Registration lookup(long now, NodeId key) {
        Registration r = entries.get(key);
        return r == null || r.expiresAt() <= now ? null : r;
    }

    /**
     * The live registration whose key has {@code handle}, or null. The key found in the index is
     * re-hashed and must give back {@code handle}.
     */
    public Registration lookupHandle(long now, Inet6Address handle) {
        if (!NodeId.isHandle(handle)) {
            return null;
        }
        NodeId key = handles.get(Handle.of(handle));
        if (key == null || !Handle.of(key.handle()).equals(Handle.of(handle))) {
            return null;
        }
        return lookup(now, key);
    }

    /** Forgets {@code key}; true if it was registered (live or not yet purged). */
    public boolean remove(NodeId key) {
        Registration r = entries.remove(key);
        if (r == null) {
            return false;
        }
        handles.remove(Handle.of(key.handle()), key);
        return true;
    }

    /** Forgets every registration whose expiry is at or before {@code now}; returns how many. */
    public int expire(long now) {
        int n = 0;
        Iterator<Registration> it = entries.values().iterator();
        while (it.hasNext()) {
            Registration r = it.next();
            if (r.expiresAt() > now) {
                break;
            }
            it.remove();
            handles.remove(Handle.of(r.key().handle()), r.key());
            n++;
        }
        return n;
    }

    /** When the next registration expires ({@link #expire} then has work); Long.MAX_VALUE if none. */
    public long nextExpiry() {
        if (entries.isEmpty()) {
            return Long.MAX_VALUE;
        }
        return entries.values().iterator().next().expiresAt();
    }

    /** Registrations held, including expired ones not yet purged. */
    public int size() {
        return entries.size();
    }

    /** Entries in the handle index (never more than {@link #size()}). */
    int handleCount() {
        return handles.size();
    }

    public int maxEntries() {
        return maxEntries;
    }

    public long ttlNanos() {
        return ttlNanos;
    }
}
