package dev.overlay.nio;

import dev.overlay.identity.NodeId;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Which key an IPv6 handle belongs to, as far as this node knows: the configured keys (self,
 * peers, pinned rendezvous servers, aliases) always, and a bounded, least-recently-used set of
 * keys learned since (names connected to, handles the rendezvous resolved, peers that opened
 * sessions). A handle is a hash of its key, so only a key seen somewhere can be named from it.
 * Thread-safe.
 */
final class KeyBook {
    /** Learned keys kept at most; the least recently used is forgotten first. */
    static final int DEFAULT_CAPACITY = 4096;

    private final Map<Handle, NodeId> configured = new LinkedHashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final LinkedHashMap<Handle, NodeId> learned;

    /** A handle's 128 bits, without the host name or scope an {@link InetAddress} may carry. */
    private record Handle(long high, long low) {
        static Handle of(byte[] a) {
            long high = 0;
            long low = 0;
            for (int i = 0; i < 8; i++) {
                high = (high << 8) | (a[i] & 0xff);
                low = (low << 8) | (a[i + 8] & 0xff);
            }
            return new Handle(high, low);
        }
    }

    KeyBook(Iterable<NodeId> configuredKeys, int capacity) {
        for (NodeId k : configuredKeys) {
            configured.put(Handle.of(k.handle().getAddress()), k);
        }
        this.learned = new LinkedHashMap<>(64, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Handle, NodeId> eldest) {
                return size() > capacity;
            }
        };
    }

    /** The key whose handle is {@code address}, or null when no such key is known (or it is no handle). */
    NodeId lookup(InetAddress address) {
        if (!NodeId.isHandle(address)) {
            return null;
        }
        Handle h = Handle.of(address.getAddress());
        NodeId k = configured.get(h);
        if (k != null) {
            return k;
        }
        lock.lock();
        try {
            return learned.get(h);
        } finally {
            lock.unlock();
        }
    }

    /** Remembers {@code key} (configured keys need not be learned). */
    void learn(NodeId key) {
        Handle h = Handle.of(key.handle().getAddress());
        if (configured.containsKey(h)) {
            return;
        }
        lock.lock();
        try {
            learned.put(h, key);
        } finally {
            lock.unlock();
        }
    }

    /** Learned keys held now (for tests). */
    int learnedSize() {
        lock.lock();
        try {
            return learned.size();
        } finally {
            lock.unlock();
        }
    }
}
