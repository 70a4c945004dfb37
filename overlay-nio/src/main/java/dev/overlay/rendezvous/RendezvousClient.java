package dev.overlay.rendezvous;

import dev.overlay.identity.NodeId;
import dev.overlay.wire.Control;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A node's side of the rendezvous protocol, for any number of independent servers (register with
 * all, ask any): key discovery for servers given without a key, registration and its refresh, the
 * node's own candidate addresses, and lookups. Clock-free and single-threaded like the rest of the
 * core: the node's event loop calls every method with {@code now} and runs {@link #onTimer} by
 * {@link #nextDeadline}.
 *
 * <p>A server counts as <em>up</em> while its registration is fresh: the last REGISTERED arrived
 * less than refresh + {@value #GRACE_SECONDS} s ago. Lookups go to every server whose key is known;
 * the first FOUND answer wins, so one dead server costs nothing but its silence.
 */
public final class RendezvousClient {
    /** Refresh interval used until a server announces its own (below common NAT UDP timeouts). */
    static final int DEFAULT_REFRESH_SECONDS = 20;
    /** How late a refresh answer may be before the server is considered down. */
    static final int GRACE_SECONDS = 5;
    /** First retry of an unanswered key request or registration; doubles up to the refresh interval. */
    static final long FIRST_RETRY_NANOS = 500_000_000L;
    /** Unanswered lookups are re-sent this often until their deadline. */
    static final long LOOKUP_RETRY_NANOS = 1_000_000_000L;
    /** How often the node's own interface addresses are re-read. */
    static final long LOCAL_POLL_NANOS = 5_000_000_000L;
    /** Lookups waiting at once; more are refused at once rather than queued without bound. */
    static final int MAX_PENDING_LOOKUPS = 1024;
    /** Callers waiting on one lookup at once. */
    static final int MAX_CALLBACKS_PER_LOOKUP = 256;
    /**
     * A server whose key was learned by asking (not pinned) and that has not registered us for
     * this long is asked for its key again: it may have restarted with a new key, or the first
     * answer may have been forged.
     */
    static final int REDISCOVER_AFTER_REFRESHES = 2;
    private static final long OFF = Long.MAX_VALUE;
    private static final long NEVER = Long.MIN_VALUE;

    /** A rendezvous server as configured: its address and, when pinned, its key. */
    public record ServerSpec(InetSocketAddress address, NodeId key) {
        public ServerSpec {
            Objects.requireNonNull(address, "address");
        }
    }

    /** How the client reaches the network; implemented by the node. */
    public interface Transport {
        /** Sends a cleartext datagram (a key request) straight to {@code to}. */
        void sendCleartext(InetSocketAddress to, ByteBuffer datagram);

        /** The server's key is known now: make it a peer at {@code address}. */
        void addServer(NodeId key, InetSocketAddress address);

        /** Seals {@code payload} to server {@code server} (handshaking first if needed). */
        void send(NodeId server, ByteBuffer payload);
    }

    /** What the node should act on. Called on the event loop; must not block. */
    public interface Listener {
        /** The node's own candidate addresses changed: tell connected peers. */
        default void candidatesChanged(List<InetSocketAddress> candidates) {}

        /** A server stopped answering (or answered again). */
        default void serverStateChanged(NodeId server, InetSocketAddress address, boolean up) {}

        /** A server could not relay to {@code destination}: it is not registered there. */
        default void relayFailed(NodeId server, NodeId destination) {}
    }

    /** A lookup's answer: the key, its direct candidates, and the server that knows it (a relay). */
    public record Found(NodeId key, NodeId server, InetSocketAddress serverAddress,
                        List<InetSocketAddress> candidates) {}

    /** Called once per lookup, on the event loop: exactly one argument is non-null. */
    public interface LookupCallback {
        void done(Found found, String failure);
    }

    /** A point-in-time view of one server. */
    public record ServerStatus(InetSocketAddress address, NodeId key, boolean up, InetSocketAddress reflexive) {}

    private final List<Server> servers = new ArrayList<>();
    private final InetSocketAddress bind;
    private final Supplier<List<InetAddress>> interfaceAddresses;
    private final Transport transport;
    private final Listener listener;
    private final Map<Integer, Lookup> lookups = new LinkedHashMap<>();
    private final ByteBuffer out = ByteBuffer.allocate(1024);
    private List<InetSocketAddress> locals = List.of();
    private List<InetSocketAddress> candidates = List.of();
    private long nextLocalPoll;
    private int nextRequest = 1;
    private long malformed;
    private long unexpected;

    /**
     * @param bind the node's bound UDP address (the port is the real one); a wildcard address makes
     *     every non-loopback interface address of the same family a local candidate
     * @param interfaceAddresses reads the host's interface addresses (tests pass a fixed list)
     */
    public RendezvousClient(long now, List<ServerSpec> servers, InetSocketAddress bind,
                            Supplier<List<InetAddress>> interfaceAddresses, Transport transport, Listener listener) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("at least one rendezvous server is needed");
        }
        for (ServerSpec s : servers) {
            this.servers.add(new Server(s.address(), s.key(), now));
            this.servers.get(this.servers.size() - 1).pinned = s.key() != null;
        }
        this.bind = Objects.requireNonNull(bind, "bind");
        this.interfaceAddresses = Objects.requireNonNull(interfaceAddresses, "interfaceAddresses");
        this.transport = Objects.requireNonNull(transport, "transport");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.nextLocalPoll = now;
    }

    // ---------------------------------------------------------------- timers

    /** When {@link #onTimer} next has work. */
    public long nextDeadline() {
        long d = nextLocalPoll;
        for (Server s : servers) {
            d = Math.min(d, Math.min(s.nextSendAt, s.rediscoverAt()));
            if (s.up) {
                d = Math.min(d, s.downAt());
            }
        }
        for (Lookup l : lookups.values()) {
            d = Math.min(d, Math.min(l.retryAt, l.deadline));
        }
        return d;
    }

    public void onTimer(long now) {
        if (now >= nextLocalPoll) {
            nextLocalPoll = now + LOCAL_POLL_NANOS;
            if (pollLocals()) {
                for (Server s : servers) {
                    s.nextSendAt = Math.min(s.nextSendAt, now); // re-register at once
                }
                recomputeCandidates();
            }
        }
        for (Server s : servers) {
            if (now >= s.rediscoverAt()) {
                s.key = null; // asked again below; a pinned key is never dropped
                s.retry = FIRST_RETRY_NANOS;
                s.nextSendAt = now;
            }
            if (s.up && now >= s.downAt()) {
                s.up = false;
                recomputeCandidates();
                listener.serverStateChanged(s.key, s.address, false);
            }
            if (now >= s.nextSendAt) {
                sendToServer(s, now);
            }
        }
        runLookups(now);
    }

    private void sendToServer(Server s, long now) {
        s.nextSendAt = now + s.retry;
        s.retry = Math.min(s.retry * 2, s.refreshNanos());
        out.clear();
        if (s.key == null) {
            KeyExchange.writeRequest(out);
            out.flip();
            transport.sendCleartext(s.address, out);
            return;
        }
        s.seq++;
        Messages.writeRegister(out, s.seq, locals);
        out.flip();
        transport.send(s.key, out);
    }

    // ---------------------------------------------------------------- inbound

    /**
     * A cleartext KEY_RESPONSE datagram from {@code from}; ignored unless a server at that address
     * is waiting for its key. Returns true when it was used.
     */
    public boolean onKeyResponse(long now, InetSocketAddress from, ByteBuffer datagram, int len) {
        NodeId key = KeyExchange.readResponse(datagram, len);
        if (key == null) {
            malformed++;
            return false;
        }
        for (Server s : servers) {
            if (s.key == null && s.address.equals(from)) {
                s.key = key;
                s.keyLearnedAt = now;
                s.retry = FIRST_RETRY_NANOS;
                transport.addServer(key, s.address);
                sendToServer(s, now);
                runLookups(now);
                return true;
            }
        }
        unexpected++;
        return false;
    }

    /** True when {@code peer} is one of this client's servers. */
    public boolean isServer(NodeId peer) {
        return server(peer) != null;
    }

    /**
     * A sealed payload from {@code from}: REGISTERED, LOOKUP_RESULT or RELAY_FAILED from one of the
     * servers. Returns false (not consumed) for anything else.
     */
    public boolean onPayload(long now, NodeId from, ByteBuffer payload) {
        Server s = server(from);
        if (s == null || !payload.hasRemaining()) {
            return false;
        }
        switch (payload.get(payload.position())) {
            case Control.REGISTERED -> onRegistered(s, now, Messages.readRegistered(payload));
            case Control.LOOKUP_RESULT -> onLookupResult(s, now, Messages.readLookupResult(payload));
            case Control.RELAY_FAILED -> {
                Messages.RelayFailed f = Messages.readRelayFailed(payload);
                if (f == null) {
                    malformed++;
                } else {
                    listener.relayFailed(s.key, f.key());
                }
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private void onRegistered(Server s, long now, Messages.Registered r) {
        if (r == null) {
            malformed++;
            return;
        }
        if (r.seq() != s.seq) {
            unexpected++; // an answer to an older REGISTER: the newer one's answer is on its way
            return;
        }
        s.refreshSeconds = Math.max(1, Math.min(r.refreshSeconds(), DEFAULT_REFRESH_SECONDS));
        s.lastRegisteredAt = now;
        s.retry = FIRST_RETRY_NANOS;
        s.nextSendAt = now + s.refreshNanos();
        boolean changed = !s.up || !r.reflexive().equals(s.reflexive);
        boolean cameUp = !s.up;
        s.up = true;
        s.reflexive = r.reflexive();
        if (changed) {
            recomputeCandidates();
        }
        if (cameUp) {
            listener.serverStateChanged(s.key, s.address, true);
            runLookups(now);
        }
    }

    // ---------------------------------------------------------------- lookups

    /** Looks {@code key} up on every server; {@code callback} runs once, within {@code timeoutNanos}. */
    public void lookup(long now, NodeId key, long timeoutNanos, LookupCallback callback) {
        start(now, new Lookup(Objects.requireNonNull(key, "key"), null, now + timeoutNanos, callback));
    }

    /** Looks an IPv6 handle up; the answer's key is checked to hash to {@code handle}. */
    public void lookup(long now, Inet6Address handle, long timeoutNanos, LookupCallback callback) {
        start(now, new Lookup(null, Objects.requireNonNull(handle, "handle"), now + timeoutNanos, callback));
    }

    private void start(long now, Lookup l) {
        for (Lookup other : lookups.values()) {
            if (Objects.equals(other.key, l.key) && Objects.equals(other.handle, l.handle)) {
                // One lookup per target in flight: later askers wait for the same answer.
                if (other.callbacks.size() >= MAX_CALLBACKS_PER_LOOKUP) {
                    l.callbacks.get(0).done(null, "too many waiting for the lookup of " + l.what());
                    return;
                }
                other.callbacks.addAll(l.callbacks);
                return;
            }
        }
        if (lookups.size() >= MAX_PENDING_LOOKUPS) {
            l.callbacks.get(0).done(null, "too many lookups in progress (" + MAX_PENDING_LOOKUPS + ")");
            return;
        }
        int req = nextRequest++;
        l.req = req;
        lookups.put(req, l);
        l.retryAt = now; // sent by runLookups below
        runLookups(now);
    }

    private void runLookups(long now) {
        for (Iterator<Lookup> it = lookups.values().iterator(); it.hasNext(); ) {
            Lookup l = it.next();
            if (now >= l.deadline) {
                it.remove();
                l.complete(null, l.failure(servers));
                continue;
            }
            // Servers not asked yet (their key just arrived) are asked at once; all again at retryAt.
            boolean retry = now >= l.retryAt;
            if (retry) {
                l.retryAt = now + LOOKUP_RETRY_NANOS;
            }
            for (Server s : servers) {
                if (s.key == null || l.notFound.contains(s.key) || (!retry && l.asked.contains(s.key))) {
                    continue;
                }
                out.clear();
                if (l.key != null) {
                    Messages.writeLookup(out, l.req, l.key);
                } else {
                    Messages.writeLookup(out, l.req, l.handle);
                }
                out.flip();
                transport.send(s.key, out);
                l.asked.add(s.key);
            }
        }
    }

    private void onLookupResult(Server s, long now, Messages.LookupResult r) {
        if (r == null) {
            malformed++;
            return;
        }
        Lookup l = lookups.get(r.req());
        if (l == null) {
            unexpected++; // answered already (another server was faster) or timed out
            return;
        }
        if (r.status() == Messages.FOUND) {
            boolean matches = r.key() != null && (l.key != null ? l.key.equals(r.key())
                    : r.key().handle().equals(l.handle));
            if (!matches) {
                malformed++; // a server that answers for a different key is not believed
                return;
            }
            lookups.remove(r.req());
            l.complete(new Found(r.key(), s.key, s.address, r.addresses()), null);
            return;
        }
        l.notFound.add(s.key);
        if (r.status() == Messages.RATE_LIMITED) {
            l.rateLimited = true;
        }
        boolean allAnswered = true;
        for (Server other : servers) {
            if (other.key == null || !l.notFound.contains(other.key)) {
                allAnswered = false;
            }
        }
        if (allAnswered) {
            lookups.remove(r.req());
            l.complete(null, l.failure(servers));
        }
    }

    /** Fails every lookup in flight (the node is closing): no caller waits forever. */
    public void failAll(String reason) {
        List<Lookup> all = new ArrayList<>(lookups.values());
        lookups.clear();
        for (Lookup l : all) {
            l.complete(null, reason);
        }
    }

    // ---------------------------------------------------------------- own addresses

    /** The node's own direct addresses: reflexive addresses seen by servers first, then local ones. */
    public List<InetSocketAddress> candidates() {
        return candidates;
    }

    public List<ServerStatus> status() {
        List<ServerStatus> list = new ArrayList<>(servers.size());
        for (Server s : servers) {
            list.add(new ServerStatus(s.address, s.key, s.up, s.reflexive));
        }
        return list;
    }

    /** Datagrams from servers that did not parse, or answered nothing we asked. */
    public long malformed() {
        return malformed;
    }

    public long unexpected() {
        return unexpected;
    }

    /** Re-reads the interface addresses; true when the local candidates changed. */
    private boolean pollLocals() {
        List<InetSocketAddress> now = new ArrayList<>();
        InetAddress b = bind.getAddress();
        if (b != null && !b.isAnyLocalAddress()) {
            now.add(bind);
        } else {
            boolean v6 = b instanceof Inet6Address;
            for (InetAddress a : interfaceAddresses.get()) {
                if (a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isMulticastAddress()
                        || (a instanceof Inet6Address) != v6) {
                    continue;
                }
                now.add(new InetSocketAddress(a, bind.getPort()));
                if (now.size() == Messages.MAX_ADDRESSES) {
                    break;
                }
            }
        }
        if (now.equals(locals)) {
            return false;
        }
        locals = List.copyOf(now);
        return true;
    }

    private void recomputeCandidates() {
        Set<InetSocketAddress> set = new LinkedHashSet<>();
        for (Server s : servers) {
            if (s.up && s.reflexive != null) {
                set.add(s.reflexive);
            }
        }
        set.addAll(locals);
        List<InetSocketAddress> list = new ArrayList<>(set);
        if (list.size() > Messages.MAX_ADDRESSES) {
            list = list.subList(0, Messages.MAX_ADDRESSES);
        }
        if (!list.equals(candidates)) {
            candidates = List.copyOf(list);
            listener.candidatesChanged(candidates);
        }
    }

    private Server server(NodeId key) {
        for (Server s : servers) {
            if (key.equals(s.key)) {
                return s;
            }
        }
        return null;
    }

    private static final class Server {
        final InetSocketAddress address;
        NodeId key;
        int seq;
        int refreshSeconds = DEFAULT_REFRESH_SECONDS;
        long nextSendAt;
        long retry = FIRST_RETRY_NANOS;
        long lastRegisteredAt = NEVER;
        long keyLearnedAt = NEVER;
        boolean pinned;
        boolean up;
        InetSocketAddress reflexive;

        Server(InetSocketAddress address, NodeId key, long now) {
            this.address = address;
            this.key = key;
            this.nextSendAt = now; // at once
        }

        long refreshNanos() {
            return refreshSeconds * 1_000_000_000L;
        }

        /** When a learned key that has not brought a registration is to be asked for again. */
        long rediscoverAt() {
            if (pinned || key == null || up) {
                return OFF;
            }
            long since = Math.max(keyLearnedAt, lastRegisteredAt);
            return since == NEVER ? OFF : since + REDISCOVER_AFTER_REFRESHES * refreshNanos();
        }

        long downAt() {
            return lastRegisteredAt + refreshNanos() + GRACE_SECONDS * 1_000_000_000L;
        }
    }

    private static final class Lookup {
        final NodeId key;
        final Inet6Address handle;
        final long deadline;
        final List<LookupCallback> callbacks = new ArrayList<>(1);
        final Set<NodeId> asked = new LinkedHashSet<>();
        final Set<NodeId> notFound = new LinkedHashSet<>();
        int req;
        long retryAt;
        boolean rateLimited;

        Lookup(NodeId key, Inet6Address handle, long deadline, LookupCallback callback) {
            this.key = key;
            this.handle = handle;
            this.deadline = deadline;
            this.callbacks.add(callback);
        }

        void complete(Found found, String failure) {
            for (LookupCallback c : callbacks) {
                c.done(found, failure);
            }
        }

        String what() {
            return key != null ? key.name() : handle.getHostAddress();
        }

        String failure(List<Server> servers) {
            String what = what();
            if (rateLimited) {
                return "rendezvous refused the lookup of " + what + " (rate limited); try again later";
            }
            if (!notFound.isEmpty() && notFound.size() == asked.size()) {
                return what + " is not registered at any rendezvous (asked " + asked.size() + ")";
            }
            if (asked.isEmpty()) {
                return "no rendezvous answered: none of " + servers.size() + " could be reached to look up " + what;
            }
            return "no rendezvous answered the lookup of " + what + " in time";
        }
    }
}
