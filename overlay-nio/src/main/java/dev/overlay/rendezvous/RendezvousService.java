package dev.overlay.rendezvous;

import dev.overlay.identity.NodeId;
import dev.overlay.session.Device;
import dev.overlay.session.Path;
import dev.overlay.wire.Control;
import dev.overlay.wire.Initiation;
import dev.overlay.wire.MessageType;
import dev.overlay.wire.Response;
import dev.overlay.wire.Transport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The server side of a rendezvous: answers REGISTER, LOOKUP and RELAY payloads that arrive on
 * sessions with any node, and the cleartext KEY_REQUEST.
 *
 * <p>The driver (a node on its event loop) passes every authenticated payload to
 * {@link #onPayload}; the ones that are not for the server (pings, streams, client-side kinds) are
 * left alone. Replies and relayed datagrams go out through a {@link Sender}, which seals them on
 * the session with the node named. Cleartext KEY_REQUESTs go to {@link #onKeyRequest}, and the
 * driver may ask {@link #allowInitiation} before it hands a handshake initiation to its device.
 * {@link #onTimer} purges expired registrations; {@link #nextDeadline} says when.
 *
 * <p>Nothing here throws on what peers send: every refusal is counted ({@link Counter}). Memory is
 * bounded by {@link Config#maxEntries} registrations and {@link Config#maxSources} buckets per
 * limiter. Clock-free and single-threaded: {@code now} in nanoseconds, never decreasing.
 */
public final class RendezvousService {
    /** Sends a payload on the session with a node (the driver seals it, e.g. Device.send). */
    public interface Sender {
        /**
         * {@code payload} (position..limit, at most Device.MAX_PAYLOAD bytes) is only valid during
         * the call, and the call must not re-enter the service.
         */
        void send(NodeId to, ByteBuffer payload);
    }

    /** Sends a cleartext datagram to a UDP address. */
    public interface KeySender {
        /** {@code datagram} (position..limit) is only valid during the call. */
        void send(InetSocketAddress to, ByteBuffer datagram);
    }

    /** What the service counted. Drops say why something got no service. */
    public enum Counter {
        REGISTERED(false, "REGISTER accepted (new or refreshed) and answered"),
        LOOKUP_FOUND(false, "LOOKUP answered FOUND"),
        LOOKUP_NOT_FOUND(false, "LOOKUP answered NOT_FOUND"),
        RELAYED(false, "datagram relayed"),
        RELAYED_BYTES(false, "sealed bytes relayed"),
        KEY_RESPONSES(false, "KEY_RESPONSE sent"),
        EXPIRED(false, "registration forgotten after its TTL"),
        MALFORMED(true, "REGISTER, LOOKUP or RELAY that does not parse (or relays a datagram no device accepts)"),
        REGISTER_RELAYED(true, "REGISTER that arrived through a relay (the reflexive address would be the relay's)"),
        REGISTER_RATE_LIMITED(true, "REGISTER of a new key over its source's budget"),
        REGISTRY_FULL(true, "REGISTER of a new key with the registry full"),
        LOOKUP_RATE_LIMITED(true, "LOOKUP over its source's budget (answered RATE_LIMITED)"),
        RELAY_NOT_REGISTERED(true, "RELAY to a key not registered here (answered RELAY_FAILED)"),
        RELAY_RATE_LIMITED(true, "RELAY over its source's byte budget"),
        KEY_REQUEST_MALFORMED(true, "cleartext KEY_REQUEST of the wrong length or padding"),
        KEY_REQUEST_RATE_LIMITED(true, "KEY_REQUEST over its source's budget"),
        INITIATION_RATE_LIMITED(true, "handshake initiation over its source's budget"),
        RELAY_TO_RATE_LIMITED(true, "RELAY over its destination's budget (bytes, or initiations, which cost it X25519 work)");

        private final boolean drop;
        private final String meaning;

        Counter(boolean drop, String meaning) {
            this.drop = drop;
            this.meaning = meaning;
        }

        public boolean isDrop() {
            return drop;
        }

        public String meaning() {
            return meaning;
        }
    }

    /**
     * Limits and timings.
     *
     * @param maxEntries most registrations held
     * @param ttlSeconds a registration lives this long after its last REGISTER
     * @param refreshSeconds advertised in REGISTERED: re-register this often
     * @param maxSources buckets each per-source limiter keeps
     * @param registerRate new keys a source may register per second (refreshes are free)
     * @param registerBurst new keys a source may register at once
     * @param lookupRate lookups a source may make per second
     * @param lookupBurst lookups a source may make at once
     * @param keyRequestRate KEY_REQUESTs a source may make per second
     * @param keyRequestBurst KEY_REQUESTs a source may make at once
     * @param initiationRate handshake initiations a source may send per second
     * @param initiationBurst handshake initiations a source may send at once
     * @param relayBytesPerSecond sealed bytes a source may relay per second; 0 for no limit
     * @param relayBurstBytes sealed bytes a source may relay at once
     */
    public record Config(int maxEntries, int ttlSeconds, int refreshSeconds, int maxSources,
            double registerRate, double registerBurst, double lookupRate, double lookupBurst,
            double keyRequestRate, double keyRequestBurst, double initiationRate, double initiationBurst,
            double relayBytesPerSecond, double relayBurstBytes) {
        public static final Config DEFAULTS = new Config(
                Registry.DEFAULT_MAX_ENTRIES, Registry.DEFAULT_TTL_SECONDS, Registry.DEFAULT_REFRESH_SECONDS,
                SourceLimiter.DEFAULT_MAX_SOURCES,
                5, 100,
                20, 100,
                1, 10,
                20, 50,
                100 << 20, 200 << 20);

        public Config {
            if (ttlSeconds < 1 || ttlSeconds > 0xffff || refreshSeconds < 1 || refreshSeconds > ttlSeconds) {
                throw new IllegalArgumentException("need 1 <= refresh <= ttl <= 65535 seconds, got refresh "
                        + refreshSeconds + ", ttl " + ttlSeconds);
            }
            if (relayBytesPerSecond < 0) {
                throw new IllegalArgumentException("relayBytesPerSecond must be >= 0");
            }
        }

        public Config withMaxEntries(int n) {
            return new Config(n, ttlSeconds, refreshSeconds, maxSources, registerRate, registerBurst,
                    lookupRate, lookupBurst, keyRequestRate, keyRequestBurst, initiationRate, initiationBurst,
                    relayBytesPerSecond, relayBurstBytes);
        }

        public Config withRegisterLimit(double rate, double burst) {
            return new Config(maxEntries, ttlSeconds, refreshSeconds, maxSources, rate, burst,
                    lookupRate, lookupBurst, keyRequestRate, keyRequestBurst, initiationRate, initiationBurst,
                    relayBytesPerSecond, relayBurstBytes);
        }

        public Config withLookupLimit(double rate, double burst) {
            return new Config(maxEntries, ttlSeconds, refreshSeconds, maxSources, registerRate, registerBurst,
                    rate, burst, keyRequestRate, keyRequestBurst, initiationRate, initiationBurst,
                    relayBytesPerSecond, relayBurstBytes);
        }

        public Config withRelayLimit(double bytesPerSecond, double burstBytes) {
            return new Config(maxEntries, ttlSeconds, refreshSeconds, maxSources, registerRate, registerBurst,
                    lookupRate, lookupBurst, keyRequestRate, keyRequestBurst, initiationRate, initiationBurst,
                    bytesPerSecond, burstBytes);
        }
    }

    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** The longest sealed datagram a RELAY may carry: RELAYED must fit one transport payload. */
    public static final int MAX_RELAYED_DATAGRAM = Device.MAX_PAYLOAD - Messages.RELAY_OVERHEAD;

    private final NodeId self;
    private final Config config;
    private final Registry registry;
    private final SourceLimiter registers;
    private final SourceLimiter lookups;
    private final SourceLimiter keyRequests;
    private final SourceLimiter initiations;
    private final SourceLimiter relayBytes;
    /** The same budgets per destination (by its reflexive address): many sources cannot flood one node. */
    private final SourceLimiter relayBytesTo;
    private final SourceLimiter relayedInitiationsTo;
    private final long[] counts = new long[Counter.values().length];
    private final ByteBuffer out = ByteBuffer.allocate(Math.max(Messages.MAX_LENGTH, Device.MAX_PAYLOAD));

    public RendezvousService(NodeId self) {
        this(self, Config.DEFAULTS);
    }

    /** @param self this server's key, sent in KEY_RESPONSE */
    public RendezvousService(NodeId self, Config config) {
        this.self = Objects.requireNonNull(self, "self");
        this.config = Objects.requireNonNull(config, "config");
        this.registry = new Registry(config.maxEntries(), config.ttlSeconds() * NANOS_PER_SECOND);
        this.registers = new SourceLimiter(config.registerRate(), config.registerBurst(), config.maxSources());
        this.lookups = new SourceLimiter(config.lookupRate(), config.lookupBurst(), config.maxSources());
        this.keyRequests = new SourceLimiter(config.keyRequestRate(), config.keyRequestBurst(), config.maxSources());
        this.initiations = new SourceLimiter(config.initiationRate(), config.initiationBurst(), config.maxSources());
        this.relayBytes = config.relayBytesPerSecond() > 0
                ? new SourceLimiter(config.relayBytesPerSecond(), config.relayBurstBytes(), config.maxSources())
                : null;
        this.relayBytesTo = config.relayBytesPerSecond() > 0
                ? new SourceLimiter(config.relayBytesPerSecond(), config.relayBurstBytes(), config.maxSources())
                : null;
        this.relayedInitiationsTo = new SourceLimiter(config.initiationRate(), config.initiationBurst(), config.maxSources());
    }

    /**
     * Handles a payload from {@code from} that arrived over {@code via}.
     *
     * @return true when the payload was REGISTER, LOOKUP or RELAY (handled or dropped here); false
     *     when it is for someone else (pings, streams, CANDIDATES, replies a client expects)
     */
    public boolean onPayload(long now, NodeId from, Path via, ByteBuffer payload, Sender sender) {
        if (!payload.hasRemaining()) {
            return false;
        }
        switch (payload.get(payload.position())) {
            case Control.REGISTER -> onRegister(now, from, via, payload, sender);
            case Control.LOOKUP -> onLookup(now, from, via, payload, sender);
            case Control.RELAY -> onRelay(now, from, via, payload, sender);
            default -> {
                return false;
            }
        }
        return true;
    }

    private void onRegister(long now, NodeId from, Path via, ByteBuffer payload, Sender sender) {
        Messages.Register m = Messages.readRegister(payload);
        if (m == null) {
            bump(Counter.MALFORMED);
            return;
        }
        if (via.isRelayed()) {
            bump(Counter.REGISTER_RELAYED);
            return;
        }
        InetSocketAddress reflexive = via.address();
        if (registry.lookup(now, from) == null
                && !registers.allow(now, reflexive.getAddress())) {
            bump(Counter.REGISTER_RATE_LIMITED);
            return;
        }
        if (!registry.register(now, from, reflexive, usable(m.locals()))) {
            bump(Counter.REGISTRY_FULL);
            return;
        }
        bump(Counter.REGISTERED);
        out.clear();
        Messages.writeRegistered(out, m.seq(), config.refreshSeconds(), config.ttlSeconds(), reflexive);
        sender.send(from, out.flip());
    }

    /**
     * Local addresses worth handing to peers: no wildcard, multicast or port 0 (nothing can be
     * reached there), no duplicates.
     */
    private static List<InetSocketAddress> usable(List<InetSocketAddress> locals) {
        List<InetSocketAddress> kept = new ArrayList<>(locals.size());
        for (InetSocketAddress a : locals) {
            InetAddress ip = a.getAddress();
            if (a.getPort() != 0 && !ip.isAnyLocalAddress() && !ip.isMulticastAddress() && !kept.contains(a)) {
                kept.add(a);
            }
        }
        return kept;
    }

    private void onLookup(long now, NodeId asker, Path via, ByteBuffer payload, Sender sender) {
        Messages.Lookup m = Messages.readLookup(payload);
        if (m == null) {
            bump(Counter.MALFORMED);
            return;
        }
        // The asker is authenticated, but keys are free: the budget is per address.
        out.clear();
        if (!lookups.allow(now, via.address().getAddress())) {
            bump(Counter.LOOKUP_RATE_LIMITED);
            Messages.writeLookupResult(out, m.req(), Messages.RATE_LIMITED, null, List.of());
        } else {
            Registry.Registration r = m.key() != null ? registry.lookup(now, m.key()) : registry.lookupHandle(now, m.handle());
            if (r == null) {
                bump(Counter.LOOKUP_NOT_FOUND);
                Messages.writeLookupResult(out, m.req(), Messages.NOT_FOUND, null, List.of());
            } else {
                bump(Counter.LOOKUP_FOUND);
                Messages.writeLookupResult(out, m.req(), Messages.FOUND, r.key(), r.addresses());
            }
        }
        sender.send(asker, out.flip());
    }

    private void onRelay(long now, NodeId from, Path via, ByteBuffer payload, Sender sender) {
        Messages.Relay m = Messages.readRelay(payload);
        if (m == null || payload.get(payload.position()) != Control.RELAY || !relayable(m.datagram())) {
            bump(Counter.MALFORMED);
            return;
        }
        int len = m.datagram().remaining();
        if (relayBytes != null && !relayBytes.allow(now, via.address().getAddress(), len)) {
            bump(Counter.RELAY_RATE_LIMITED);
            return;
        }
        boolean initiation = MessageType.of(m.datagram().slice(), len) == MessageType.INITIATION;
        if (initiation && !initiations.allow(now, via.address().getAddress())) {
            // A relayed initiation costs its destination two X25519 operations: the same budget
            // per source as initiations sent to this server itself.
            bump(Counter.INITIATION_RATE_LIMITED);
            return;
        }
        Registry.Registration dest = registry.lookup(now, m.key());
        out.clear();
        if (dest == null) {
            bump(Counter.RELAY_NOT_REGISTERED);
            Messages.writeRelayFailed(out, m.key());
            sender.send(from, out.flip());
            return;
        }
        InetAddress to = dest.reflexive().getAddress();
        if ((initiation && !relayedInitiationsTo.allow(now, to))
                || (relayBytesTo != null && !relayBytesTo.allow(now, to, len))) {
            bump(Counter.RELAY_TO_RATE_LIMITED);
            return;
        }
        Messages.writeRelay(out, Control.RELAYED, from, m.datagram().duplicate());
        bump(Counter.RELAYED);
        counts[Counter.RELAYED_BYTES.ordinal()] += len;
        sender.send(dest.key(), out.flip());
    }

    /** Only what a device could accept: a handshake message of its exact length, or transport data. */
    private static boolean relayable(ByteBuffer datagram) {
        int len = datagram.remaining();
        if (len > MAX_RELAYED_DATAGRAM) {
            return false;
        }
        ByteBuffer d = datagram.slice();
        return switch (MessageType.of(d, len)) {
            case MessageType.INITIATION -> Initiation.check(len);
            case MessageType.RESPONSE -> Response.check(len);
            case MessageType.TRANSPORT -> Transport.check(len);
            default -> false;
        };
    }

    /**
     * Answers the cleartext datagram at {@code datagram[0..len)} from {@code from} if it is a
     * well-formed KEY_REQUEST within its source's budget.
     *
     * @return true when a KEY_RESPONSE was sent
     */
    public boolean onKeyRequest(long now, InetSocketAddress from, ByteBuffer datagram, int len, KeySender sender) {
        if (!KeyExchange.isRequest(datagram, len) || from == null || from.getAddress() == null) {
            bump(Counter.KEY_REQUEST_MALFORMED);
            return false;
        }
        if (!keyRequests.allow(now, from.getAddress())) {
            bump(Counter.KEY_REQUEST_RATE_LIMITED);
            return false;
        }
        bump(Counter.KEY_RESPONSES);
        out.clear();
        KeyExchange.writeResponse(out, self);
        sender.send(from, out.flip());
        return true;
    }

    /**
     * Whether a handshake initiation from {@code source} is within its budget; the driver asks
     * before handing the initiation to its device (each costs the responder several X25519
     * operations). A refusal is counted.
     */
    public boolean allowInitiation(long now, InetAddress source) {
        if (initiations.allow(now, source)) {
            return true;
        }
        bump(Counter.INITIATION_RATE_LIMITED);
        return false;
    }

    /** Purges expired registrations. */
    public void onTimer(long now) {
        counts[Counter.EXPIRED.ordinal()] += registry.expire(now);
    }

    /** When {@link #onTimer} next has work; Long.MAX_VALUE if never. */
    public long nextDeadline() {
        return registry.nextExpiry();
    }

    /** Registrations held now. */
    public int registrations() {
        return registry.size();
    }

    /** The registrations (for status output and tests). */
    public Registry registry() {
        return registry;
    }

    public Config config() {
        return config;
    }

    public long count(Counter c) {
        return counts[c.ordinal()];
    }

    /** A copy of every counter. */
    public Map<Counter, Long> snapshot() {
        Map<Counter, Long> m = new EnumMap<>(Counter.class);
        for (Counter c : Counter.values()) {
            m.put(c, counts[c.ordinal()]);
        }
        return m;
    }

    /** The sum of the drop counters. */
    public long totalDrops() {
        long sum = 0;
        for (Counter c : Counter.values()) {
            if (c.isDrop()) {
                sum += counts[c.ordinal()];
            }
        }
        return sum;
    }

    private void bump(Counter c) {
        counts[c.ordinal()]++;
    }
}
