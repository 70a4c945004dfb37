package dev.overlay.session;

import dev.overlay.crypto.NoiseException;
import dev.overlay.crypto.NoiseIK;
import dev.overlay.crypto.SessionKeys;
import dev.overlay.identity.Identity;
import dev.overlay.identity.NodeId;
import dev.overlay.wire.Initiation;
import dev.overlay.wire.MessageType;
import dev.overlay.wire.Response;
import dev.overlay.wire.Tai64n;
import dev.overlay.wire.Transport;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
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
 * Inbound flow ({@link #receive}): header check, then by type: initiation, response, transport,
 * each dropping and counting anything that does not authenticate ({@link Drop}); never throws.
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
    public enum SendResult { SENT, STAGED, NO_ENDPOINT }

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
    private final ByteBuffer out = ByteBuffer.allocateDirect(MAX_DATAGRAM + 64);
    private long nextDeadline = Peer.OFF;

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

    /** Adds (or re-points) a configured peer reachable at {@code endpoint} (may be null). */
    public void addPeer(NodeId id, InetSocketAddress endpoint) {
        Peer p = peers.get(id);
        if (p == null) {
            peers.put(id, new Peer(id, endpoint, true));
            return;
        }
        if (!p.confirmed) {
            unconfirmed.remove(p);
        }
        p.configured = true;
        p.confirmed = true;
        if (endpoint != null) {
            p.endpoint = endpoint;
        }
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
     * The payload is consumed (its position moves to its limit).
     */
    public SendResult send(long now, NodeId to, ByteBuffer payload, Outbox outbox) {
        int len = payload.remaining();
        if (len < 1 || len > MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload must be 1.." + MAX_PAYLOAD + " bytes, got " + len);
        }
        Peer p = peers.get(to);
        if (p == null || p.endpoint == null) {
            return SendResult.NO_ENDPOINT;
        }
        Keypair k = p.current;
        if (!usableForSending(k, now)) {
            stage(p, payload);
            if (awaitingConfirmation(p, now)) {
                // If the confirming packet was lost, handshake ourselves once the wait is over.
                timers.awaitingConfirmation(p, p.next.createdAt + timers.config().rekeyTimeout().toNanos());
            } else {
                initiate(p, now, false, outbox);
            }
            noteDeadline(p);
            return SendResult.STAGED;
        }
        sealAndTransmit(k, payload, now, outbox);
        timers.dataSent(p, now);
        keepKeyFreshSending(k, now, outbox);
        noteDeadline(p);
        return SendResult.SENT;
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

    private void sealAndTransmit(Keypair k, ByteBuffer payload, long now, Outbox outbox) {
        int len = payload.remaining();
        out.clear();
        Transport.writeHeader(out, k.remoteIndex, k.sendCounter);
        out.position(Transport.HEADER_LENGTH);
        out.put(payload);
        int sealed = k.send.seal(k.sendCounter, out, Transport.HEADER_LENGTH, len);
        k.sendCounter++;
        out.position(0).limit(Transport.HEADER_LENGTH + sealed);
        transmit(k.peer, outbox);
        timers.anyAuthenticatedPacketSent(k.peer, now);
    }

    private void sendKeepalive(Peer p, long now, Outbox outbox) {
        Keypair k = p.current;
        if (!usableForSending(k, now)) {
            return;
        }
        out.clear();
        Transport.writeHeader(out, k.remoteIndex, k.sendCounter);
        int sealed = k.send.seal(k.sendCounter, out, Transport.HEADER_LENGTH, 0);
        k.sendCounter++;
        out.position(0).limit(Transport.HEADER_LENGTH + sealed);
        transmit(p, outbox);
        counters.keepalivesSent++;
        timers.anyAuthenticatedPacketSent(p, now);
        keepKeyFreshSending(k, now, outbox);
    }

    private void transmit(Peer p, Outbox outbox) {
        counters.datagramsOut++;
        counters.bytesOut += out.remaining();
        outbox.transmit(p.endpoint, out);
    }

    // WireGuard "keep key fresh": only the initiator rekeys by age or use, so both sides never race.
    private void keepKeyFreshSending(Keypair k, long now, Outbox outbox) {
        if (k.initiator && !k.peer.handshaking()
                && (k.sendCounter > Constants.REKEY_AFTER_MESSAGES
                    || k.age(now) > timers.config().rekeyAfter().toNanos())) {
            initiate(k.peer, now, false, outbox);
        }
    }

    private void stage(Peer p, ByteBuffer payload) {
        byte[] copy = new byte[payload.remaining()];
        payload.get(copy);
        if (p.staged.size() >= Constants.MAX_STAGED_PACKETS) {
            p.staged.pollFirst();
            counters.drop(Drop.STAGED_OVERFLOW);
        }
        p.staged.addLast(copy);
    }

    private void sendStaged(Peer p, long now, Outbox outbox) {
        byte[] b;
        while ((b = p.staged.pollFirst()) != null) {
            if (!usableForSending(p.current, now)) {
                p.staged.addFirst(b);
                return;
            }
            sealAndTransmit(p.current, ByteBuffer.wrap(b), now, outbox);
            timers.dataSent(p, now);
        }
    }

    /**
     * Sends an initiation to {@code p}. A new (non-retry) attempt is skipped while the previous one
     * is younger than rekey-timeout, so bursts of sends cause one handshake, not many.
     */
    private void initiate(Peer p, long now, boolean retry, Outbox outbox) {
        if (p.endpoint == null) {
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
        transmit(p, outbox);
        timers.handshakeInitiated(p, now);
    }

    // ---------------------------------------------------------------- inbound

    /**
     * Processes one datagram (position 0..limit) from {@code from}. The buffer is decrypted in
     * place. Never throws on bad input: it is dropped and counted.
     */
    public void receive(long now, InetSocketAddress from, ByteBuffer datagram, Outbox outbox) {
        int len = datagram.limit();
        counters.datagramsIn++;
        counters.bytesIn += len;
        switch (MessageType.of(datagram, len)) {
            case MessageType.TRANSPORT -> receiveTransport(now, from, datagram, len, outbox);
            case MessageType.INITIATION -> receiveInitiation(now, from, datagram, len, outbox);
            case MessageType.RESPONSE -> receiveResponse(now, from, datagram, len, outbox);
            case -1 -> counters.drop(Drop.MALFORMED);
            default -> counters.drop(Drop.UNKNOWN_TYPE);
        }
    }

    private void receiveInitiation(long now, InetSocketAddress from, ByteBuffer in, int len, Outbox outbox) {
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
        Peer p = admit(read.initiator(), from);
        if (p == null) {
            return;
        }
        System.arraycopy(read.timestamp(), 0, p.lastTimestamp, 0, Tai64n.LENGTH);
        p.hasTimestamp = true;
        p.lastInitiationConsumedAt = now;
        respond(p, read.noise(), Initiation.senderIndex(in), now, from, outbox);
    }

    /** The peer for a key that just authenticated, created if allowed; null if refused. */
    private Peer admit(NodeId id, InetSocketAddress from) {
        Peer p = peers.get(id);
        if (p != null) {
            return p;
        }
        if (!config.acceptPeer().test(id)) {
            counters.drop(Drop.REFUSED_PEER);
            return null;
        }
        if (peers.size() - unconfirmed.size() >= config.maxPeers()) {
            counters.drop(Drop.PEER_LIMIT);
            return null;
        }
        if (unconfirmed.size() >= MAX_UNCONFIRMED_PEERS) {
            forget(unconfirmed.peekFirst());
            counters.unconfirmedEvicted++;
        }
        p = new Peer(id, from, false);
        byte[] remembered = forgottenTimestamps.remove(id);
        if (remembered != null) {
            System.arraycopy(remembered, 0, p.lastTimestamp, 0, Tai64n.LENGTH);
            p.hasTimestamp = true;
        }
        peers.put(id, p);
        unconfirmed.addLast(p);
        return p;
    }

    /** Drops a learned peer and everything it holds; its timestamp is remembered. */
    private void forget(Peer p) {
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

    private void respond(Peer p, NoiseIK noise, int initiatorIndex, long now,
                         InetSocketAddress from, Outbox outbox) {
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
        updateEndpoint(p, from, outbox);
        transmit(p, outbox);
        counters.handshakesCompleted++;
        timers.anyAuthenticatedPacketSent(p, now);
        timers.anyAuthenticatedPacketReceived(p, now);
        noteDeadline(p);
    }

    private void receiveResponse(long now, InetSocketAddress from, ByteBuffer in, int len, Outbox outbox) {
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
        updateEndpoint(p, from, outbox);
        counters.handshakesCompleted++;
        timers.handshakeComplete(p);
        timers.anyAuthenticatedPacketReceived(p, now);
        outbox.event(new SessionEvent(SessionEvent.Kind.ESTABLISHED_AS_INITIATOR, p.id, p.endpoint));
        if (p.staged.isEmpty()) {
            sendKeepalive(p, now, outbox); // confirms the keys to the responder
        } else {
            sendStaged(p, now, outbox);
        }
        noteDeadline(p);
    }

    private void receiveTransport(long now, InetSocketAddress from, ByteBuffer in, int len, Outbox outbox) {
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
        if (k == p.next) {
            if (!p.confirmed && peers.size() - unconfirmed.size() >= config.maxPeers()) {
                forget(p); // the peer table filled up while this one was confirming
                counters.drop(Drop.PEER_LIMIT);
                return;
            }
            confirmNext(p);
            outbox.event(new SessionEvent(SessionEvent.Kind.ESTABLISHED_AS_RESPONDER, p.id, from));
        }
        updateEndpoint(p, from, outbox);
        timers.anyAuthenticatedPacketReceived(p, now);
        keepKeyFreshReceiving(k, now, outbox);
        if (!p.staged.isEmpty()) {
            sendStaged(p, now, outbox);
        }
        if (plain > 0) {
            timers.dataReceived(p, now);
            in.position(Transport.HEADER_LENGTH).limit(Transport.HEADER_LENGTH + plain);
            noteDeadline(p);
            outbox.deliver(p.id, in);
        } else {
            noteDeadline(p);
        }
    }

    /** The initiator used the responder's new keypair: it is confirmed and becomes current. */
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

    private void updateEndpoint(Peer p, InetSocketAddress from, Outbox outbox) {
        if (!from.equals(p.endpoint)) {
            boolean known = p.endpoint != null;
            p.endpoint = from;
            if (known) {
                outbox.event(new SessionEvent(SessionEvent.Kind.ENDPOINT_CHANGED, p.id, from));
            }
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
            outbox.event(new SessionEvent(SessionEvent.Kind.IDLE_CLOSED, p.id, p.endpoint));
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
        counters.drop(Drop.UNREACHABLE, p.staged.size());
        p.staged.clear();
        timers.handshakeAbandoned(p);
        outbox.event(new SessionEvent(SessionEvent.Kind.UNREACHABLE, p.id, p.endpoint));
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

    private void noteDeadline(Peer p) {
        nextDeadline = Math.min(nextDeadline, p.deadline(timers.config()));
    }
}
