package dev.overlay.session;

import dev.overlay.crypto.NoiseException;
import dev.overlay.crypto.NoiseIK;
import dev.overlay.crypto.SessionKeys;
import dev.overlay.identity.Identity;
import dev.overlay.identity.NodeId;
import dev.overlay.wire.Control;
import dev.overlay.wire.Initiation;
import dev.overlay.wire.MessageType;
import dev.overlay.wire.Response;
import dev.overlay.wire.Tai64n;
import dev.overlay.wire.Transport;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The session-layer protocol core of one node: Noise IK handshakes and sealed transport for many
 * peers. It does no I/O and never reads a clock: every entry point takes {@code now} (monotonic
 * nanoseconds) and hands datagrams and payloads to an {@link Outbox}; {@link #nextDeadline()} says
 * when {@link #onTimer} wants to run. Owned by one thread (the node's event loop).
 *
 * <p>Outbound flow ({@link #send}):
 * <ol>
 *   <li>find the peer; without a usable keypair, stage the payload and start a handshake;
 *   <li>write the transport header, copy the payload behind it, seal in place, transmit;
 *   <li>timer hooks; an initiator whose keypair is old or worn starts a rekey (still sending).
 * </ol>
 * Inbound flow ({@link #receive}, {@link #receiveRelayed}): header check, then by type: initiation,
 * response, transport, each dropping and counting anything that does not authenticate
 * ({@link Drop}); never throws.
 *
 * <p>Paths (docs/nat-traversal.md, "Paths in the session core"): each peer has an optional direct
 * endpoint, an optional relay and direct candidates. Packets go to the endpoint (within the
 * anti-amplification budget while it is not validated), else through the relay. PATH_CHALLENGE
 * and PATH_RESPONSE payloads are handled here and never delivered: they validate addresses, punch
 * holes through NATs and confirm a roaming peer's new address.
 */
public final class Device {
    /** Largest UDP payload over IPv4. */
    public static final int MAX_DATAGRAM = 65507;
    /** Largest payload one transport packet can carry. */
    public static final int MAX_PAYLOAD = MAX_DATAGRAM - Transport.MIN_LENGTH;

    /**
     * Unconfirmed learned peers held at once; the oldest is evicted for a new one. A real initiator
     * confirms within one round trip, so this only needs to cover initiations in flight.
     */
    static final int MAX_UNCONFIRMED_PEERS = 1024;
    /** Forgotten peers whose last initiation timestamp is remembered (LRU beyond this). */
    static final int TIMESTAMP_MEMORY = 4096;

    /** What {@link #send} did with a payload. */
    public enum SendResult { SENT, STAGED, NO_ENDPOINT, NO_ROUTE }

    private final NodeId self;
    private final DeviceConfig config;
    private final Timers timers;
    private final SecureRandom random;
    private final HandshakeFlow handshakes;
    private final Map<NodeId, Peer> peers = new HashMap<>();
    /** Learned peers not yet confirmed, oldest first; see {@link Peer#confirmed}. */
    private final ArrayDeque<Peer> unconfirmed = new ArrayDeque<>();
    /** Last initiation timestamps of forgotten peers, so their old initiations stay replays. */
    private final LinkedHashMap<NodeId, byte[]> forgottenTimestamps = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<NodeId, byte[]> eldest) {
            return size() > TIMESTAMP_MEMORY;
        }
    };
    private final IndexTable indices = new IndexTable();
    private final Counters counters = new Counters();
    /**
     * Every datagram we send is built here. The driver may call back into {@link #send} from
     * {@link Outbox#relay} (to seal the RELAY wrapper), which reuses this buffer: a relayed copy is
     * therefore always the last use of a built datagram.
     */
    private final ByteBuffer out = ByteBuffer.allocateDirect(MAX_DATAGRAM + 64);
    private final ByteBuffer probe = ByteBuffer.allocate(Control.PATH_PROBE_LENGTH);
    private final ByteBuffer empty = ByteBuffer.allocate(0);
    private long nextDeadline = Peer.OFF;
    /** Creation order of peers, for eviction of the oldest idle learned one. */
    private long peerSeq;
    /** Payload bytes staged for all peers together, at most {@link Constants#MAX_STAGED_BYTES}. */
    private long stagedBytes;
    /** Address families the node's socket can send to ({@link #setAddressFamilies}). */
    private boolean ipv4 = true;
    private boolean ipv6 = true;

    /**
     * @param epochOffsetNanos wall-clock time minus {@code now}, for initiation timestamps; a real
     *     node passes {@code currentTimeMillis*1e6 - nanoTime()}, tests pass a constant
     */
    public Device(Identity identity, DeviceConfig config, SecureRandom random, long epochOffsetNanos) {
        this.self = identity.id();
        this.config = Objects.requireNonNull(config, "config");
        this.random = Objects.requireNonNull(random, "random");
        this.timers = new Timers(config.timers(), random);
        this.handshakes = new HandshakeFlow(identity, random, epochOffsetNanos);
    }

    public NodeId self() {
        return self;
    }

    public Counters counters() {
        return counters;
    }

    /**
     * Adds (or re-points) a configured peer reachable at {@code endpoint} (may be null). The
     * endpoint is used at once, without an amplification budget (the operator vouched for it), and
     * is validated by the handshake response or a probe; it is also a candidate, so it is probed
     * again if the path ever falls back to a relay.
     */
    public void addPeer(NodeId id, InetSocketAddress endpoint) {
        Peer p = peers.get(id);
        if (p == null) {
            p = new Peer(id, endpoint, true);
            p.seq = peerSeq++;
            rememberTimestamp(p);
            peers.put(id, p);
        } else {
            if (!p.confirmed) {
                unconfirmed.remove(p);
            }
            p.configured = true;
            p.confirmed = true;
            if (endpoint != null && !p.isEndpoint(endpoint)) {
                p.direct = Path.direct(endpoint);
                p.validated = false;
                p.settle();
            }
        }
        if (endpoint != null) {
            p.addCandidate(endpoint, true);
        }
    }

    /**
     * {@code peer} can be reached through the rendezvous {@code relay} at {@code relayAddress}
     * (null {@code relay} forgets it). An unknown peer is added as a <em>learned</em> peer (see
     * {@link #learned}); false when it is unknown and there is no room for it (or nothing to set).
     */
    public boolean setRelay(NodeId peer, NodeId relay, InetSocketAddress relayAddress) {
        Path path = relay == null ? null
                : Path.relayed(relay, Objects.requireNonNull(relayAddress, "relayAddress"));
        Peer p = path == null ? peers.get(peer) : learned(peer);
        if (p == null) {
            return false;
        }
        p.relay = path;
        return true;
    }

    /**
     * Direct addresses at which {@code peer} may be reachable (its local and reflexive addresses,
     * from the rendezvous or its CANDIDATES message). New ones are probed at once while the peer
     * has no validated direct path; at most {@link Constants#MAX_CANDIDATES} are kept, the newest.
     * Addresses that can never be a peer's ({@link #setAddressFamilies}; unresolved, wildcard,
     * multicast, broadcast, port 0) are dropped and counted ({@link Drop#BAD_CANDIDATE}). An
     * unknown peer is added as a <em>learned</em> peer (see {@link #learned}); false when it is
     * unknown and there is no room for it.
     */
    public boolean addCandidates(long now, NodeId peer, Collection<InetSocketAddress> candidates, Outbox outbox) {
        Peer p = learned(peer);
        if (p == null) {
            return false;
        }
        boolean probing = !p.directValidated();
        for (InetSocketAddress a : candidates) {
            if (!possiblePeerAddress(a)) {
                counters.drop(Drop.BAD_CANDIDATE);
                continue;
            }
            boolean fresh = p.candidate(a) == null;
            Peer.Candidate c = p.addCandidate(a, true);
            if (fresh && probing) {
                c.restart(now);
            }
        }
        p.updateProbeAt();
        if (p.probeAt <= now) {
            runProbes(p, now, outbox);
        }
        noteDeadline(p);
        return true;
    }

    /**
     * Drops a peer that is not configured, and everything it holds: keys, a pending handshake,
     * staged payloads (counted, {@link Drop#FORGOTTEN}), relay and candidates. Its last initiation
     * timestamp is remembered, so its old initiations stay replays. False if {@code id} is unknown
     * or configured ({@link #addPeer}). A rendezvous uses it to expire the sessions of keys that
     * never registered.
     */
    public boolean forgetPeer(NodeId id) {
        Peer p = peers.get(id);
        if (p == null || p.configured) {
            return false;
        }
        forget(p);
        return true;
    }

    /**
     * The peer for {@code id}; an unknown one is added as learned (like a peer learned from its
     * initiation: forgotten when its session ends, counted against {@link DeviceConfig#maxPeers}),
     * not configured. With the table full, an idle learned peer gives way (see
     * {@link #idleLearnedPeer}); null, counted ({@link Drop#PEER_LIMIT}), when none can.
     */
    private Peer learned(NodeId id) {
        Peer p = peers.get(id);
        if (p != null) {
            return p;
        }
        if (peerTableFull()) {
            Peer idle = idleLearnedPeer();
            if (idle == null) {
                counters.drop(Drop.PEER_LIMIT);
                return null;
            }
            evict(idle);
        }
        p = new Peer(id, null, false);
        p.confirmed = true; // we chose to reach it: not in the pool of unconfirmed initiators
        p.seq = peerSeq++;
        rememberTimestamp(p);
        peers.put(id, p);
        return p;
    }

    /** Peers that count against {@link DeviceConfig#maxPeers} (all but unconfirmed initiators). */
    private boolean peerTableFull() {
        return peers.size() - unconfirmed.size() >= config.maxPeers();
    }

    /**
     * The oldest learned peer that holds nothing: no keys, no handshake under way, nothing staged
     * (a lookup's answer nobody used, or a peer whose handshake gave up); null if none. It may give
     * way to a new peer: all it holds is a relay and candidates, which a new lookup gives back.
     */
    private Peer idleLearnedPeer() {
        Peer oldest = null;
        for (Peer p : peers.values()) {
            if (!p.configured && p.confirmed && !p.hasSession() && !p.handshaking() && p.staged.isEmpty()
                    && (oldest == null || p.seq < oldest.seq)) {
                oldest = p;
            }
        }
        return oldest;
    }

    private void evict(Peer idle) {
        forget(idle);
        counters.idlePeersEvicted++;
    }

    /**
     * Which address families the node's UDP socket can send to: candidates of another family are
     * dropped ({@link Drop#BAD_CANDIDATE}). Both by default; a socket bound to {@code 0.0.0.0} or
     * an IPv4 address reaches IPv4 only, one bound to a specific IPv6 address IPv6 only.
     */
    public void setAddressFamilies(boolean ipv4, boolean ipv6) {
        this.ipv4 = ipv4;
        this.ipv6 = ipv6;
    }

    /**
     * Whether {@code a} could ever be a peer's address: not unresolved, wildcard, multicast, the
     * IPv4 limited broadcast or port 0, and of a family our socket can send to.
     */
    private boolean possiblePeerAddress(InetSocketAddress a) {
        if (a == null || a.isUnresolved() || a.getPort() == 0) {
            return false;
        }
        InetAddress ip = a.getAddress();
        if (ip.isAnyLocalAddress() || ip.isMulticastAddress()) {
            return false;
        }
        if (ip instanceof Inet4Address) {
            byte[] b = ip.getAddress();
            boolean broadcast = (b[0] & b[1] & b[2] & b[3]) == (byte) 0xff;
            return ipv4 && !broadcast;
        }
        return ipv6;
    }

    /** Receiver indices in use (sessions and pending handshakes): for leak checks in tests. */
    int indexedSessions() {
        return indices.size();
    }

    /** A snapshot of what this device knows about {@code id}, or null if it is not a peer. */
    public PeerStatus peerStatus(NodeId id) {
        Peer p = peers.get(id);
        return p == null ? null : PeerStatus.of(p);
    }

    /** Statistics of {@code id} at {@code now}, or null if it is not a peer. */
    public PeerStats peerStats(long now, NodeId id) {
        Peer p = peers.get(id);
        return p == null ? null : PeerStats.of(p, now);
    }

    /** Statistics of every peer at {@code now} (for status output; allocates one record per peer). */
    public List<PeerStats> peerStats(long now) {
        List<PeerStats> list = new ArrayList<>(peers.size());
        for (Peer p : peers.values()) {
            list.add(PeerStats.of(p, now));
        }
        return list;
    }

    /** Snapshots of all peers. */
    public List<PeerStatus> peers() {
        List<PeerStatus> list = new ArrayList<>(peers.size());
        for (Peer p : peers.values()) {
            list.add(PeerStatus.of(p));
        }
        return list;
    }

    /** When {@link #onTimer} next has work; {@code Long.MAX_VALUE} if never. May be early. */
    public long nextDeadline() {
        return nextDeadline;
    }

    // ---------------------------------------------------------------- outbound

    /**
     * Seals {@code payload} (position..limit, 1 to {@link #MAX_PAYLOAD} bytes) to {@code to}.
     * The payload is consumed (its position moves to its limit) unless the result is NO_ENDPOINT
     * or NO_ROUTE. It goes to the peer's direct endpoint or through its relay; it waits (STAGED)
     * for a handshake, or for a path when the only one is an unvalidated endpoint whose budget it
     * would overdraw. Staging is bounded ({@link Constants#MAX_STAGED_PACKETS} and
     * {@link Constants#MAX_STAGED_BYTES_PER_PEER} per peer, the oldest dropped;
     * {@link Constants#MAX_STAGED_BYTES} in all, beyond which the payload is refused: NO_ROUTE). A
     * relayed datagram too large to wrap is dropped and counted ({@link Drop#RELAY_TOO_BIG}), as
     * the network would drop it.
     */
    public SendResult send(long now, NodeId to, ByteBuffer payload, Outbox outbox) {
        return send(now, to, payload, outbox, true);
    }

    /**
     * As {@link #send(long, NodeId, ByteBuffer, Outbox)}; with {@code mayStage} false nothing is
     * kept for later: a payload no path may carry now (no keys yet, or only a budgeted endpoint it
     * would overdraw) is refused with NO_ROUTE (a handshake still starts if one is needed). For
     * callers that forward other nodes' traffic (a rendezvous relaying), which must not let
     * strangers fill this node's memory.
     */
    public SendResult send(long now, NodeId to, ByteBuffer payload, Outbox outbox, boolean mayStage) {
        int len = payload.remaining();
        if (len < 1 || len > MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload must be 1.." + MAX_PAYLOAD + " bytes, got " + len);
        }
        Peer p = peers.get(to);
        if (p == null || !p.reachable()) {
            return SendResult.NO_ENDPOINT;
        }
        Keypair k = p.current;
        if (!usableForSending(k, now)) {
            SendResult result = mayStage ? stage(p, payload) : SendResult.NO_ROUTE;
            if (awaitingConfirmation(p, now)) {
                // If the confirming packet was lost, handshake ourselves once the wait is over.
                timers.awaitingConfirmation(p, p.next.createdAt + timers.config().rekeyTimeout().toNanos());
            } else {
                initiate(p, now, false, outbox);
            }
            noteDeadline(p);
            return result;
        }
        Path route = p.route(len + Transport.MIN_LENGTH);
        if (route == null || !p.staged.isEmpty()) {
            // No path may carry it yet (or older payloads wait): it goes out, in order, when the
            // endpoint is validated or its budget grows.
            SendResult result;
            if (mayStage) {
                result = stage(p, payload);
                sendStaged(p, now, outbox);
                if (result == SendResult.STAGED && p.staged.isEmpty()) {
                    result = SendResult.SENT;
                }
            } else {
                sendStaged(p, now, outbox);
                route = p.staged.isEmpty() ? p.route(len + Transport.MIN_LENGTH) : null;
                if (route != null) {
                    sendData(p, k, payload, route, now, outbox);
                    keepKeyFreshSending(k, now, outbox);
                    result = SendResult.SENT;
                } else {
                    result = SendResult.NO_ROUTE;
                }
            }
            noteDeadline(p);
            return result;
        }
        sendData(p, k, payload, route, now, outbox);
        keepKeyFreshSending(k, now, outbox);
        noteDeadline(p);
        return SendResult.SENT;
    }

    /** Payload bytes staged for all peers: for tests. */
    long stagedBytes() {
        return stagedBytes;
    }

    /**
     * A responder that just answered a handshake has keys in {@code next}; the initiator's first
     * packet will confirm them within a round trip, so starting a handshake of our own would only
     * cross it.
     */
    private boolean awaitingConfirmation(Peer p, long now) {
        return p.next != null && p.next.age(now) < timers.config().rekeyTimeout().toNanos();
    }

    private boolean usableForSending(Keypair k, long now) {
        return k != null && k.age(now) < timers.config().rejectAfter().toNanos()
                && k.sendCounter < Constants.REJECT_AFTER_MESSAGES;
    }

    /** Seals {@code payload} (may be empty) under {@code k} into {@link #out}; returns the datagram length. */
    private int seal(Keypair k, ByteBuffer payload) {
        int len = payload.remaining();
        out.clear();
        Transport.writeHeader(out, k.remoteIndex, k.sendCounter);
        out.position(Transport.HEADER_LENGTH);
        out.put(payload);
        int sealed = k.send.seal(k.sendCounter, out, Transport.HEADER_LENGTH, len);
        k.sendCounter++;
        return Transport.HEADER_LENGTH + sealed;
    }

    private void sendData(Peer p, Keypair k, ByteBuffer payload, Path route, long now, Outbox outbox) {
        transmit(p, route, seal(k, payload), outbox);
        timers.anyAuthenticatedPacketSent(p, now);
        timers.dataSent(p, now);
        if (!route.isRelayed() && p.relay != null) {
            timers.dataSentDirect(p, now);
        }
    }

    private void sendKeepalive(Peer p, long now, Outbox outbox) {
        Keypair k = p.current;
        Path route = p.route(Transport.MIN_LENGTH);
        if (!usableForSending(k, now) || route == null) {
            return;
        }
        transmit(p, route, seal(k, empty), outbox);
        counters.keepalivesSent++;
        timers.anyAuthenticatedPacketSent(p, now);
        keepKeyFreshSending(k, now, outbox);
    }

    /** Sends {@link #out}[0..len) over {@code route}: straight to its address, or through its relay. */
    private void transmit(Peer p, Path route, int len, Outbox outbox) {
        if (!route.isRelayed()) {
            transmitDirect(p, route.address(), len, outbox);
            return;
        }
        if (len > MAX_DATAGRAM - Constants.RELAY_OVERHEAD) {
            counters.drop(Drop.RELAY_TOO_BIG);
            return;
        }
        counters.relayedOut++;
        p.datagramsOut++;
        p.wireBytesOut += len;
        out.limit(len).position(0);
        outbox.relay(route.relay(), p.id, out);
    }

    private void transmitDirect(Peer p, InetSocketAddress to, int len, Outbox outbox) {
        counters.datagramsOut++;
        counters.bytesOut += len;
        p.datagramsOut++;
        p.wireBytesOut += len;
        if (p.budgeted && p.isEndpoint(to)) {
            p.bytesToEndpoint += len;
        }
        out.limit(len).position(0); // the same datagram may go to several addresses
        outbox.transmit(to, out);
    }

    // WireGuard "keep key fresh": only the initiator rekeys by age or use, so both sides never race.
    private void keepKeyFreshSending(Keypair k, long now, Outbox outbox) {
        if (k.initiator && !k.peer.handshaking()
                && (k.sendCounter > Constants.REKEY_AFTER_MESSAGES
                    || k.age(now) > timers.config().rekeyAfter().toNanos())) {
            initiate(k.peer, now, false, outbox);
        }
    }

    /**
     * Keeps a copy of {@code payload} for later (STAGED), dropping the peer's oldest payloads
     * beyond its limits; NO_ROUTE, with the payload untouched, when even then all peers' staged
     * payloads together would go past {@link Constants#MAX_STAGED_BYTES}.
     */
    private SendResult stage(Peer p, ByteBuffer payload) {
        int len = payload.remaining();
        while (!p.staged.isEmpty() && (p.staged.size() >= Constants.MAX_STAGED_PACKETS
                || p.stagedBytes + len > Constants.MAX_STAGED_BYTES_PER_PEER
                || stagedBytes + len > Constants.MAX_STAGED_BYTES)) {
            pollStaged(p);
            counters.drop(Drop.STAGED_OVERFLOW);
        }
        if (stagedBytes + len > Constants.MAX_STAGED_BYTES) {
            counters.drop(Drop.STAGED_LIMIT);
            return SendResult.NO_ROUTE;
        }
        byte[] copy = new byte[len];
        payload.get(copy);
        p.staged.addLast(copy);
        p.stagedBytes += len;
        stagedBytes += len;
        return SendResult.STAGED;
    }

    private byte[] pollStaged(Peer p) {
        byte[] b = p.staged.pollFirst();
        if (b != null) {
            p.stagedBytes -= b.length;
            stagedBytes -= b.length;
        }
        return b;
    }

    /** Drops every payload staged for {@code p}; returns how many there were. */
    private int clearStaged(Peer p) {
        int n = p.staged.size();
        p.staged.clear();
        stagedBytes -= p.stagedBytes;
        p.stagedBytes = 0;
        return n;
    }

    /** Sends staged payloads, oldest first, while there are keys and a path that may carry them. */
    private void sendStaged(Peer p, long now, Outbox outbox) {
        byte[] b;
        while ((b = p.staged.peekFirst()) != null) {
            Path route = p.route(b.length + Transport.MIN_LENGTH);
            if (!usableForSending(p.current, now) || route == null) {
                return;
            }
            pollStaged(p);
            sendData(p, p.current, ByteBuffer.wrap(b), route, now, outbox);
        }
    }

    /**
     * Sends an initiation to {@code p}. A new (non-retry) attempt is skipped while the previous one
     * is younger than rekey-timeout, so bursts of sends cause one handshake, not many.
     */
    private void initiate(Peer p, long now, boolean retry, Outbox outbox) {
        if (!p.reachable()) {
            return;
        }
        if (!retry && p.handshaking()
                && now - p.lastInitiationSentAt < timers.config().rekeyTimeout().toNanos()) {
            return;
        }
        if (p.handshake != null) {
            indices.remove(p.handshake.localIndex);
        }
        int index = indices.allocate(Boolean.FALSE, random);
        NoiseIK noise;
        try {
            noise = handshakes.writeInitiation(p, index, now, out);
        } catch (IllegalArgumentException lowOrderKey) {
            // The configured key is a low-order point: no handshake with it can ever succeed.
            indices.remove(index);
            p.handshake = null;
            giveUp(p, outbox);
            return;
        }
        p.handshake = new Handshake(p, noise, index);
        indices.replace(index, p.handshake);
        sendInitiation(p, outbox);
        timers.handshakeInitiated(p, now);
    }

    /**
     * Rule 1: the initiation in {@link #out} goes to the current path and, while no direct path is
     * validated, also to the newest candidates and through the relay, so the first path that works
     * carries the handshake. The responder answers the first copy; the others are replays to it.
     */
    private void sendInitiation(Peer p, Outbox outbox) {
        int len = Initiation.LENGTH;
        List<InetSocketAddress> sentTo = p.handshake.sentTo;
        if (p.direct != null) {
            transmitDirect(p, p.direct.address(), len, outbox);
            sentTo.add(p.direct.address());
        }
        if (p.directValidated()) {
            return;
        }
        int copies = 0;
        for (int i = p.candidates.size() - 1; i >= 0 && copies < Constants.HANDSHAKE_COPIES; i--) {
            InetSocketAddress a = p.candidates.get(i).address;
            if (!p.isEndpoint(a)) {
                transmitDirect(p, a, len, outbox);
                sentTo.add(a);
                copies++;
            }
        }
        if (p.relay != null) {
            transmit(p, p.relay, len, outbox);
        }
    }

    // ---------------------------------------------------------------- inbound

    /**
     * Processes one datagram (position 0..limit) from UDP address {@code from}. The buffer is
     * decrypted in place. Never throws on bad input: it is dropped and counted.
     */
    public void receive(long now, InetSocketAddress from, ByteBuffer datagram, Outbox outbox) {
        counters.datagramsIn++;
        counters.bytesIn += datagram.limit();
        dispatch(now, from, null, datagram, outbox);
    }

    /**
     * Processes one sealed datagram (position 0..limit) that the rendezvous {@code relay} at
     * {@code relayAddress} relayed to us (unwrapped from RELAYED); it came over
     * {@code Path.relayed(relay, relayAddress)}. As {@link #receive} otherwise.
     */
    public void receiveRelayed(long now, NodeId relay, InetSocketAddress relayAddress, ByteBuffer datagram,
                               Outbox outbox) {
        counters.relayedIn++;
        dispatch(now, null, Path.relayed(relay, relayAddress), datagram, outbox);
    }

    /** Exactly one of {@code from} (a direct datagram's source) and {@code relayed} is set. */
    private void dispatch(long now, InetSocketAddress from, Path relayed, ByteBuffer datagram, Outbox outbox) {
        int len = datagram.limit();
        switch (MessageType.of(datagram, len)) {
            case MessageType.TRANSPORT -> receiveTransport(now, from, relayed, datagram, len, outbox);
            case MessageType.INITIATION -> receiveInitiation(now, from, relayed, datagram, len, outbox);
            case MessageType.RESPONSE -> receiveResponse(now, from, relayed, datagram, len, outbox);
            case -1 -> counters.drop(Drop.MALFORMED);
            default -> counters.drop(Drop.UNKNOWN_TYPE);
        }
    }

    private void receiveInitiation(long now, InetSocketAddress from, Path relayed, ByteBuffer in, int len,
                                   Outbox outbox) {
        if (!Initiation.check(len)) {
            counters.drop(Drop.MALFORMED);
            return;
        }
        if (!handshakes.mac1Valid(in, Initiation.MAC1)) {
            counters.drop(Drop.BAD_MAC1);
            return;
        }
        HandshakeFlow.ReadInitiation read;
        try {
            read = handshakes.readInitiation(in);
        } catch (NoiseException e) {
            counters.drop(Drop.HANDSHAKE_FAILED);
            return;
        }
        Peer known = peers.get(read.initiator());
        byte[] last = known != null ? (known.hasTimestamp ? known.lastTimestamp : null)
                : forgottenTimestamps.get(read.initiator());
        if (last != null && Tai64n.compare(read.timestamp(), 0, last, 0) <= 0) {
            counters.drop(Drop.REPLAYED_INITIATION);
            return;
        }
        if (known != null && known.lastInitiationConsumedAt != Peer.NEVER
                && now - known.lastInitiationConsumedAt < HandshakeFlow.MIN_INITIATION_INTERVAL_NANOS) {
            counters.drop(Drop.INITIATION_FLOOD);
            return;
        }
        Peer p = admit(read.initiator());
        if (p == null) {
            return;
        }
        System.arraycopy(read.timestamp(), 0, p.lastTimestamp, 0, Tai64n.LENGTH);
        p.hasTimestamp = true;
        p.lastInitiationConsumedAt = now;
        respond(p, read.noise(), Initiation.senderIndex(in), now, from, relayed, len, outbox);
    }

    /** The peer for a key that just authenticated, created if allowed; null if refused. */
    private Peer admit(NodeId id) {
        Peer p = peers.get(id);
        if (p != null) {
            return p;
        }
        if (!config.acceptPeer().test(id)) {
            counters.drop(Drop.REFUSED_PEER);
            return null;
        }
        if (peerTableFull() && idleLearnedPeer() == null) {
            counters.drop(Drop.PEER_LIMIT); // an idle learned peer gives way only on confirmation
            return null;
        }
        if (unconfirmed.size() >= MAX_UNCONFIRMED_PEERS) {
            forget(unconfirmed.peekFirst());
            counters.unconfirmedEvicted++;
        }
        p = new Peer(id, null, false);
        p.seq = peerSeq++;
        rememberTimestamp(p);
        peers.put(id, p);
        unconfirmed.addLast(p);
        return p;
    }

    /** A peer created for a key seen before keeps its last initiation timestamp. */
    private void rememberTimestamp(Peer p) {
        byte[] remembered = forgottenTimestamps.remove(p.id);
        if (remembered != null) {
            System.arraycopy(remembered, 0, p.lastTimestamp, 0, Tai64n.LENGTH);
            p.hasTimestamp = true;
        }
    }

    /** Drops a learned peer and everything it holds; its timestamp is remembered. */
    private void forget(Peer p) {
        counters.drop(Drop.FORGOTTEN, clearStaged(p));
        eraseSession(p);
        if (p.handshake != null) {
            indices.remove(p.handshake.localIndex);
            p.handshake = null;
        }
        if (p.hasTimestamp) {
            forgottenTimestamps.put(p.id, p.lastTimestamp.clone());
        }
        peers.remove(p.id);
        if (!p.confirmed) {
            unconfirmed.remove(p);
        }
    }

    /** Answers an initiation over the path it came on. */
    private void respond(Peer p, NoiseIK noise, int initiatorIndex, long now,
                         InetSocketAddress from, Path relayed, int len, Outbox outbox) {
        // Path bookkeeping first: it may report events, and the driver may send from those.
        if (relayed != null) {
            arrivedRelayed(p, relayed, outbox);
        } else {
            arrivedDirect(p, from, len, false, now, outbox);
        }
        p.responseSentTo = from;
        p.datagramsIn++;
        p.wireBytesIn += len;
        int index = indices.allocate(Boolean.FALSE, random);
        handshakes.writeResponse(p, noise, index, initiatorIndex, out);
        SessionKeys keys = noise.split();
        Keypair k = new Keypair(p, keys.sendKey(), keys.receiveKey(), index, initiatorIndex, false, now);
        indices.replace(index, k);
        // WireGuard: a responder's keypair waits as "next" until the initiator's first packet
        // confirms it; the old previous is erased, the old next replaced.
        erase(p.next);
        erase(p.previous);
        p.previous = null;
        p.next = k;
        if (relayed != null) {
            transmit(p, relayed, Response.LENGTH, outbox);
        } else {
            transmitDirect(p, from, Response.LENGTH, outbox);
        }
        counters.handshakesCompleted++;
        timers.anyAuthenticatedPacketSent(p, now);
        timers.anyAuthenticatedPacketReceived(p, now);
        noteDeadline(p);
    }

    private void receiveResponse(long now, InetSocketAddress from, Path relayed, ByteBuffer in, int len,
                                 Outbox outbox) {
        if (!Response.check(len)) {
            counters.drop(Drop.MALFORMED);
            return;
        }
        if (!(indices.get(Response.receiverIndex(in)) instanceof Handshake h) || h.noise == null) {
            counters.drop(Drop.UNKNOWN_INDEX);
            return;
        }
        if (!handshakes.mac1Valid(in, Response.MAC1)) {
            counters.drop(Drop.BAD_MAC1);
            return;
        }
        Peer p = h.peer;
        long attemptsStartedAt = p.handshakeAttemptsStartedAt;
        try {
            handshakes.readResponse(h, in);
        } catch (NoiseException e) {
            // Anyone who saw the initiation can forge a response with a valid mac1; the Noise state
            // was left as it was, so the genuine response still completes the handshake.
            counters.drop(Drop.HANDSHAKE_FAILED);
            return;
        }
        SessionKeys keys = h.noise.split();
        Keypair k = new Keypair(p, keys.sendKey(), keys.receiveKey(), h.localIndex,
                Response.senderIndex(in), true, now);
        indices.replace(h.localIndex, k);
        p.handshake = null;
        // WireGuard: the initiator's new keypair is current at once; the old current (or an
        // unconfirmed next) becomes previous, so late packets under it still open.
        if (p.next != null) {
            erase(p.current);
            p.previous = p.next;
            p.next = null;
        } else {
            erase(p.previous);
            p.previous = p.current;
        }
        p.current = k;
        markConfirmed(p);
        if (relayed != null) {
            arrivedRelayed(p, relayed, outbox);
        } else if (h.sentTo.contains(from)) {
            // Rule 2b: the response proves the address it came from, and it is the freshest news
            // of where the peer is, so it becomes the endpoint even over a validated one.
            validate(p, from, true, outbox);
        } else {
            // From an address the initiation never went to: the response is genuine, but its
            // source may be anyone's (an on-path attacker racing it from a spoofed address). A
            // roam: budgeted and challenged, reverting if it does not answer.
            arrivedDirect(p, from, len, false, now, outbox);
        }
        counters.handshakesCompleted++;
        p.datagramsIn++;
        p.wireBytesIn += len;
        p.handshakeRtt = p.lastInitiationSentAt == Peer.NEVER ? -1 : now - p.lastInitiationSentAt;
        handshakeDone(p, attemptsStartedAt == Peer.NEVER ? p.handshakeRtt : now - attemptsStartedAt, now);
        timers.handshakeComplete(p);
        timers.anyAuthenticatedPacketReceived(p, now);
        event(SessionEvent.Kind.ESTABLISHED_AS_INITIATOR, p, outbox);
        reportPathChange(p, null, outbox);
        sessionUp(p, now);
        if (p.staged.isEmpty()) {
            sendKeepalive(p, now, outbox); // confirms the keys to the responder
        } else {
            sendStaged(p, now, outbox);
        }
        noteDeadline(p);
    }

    private void receiveTransport(long now, InetSocketAddress from, Path relayed, ByteBuffer in, int len,
                                  Outbox outbox) {
        if (!Transport.check(len)) {
            counters.drop(Drop.MALFORMED);
            return;
        }
        if (!(indices.get(Transport.receiverIndex(in)) instanceof Keypair k)) {
            counters.drop(Drop.UNKNOWN_INDEX);
            return;
        }
        long counter = Transport.counter(in);
        if (counter >= Constants.REJECT_AFTER_MESSAGES || !k.replay.mayAccept(counter)) {
            counters.drop(Drop.REPLAY);
            return;
        }
        if (k.age(now) >= timers.config().rejectAfter().toNanos()) {
            counters.drop(Drop.EXPIRED_KEY);
            return;
        }
        int plain;
        try {
            plain = k.receive.open(counter, in, Transport.HEADER_LENGTH, len - Transport.HEADER_LENGTH);
        } catch (NoiseException e) {
            counters.drop(Drop.BAD_TAG);
            return;
        }
        if (!k.replay.accept(counter)) {
            counters.drop(Drop.REPLAY);
            return;
        }
        Peer p = k.peer;
        p.datagramsIn++;
        p.wireBytesIn += len;
        boolean confirming = k == p.next;
        if (confirming) {
            p.handshakeRtt = now - k.createdAt;
            handshakeDone(p, p.handshakeRtt, now);
            if (!p.confirmed && peerTableFull()) {
                Peer idle = idleLearnedPeer();
                if (idle == null) {
                    forget(p); // the peer table filled up while this one was confirming
                    counters.drop(Drop.PEER_LIMIT);
                    return;
                }
                evict(idle);
            }
            confirmNext(p);
        }
        byte kind = plain > 0 ? in.get(Transport.HEADER_LENGTH) : 0;
        boolean probe = kind == Control.PATH_CHALLENGE || kind == Control.PATH_RESPONSE;
        if (confirming && p.responseSentTo != null) {
            // Rule 2c: our response reached the peer through the address it went to, and its keys
            // came back: that address is validated, wherever the confirmation came from (an
            // answer received on any path validates the path its challenge went on, as in RFC 9000
            // 8.2.3). From another address, the confirmation then roams from it.
            validate(p, p.responseSentTo, false, outbox);
        }
        if (relayed != null) {
            arrivedRelayed(p, relayed, outbox);
        } else {
            arrivedDirect(p, from, len, probe, now, outbox);
        }
        if (confirming) {
            p.responseSentTo = null;
            event(SessionEvent.Kind.ESTABLISHED_AS_RESPONDER, p, outbox);
            reportPathChange(p, null, outbox);
            sessionUp(p, now);
        }
        timers.anyAuthenticatedPacketReceived(p, now);
        keepKeyFreshReceiving(k, now, outbox);
        if (probe) {
            receiveProbe(p, from, relayed, in, plain, now, outbox);
        }
        if (!p.staged.isEmpty()) {
            sendStaged(p, now, outbox);
        }
        if (plain > 0 && !probe) {
            timers.dataReceived(p, now);
            in.position(Transport.HEADER_LENGTH).limit(Transport.HEADER_LENGTH + plain);
            noteDeadline(p);
            outbox.deliver(p.id, relayed != null ? relayed : p.direct, in);
        } else {
            noteDeadline(p);
        }
    }

    /** The initiator used the responder's new keypair: it is confirmed and becomes current. */
    /** Per-peer statistics of a completed handshake (either role). */
    private static void handshakeDone(Peer p, long duration, long now) {
        p.handshakes++;
        p.handshakeDuration = duration;
        if (p.sessionSince == Peer.NEVER) {
            p.sessionSince = now;
        }
    }

    private void confirmNext(Peer p) {
        erase(p.previous);
        p.previous = p.current;
        p.current = p.next;
        p.next = null;
        markConfirmed(p);
        // A crossing initiation of ours is moot now: one handshake slot per peer, as WireGuard.
        if (p.handshake != null) {
            indices.remove(p.handshake.localIndex);
            p.handshake = null;
        }
        timers.handshakeComplete(p);
    }

    private void markConfirmed(Peer p) {
        if (!p.confirmed) {
            p.confirmed = true;
            unconfirmed.remove(p);
        }
    }

    // WireGuard: an initiator whose keys are close to reject-after rekeys on receive too, so a
    // one-way flow toward it does not stall when the keys expire.
    private void keepKeyFreshReceiving(Keypair k, long now, Outbox outbox) {
        SessionTimers t = timers.config();
        long limit = t.rejectAfter().toNanos() - t.keepalive().toNanos() - t.rekeyTimeout().toNanos();
        if (k.initiator && k == k.peer.current && !k.peer.handshaking() && k.age(now) > limit) {
            initiate(k.peer, now, false, outbox);
        }
    }

    // ---------------------------------------------------------------- paths

    /** An authenticated packet of {@code len} bytes came straight from {@code from}. */
    private void arrivedDirect(Peer p, InetSocketAddress from, int len, boolean probe, long now, Outbox outbox) {
        if (p.isEndpoint(from)) {
            if (p.budgeted) {
                p.bytesFromEndpoint += len;
            }
            timers.directPacketReceived(p);
        } else if (!probe) {
            // Probes are excluded: they come from every candidate address while holes are punched.
            if (p.budgeted && p.revertTo != null && p.revertTo.address().equals(from)) {
                // Back at the address it roamed from: that path is restored as it was, at once.
                revert(p, now, outbox);
                event(SessionEvent.Kind.ENDPOINT_CHANGED, p, outbox);
                timers.directPacketReceived(p);
            } else {
                roam(p, from, len, now, outbox);
            }
        }
    }

    /**
     * Rule 6: the peer sent from a new address (it moved, or its NAT rebound). Replies go there at
     * once, within the amplification budget, while a challenge checks it; if it is not validated
     * in time, the previous path comes back ({@link #revert}).
     */
    private void roam(Peer p, InetSocketAddress from, int len, long now, Outbox outbox) {
        Path before = p.path();
        InetSocketAddress old = p.endpoint();
        if (!p.budgeted) {
            // Remember the settled path; while roaming on, the first one is kept.
            p.revertTo = p.direct;
            p.revertValidated = p.validated;
        }
        // Armed even with nothing to revert to: a budgeted endpoint is validated within 3 s or
        // given up (its budget state with it), never left budgeted for good.
        p.revertAt = now + Constants.ROAM_VALIDATION_NANOS;
        p.direct = Path.direct(from);
        p.validated = false;
        p.budgeted = true;
        p.bytesFromEndpoint = len;
        p.bytesToEndpoint = 0;
        p.addCandidate(from, false).restart(now); // challenged within the endpoint's budget
        p.probeAt = Math.min(p.probeAt, now);
        if (old != null) {
            event(SessionEvent.Kind.ENDPOINT_CHANGED, p, outbox);
        }
        reportPathChange(p, before, outbox);
    }

    /**
     * Rule 7: a relayed packet never demotes a direct endpoint, except a configured one that was
     * never validated: the relay just worked and it did not answer first. It stays a candidate, so
     * probing brings it back as soon as it answers.
     */
    private void arrivedRelayed(Peer p, Path relayed, Outbox outbox) {
        Path before = p.path();
        if (p.relay == null || p.direct == null) {
            p.relay = relayed; // while the relay is our path, use the one the peer uses
        }
        if (p.direct != null && !p.validated && !p.budgeted) {
            p.addCandidate(p.direct.address(), true);
            p.direct = null;
        }
        reportPathChange(p, before, outbox);
    }

    /**
     * {@code address} proved to reach the peer (rule 2). Rule 5: it becomes the endpoint unless a
     * different endpoint is validated already; {@code evenOverValidated} (a handshake response)
     * moves anyway.
     */
    private void validate(Peer p, InetSocketAddress address, boolean evenOverValidated, Outbox outbox) {
        counters.pathsValidated++;
        if (!p.isEndpoint(address) && p.directValidated() && !evenOverValidated) {
            return;
        }
        Path before = p.path();
        InetSocketAddress old = p.endpoint();
        if (!p.isEndpoint(address)) {
            p.direct = Path.direct(address);
        }
        p.validated = true;
        p.settle();
        p.stopProbes();
        timers.directPacketReceived(p);
        if (old != null && !old.equals(address)) {
            event(SessionEvent.Kind.ENDPOINT_CHANGED, p, outbox);
        }
        reportPathChange(p, before, outbox);
    }

    /**
     * Rule 6: a roaming endpoint was not validated in time, or the peer sent from the address it
     * roamed from: the path before it comes back, as it was (validated or not).
     */
    private void revert(Peer p, long now, Outbox outbox) {
        Path before = p.path();
        p.direct = p.revertTo;
        p.validated = p.revertValidated;
        p.settle();
        if (p.directValidated()) {
            p.stopProbes();
        }
        reportPathChange(p, before, outbox);
        sendStaged(p, now, outbox);
    }

    /**
     * Rule 7: data went out on the direct path and nothing came back on it for the dead-peer
     * interval, while a relay is known: use the relay, and probe the old endpoint (now a candidate)
     * with the others, so the direct path comes back if it recovers.
     */
    private void fallBack(Peer p, long now, Outbox outbox) {
        p.fallbackAt = Peer.OFF;
        if (p.direct == null || p.relay == null) {
            return;
        }
        Path before = p.path();
        // The old endpoint is probed again at once; the others start over if they may.
        boolean worked = p.validated || !p.budgeted;
        InetSocketAddress old = p.direct.address();
        p.direct = null;
        p.validated = false;
        p.settle();
        p.restartProbes(now);
        p.addCandidate(old, worked).restart(now);
        p.probeAt = now;
        reportPathChange(p, before, outbox);
    }

    /**
     * A handshake completed (either role): probing starts over if no direct path is validated, at
     * most once per {@link Constants#PROBE_RESTART_NANOS}.
     */
    private static void sessionUp(Peer p, long now) {
        if (!p.directValidated()) {
            p.restartProbes(now);
        }
    }

    /**
     * Rule 3: challenges to every due candidate, on the fast schedule and then every 5 s while the
     * session carries data. Without keys there is nothing to seal them with: probing waits for
     * {@link #sessionUp}.
     */
    private void runProbes(Peer p, long now, Outbox outbox) {
        if (p.directValidated() || !usableForSending(p.current, now)) {
            p.stopProbes();
            return;
        }
        long[] schedule = Constants.PROBE_SCHEDULE_NANOS;
        boolean inUse = p.lastDataAt != Peer.NEVER && now - p.lastDataAt < timers.config().keepalive().toNanos();
        for (Peer.Candidate c : p.candidates) {
            if (c.probeAt > now) {
                continue;
            }
            boolean fast = c.probes < schedule.length;
            if (fast || inUse) {
                challenge(p, c, now, outbox);
                if (!fast) {
                    c.background++;
                }
            }
            c.probes++;
            if (c.background >= Constants.BACKGROUND_ROUNDS) {
                c.probeAt = Peer.OFF; // it never answered: left alone until its schedule starts over
            } else {
                c.probeAt = now + (c.probes < schedule.length
                        ? schedule[c.probes] - schedule[c.probes - 1] : Constants.BACKGROUND_PROBE_NANOS);
            }
        }
        p.updateProbeAt();
    }

    /**
     * One challenge to {@code c}, if something pays for it: the roaming endpoint's budget (3x what
     * came from it), the candidate's own (3x the challenges that came from it, answers included),
     * or, for an address the peer named, the peer's probe allowance. Otherwise it is skipped, not
     * queued: the next one in the schedule may be paid for.
     */
    private void challenge(Peer p, Peer.Candidate c, long now, Outbox outbox) {
        int size = Transport.MIN_LENGTH + Control.PATH_PROBE_LENGTH;
        boolean endpointBudget = p.budgeted && p.isEndpoint(c.address);
        boolean byBytes = endpointBudget
                ? p.bytesToEndpoint + size <= Constants.AMPLIFICATION_FACTOR * p.bytesFromEndpoint
                : c.bytesTo + size <= Constants.AMPLIFICATION_FACTOR * c.bytesFrom;
        if (!byBytes && !(c.listed && p.takeProbeToken(now))) {
            counters.challengesSkipped++;
            return;
        }
        while (c.token == 0) {
            c.token = random.nextLong(); // 0 means "never challenged"
        }
        if (sendProbe(p, Control.PATH_CHALLENGE, c.token, c.address, null, now, outbox)) {
            counters.challengesSent++;
            if (byBytes && !endpointBudget) {
                c.bytesTo += size;
            }
        }
    }

    /**
     * Seals a PATH_CHALLENGE or PATH_RESPONSE under the current keys to one address or relay; false
     * when there are no keys to seal it with.
     */
    private boolean sendProbe(Peer p, byte kind, long token, InetSocketAddress to, Path relayed, long now,
                              Outbox outbox) {
        if (!usableForSending(p.current, now)) {
            return false;
        }
        probe.clear();
        probe.put(kind).putLong(token).flip();
        int len = seal(p.current, probe);
        if (relayed != null) {
            transmit(p, relayed, len, outbox);
        } else {
            transmitDirect(p, to, len, outbox);
        }
        return true;
    }

    /**
     * A PATH_CHALLENGE is answered straight back to its source, whatever our path (rule 4), and that
     * source is probed at once while no direct path is validated: it may be a NAT mapping the
     * peer's probe just opened. A PATH_RESPONSE validates its source if it echoes what we sent there.
     */
    private void receiveProbe(Peer p, InetSocketAddress from, Path relayed, ByteBuffer in, int plain, long now,
                              Outbox outbox) {
        if (plain != Control.PATH_PROBE_LENGTH) {
            counters.drop(Drop.MALFORMED_PROBE);
            return;
        }
        byte kind = in.get(Transport.HEADER_LENGTH);
        long token = in.getLong(Transport.HEADER_LENGTH + 1);
        if (kind == Control.PATH_CHALLENGE) {
            boolean answered = sendProbe(p, Control.PATH_RESPONSE, token, from, relayed, now, outbox);
            if (answered) {
                counters.challengesAnswered++;
            }
            if (relayed == null && !p.directValidated()) {
                // Probed at once, but paid for by what came from it: the answer just sent and
                // challenges take at most 3x the challenges received from it.
                int size = Transport.MIN_LENGTH + plain;
                Peer.Candidate c = p.addCandidate(from, false);
                c.bytesFrom += size;
                if (answered) {
                    c.bytesTo += size;
                }
                if (c.probeAt == Peer.OFF || c.probes >= Constants.PROBE_SCHEDULE_NANOS.length) {
                    c.restart(now);
                } else {
                    c.probeAt = now; // within its fast schedule: the next step now
                }
                p.probeAt = Math.min(p.probeAt, now);
            }
            return;
        }
        Peer.Candidate c = relayed == null ? p.candidate(from) : null;
        if (c == null || c.token == 0 || c.token != token) {
            counters.drop(Drop.UNEXPECTED_PATH_RESPONSE);
            return;
        }
        validate(p, from, false, outbox);
    }

    /**
     * Reports the path packets take whenever it differs from the last one reported, the first path
     * of a session included, so logs and the stream layer always know the current one.
     */
    private void reportPathChange(Peer p, Path before, Outbox outbox) {
        Path now = p.path();
        if (now != null && !now.equals(p.reportedPath)) {
            Path previous = p.reportedPath;
            p.reportedPath = now;
            outbox.event(new SessionEvent(SessionEvent.Kind.PATH_CHANGED, p.id, now.address(), now, previous));
        }
    }

    // ---------------------------------------------------------------- timers

    /** Runs every timer that is due at {@code now}. */
    public void onTimer(long now, Outbox outbox) {
        if (now < nextDeadline) {
            return;
        }
        nextDeadline = Peer.OFF;
        List<Peer> forget = null;
        for (Peer p : peers.values()) {
            if (p.deadline(timers.config()) <= now && runTimers(p, now, outbox) && !p.configured) {
                forget = forget == null ? new ArrayList<>() : forget;
                forget.add(p);
            }
            nextDeadline = Math.min(nextDeadline, p.deadline(timers.config()));
        }
        if (forget != null) {
            for (Peer p : forget) {
                forget(p);
            }
        }
    }

    /** Runs the due timers of one peer; true when the peer was left with nothing (may be forgotten). */
    private boolean runTimers(Peer p, long now, Outbox outbox) {
        SessionTimers t = timers.config();
        if (p.retransmitHandshakeAt <= now) {
            retransmitOrGiveUp(p, now, outbox);
        }
        if (!p.confirmed && p.next != null && now >= p.unconfirmedExpiry(t)) {
            return true; // learned, never confirmed: forget it
        }
        // Paths first: a fallback to the relay must happen before a re-handshake picks its paths.
        if (p.revertAt <= now) {
            revert(p, now, outbox);
        }
        if (p.fallbackAt <= now) {
            fallBack(p, now, outbox);
        }
        if (p.probeAt <= now) {
            runProbes(p, now, outbox);
        }
        boolean hadSession = p.hasSession();
        if (hadSession && p.lastReceivedAt != Peer.NEVER
                && now - p.lastReceivedAt >= t.idleTimeout().toNanos()) {
            eraseSession(p);
        } else {
            expireKeypairs(p, now);
        }
        if (hadSession && !p.hasSession()) {
            // Idle for idle-timeout, or all keys aged out because no traffic asked for a rekey.
            timers.sessionErased(p);
            event(SessionEvent.Kind.IDLE_CLOSED, p, outbox);
            return !p.handshaking() && p.staged.isEmpty();
        }
        if (p.newHandshakeAt <= now) {
            p.newHandshakeAt = Peer.OFF;
            initiate(p, now, false, outbox); // sent data, heard nothing back: re-handshake
        }
        if (p.persistentKeepaliveAt <= now && !usableForSending(p.current, now)) {
            // WireGuard: a persistent keepalive with no usable keys starts a handshake instead.
            p.persistentKeepaliveAt = now + t.persistentKeepalive().toNanos();
            initiate(p, now, false, outbox);
        } else if (p.sendKeepaliveAt <= now || p.persistentKeepaliveAt <= now) {
            p.sendKeepaliveAt = Peer.OFF;
            p.persistentKeepaliveAt = Peer.OFF;
            sendKeepalive(p, now, outbox);
        }
        return !p.hasSession() && !p.handshaking() && p.staged.isEmpty();
    }

    private void retransmitOrGiveUp(Peer p, long now, Outbox outbox) {
        if (now - p.handshakeAttemptsStartedAt >= timers.config().rekeyAttemptTime().toNanos()) {
            giveUp(p, outbox);
            return;
        }
        initiate(p, now, true, outbox);
    }

    private void giveUp(Peer p, Outbox outbox) {
        if (p.handshake != null) {
            indices.remove(p.handshake.localIndex);
            p.handshake = null;
        }
        counters.drop(Drop.UNREACHABLE, clearStaged(p));
        timers.handshakeAbandoned(p);
        event(SessionEvent.Kind.UNREACHABLE, p, outbox);
    }

    private void expireKeypairs(Peer p, long now) {
        long reject = timers.config().rejectAfter().toNanos();
        if (p.previous != null && p.previous.age(now) >= reject) {
            erase(p.previous);
            p.previous = null;
        }
        if (p.next != null && p.next.age(now) >= reject) {
            erase(p.next);
            p.next = null;
        }
        if (p.current != null && p.current.age(now) >= reject) {
            erase(p.current);
            p.current = null;
        }
    }

    private void eraseSession(Peer p) {
        p.sessionSince = Peer.NEVER;
        erase(p.previous);
        erase(p.current);
        erase(p.next);
        p.previous = p.current = p.next = null;
    }

    private void erase(Keypair k) {
        if (k != null) {
            indices.remove(k.localIndex);
            k.destroy();
        }
    }

    private void event(SessionEvent.Kind kind, Peer p, Outbox outbox) {
        Path path = p.path();
        outbox.event(new SessionEvent(kind, p.id, path == null ? null : path.address(), path));
    }

    private void noteDeadline(Peer p) {
        nextDeadline = Math.min(nextDeadline, p.deadline(timers.config()));
    }
}
