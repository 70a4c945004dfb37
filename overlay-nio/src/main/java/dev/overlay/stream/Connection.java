package dev.overlay.stream;

import dev.overlay.identity.NodeId;
import dev.overlay.recovery.AckException;
import dev.overlay.recovery.CongestionController;
import dev.overlay.recovery.Cubic;
import dev.overlay.recovery.LossDetector;
import dev.overlay.recovery.Pacer;
import dev.overlay.recovery.RttEstimator;
import dev.overlay.recovery.SentPacket;
import dev.overlay.wire.frame.AckFrame;
import dev.overlay.wire.frame.FrameException;
import dev.overlay.wire.frame.FrameParser;
import dev.overlay.wire.frame.FrameVisitor;
import dev.overlay.wire.frame.FrameWriter;
import java.io.IOException;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * All streams between this node and one peer, multiplexed over the session: one packet-number
 * space, loss recovery and congestion control (RFC 9002 as the model), connection-level flow
 * control, ACK generation, idle timeout. Owned by the node's event loop; it never reads a clock
 * ({@code now} comes in) and does no I/O ({@link #poll} fills a buffer the caller sends).
 *
 * <p>Inbound flow ({@link #onPacket}): epoch check (a restarted peer starts a new connection), then
 * frames, each applied to its stream; the packet number is recorded for the next ACK.
 * Outbound flow ({@link #poll}): ACK, then control frames, then stream data (lost ranges first,
 * then new bytes, round-robin across streams), within the congestion window and the pacer.
 */
final class Connection implements LossDetector.Listener {
    interface Host {
        /** The listener for {@code port}, or null. */
        StreamListener listener(int port);

        OverlayStream.Service service();

        /** See {@link StreamObserver#streamOpened}. */
        default void streamOpened(NodeId peer, long streamId, int port, boolean inbound, long durationNanos,
                                  String refusal) {}

        /** See {@link StreamObserver#streamClosed}. */
        default void streamClosed(NodeId peer, long streamId, int port, boolean inbound, String outcome,
                                  long lifetimeNanos, long bytesSent, long bytesReceived) {}
    }

    /** An ACK is sent at once after this many ack-eliciting packets (RFC 9000 13.2.2). */
    private static final int ACK_ELICITING_THRESHOLD = 2;
    /**
     * ACK decimation (as Chromium's QUIC and Linux GRO do in effect): once a connection has
     * received {@link #DECIMATION_AFTER} packets, a bulk flow is acknowledged every
     * {@link #DECIMATED_THRESHOLD} packets instead of every 2. Each ACK costs a datagram, a seal and
     * two system calls; at 2 it is a third of all packets. Out-of-order arrivals are still
     * acknowledged at once, so loss recovery is not delayed.
     */
    private static final int DECIMATED_THRESHOLD = 10;
    private static final long DECIMATION_AFTER = 100;
    private long ackElicitingReceived;
    /** At most this many ACK ranges are reported; older gaps are forgotten (bounded ACK state). */
    private static final int MAX_ACK_RANGES = 64;
    /**
     * Holes one stream's receive buffer may have. Loss makes a few; a peer sending 1-byte frames
     * in descending order makes one per frame, and each costs the range set an array shift.
     * 4096 covers a 16 MiB window at 10 % loss and bounds the work.
     */
    static final int MAX_RECEIVE_GAPS = 4096;
    /** Pending control frames (OPEN_OK, resets, ...) a peer's behaviour may queue before it is cut off. */
    static final int MAX_QUEUED_CONTROL = 16_384;
    /** Session transport overhead (header + tag) around our payload, in bytes. */
    static final int SESSION_OVERHEAD = 32;

    final NodeId peer;
    /** Counters toward {@link #peer}; the stream layer hands in the peer's, kept across connections. */
    PeerTotals totals = new PeerTotals();
    private final StreamConfig config;
    private final Host host;
    final long localEpoch;
    private long peerEpoch = -1;
    private final boolean evenIds;
    private long nextLocalStreamId;

    private final Map<Long, OverlayStream> streams = new HashMap<>();
    /** Peer-opened stream ids ever seen (as id >>> 1): live, closed, or void. */
    private final RangeSet peerStreamIds = new RangeSet();
    /** The highest peer stream id (as id >>> 1) opened by an OPEN frame; bounds plausible ids. */
    private long highestPeerOpen = -1;
    private final ArrayDeque<OverlayStream> sendRotation = new ArrayDeque<>();
    private final ArrayDeque<SentFrame> control = new ArrayDeque<>();

    private final RttEstimator rtt = new RttEstimator();
    private final CongestionController cc;
    private final Pacer pacer;
    private final LossDetector loss;
    private long nextPacketNumber;
    private int probesToSend;

    private final RangeSet receivedPackets = new RangeSet();
    private long largestReceivedAt;
    private int ackElicitingSinceAck;
    private long ackDeadline = Long.MAX_VALUE;
    private final long[] ackRanges = new long[2 * MAX_ACK_RANGES];

    private long peerMaxData;
    private long sentData;
    private long localMaxData;
    private int localWindow;
    private long receivedData;
    /**
     * Bytes of this connection's credit the receiving side has used up: read by applications,
     * discarded, or left unread in retired streams. Updated by application threads (reads), hence
     * atomic; the loop compares it with the advertised MAX_DATA.
     */
    private final java.util.concurrent.atomic.AtomicLong consumed = new java.util.concurrent.atomic.AtomicLong();
    /** consumed value at the last MAX_DATA, and half the window: when to wake the loop for another. */
    private volatile long consumedAtLastMaxData;
    private volatile long halfWindow;
    private long lastMaxDataAt = Long.MIN_VALUE;
    private boolean maxDataWanted;

    final Pmtud pmtud;
    private long lastReceivedAt;
    private long lastAckElicitingSentAt;
    private IOException closedWith;
    private final FrameParser parser = new FrameParser();
    private final Inbound inbound = new Inbound();
    private final List<OverlayStream> toSignal = new ArrayList<>();
    /** The time of the entry point being run, for callbacks that get no {@code now}. */
    private long now;

    Connection(NodeId self, NodeId peer, StreamConfig config, Host host, long epoch, long now) {
        this.peer = peer;
        this.config = config;
        this.host = host;
        this.localEpoch = epoch;
        // Stream ids never collide: the node with the smaller key uses even ids, the other odd ones.
        this.evenIds = self.compareTo(peer) < 0;
        this.nextLocalStreamId = evenIds ? 0 : 1;
        this.pmtud = new Pmtud(config.initialDatagramSize(), config.maxDatagramSize());
        this.cc = new Cubic(pmtud.current() - SESSION_OVERHEAD);
        this.pacer = new Pacer(pmtud.current() - SESSION_OVERHEAD);
        this.loss = new LossDetector(rtt, cc, config.maxAckDelay().toNanos());
        this.localWindow = config.initialConnectionWindow();
        this.halfWindow = localWindow / 2;
        this.localMaxData = localWindow;
        this.peerMaxData = config.initialConnectionWindow();
        this.lastReceivedAt = now;
    }

    boolean isClosed() {
        return closedWith != null;
    }

    int streamCount() {
        return streams.size();
    }

    /** This connection's RTT estimates, in nanoseconds: smoothed, minimum, latest; -1 each without a sample. */
    long[] rtts() {
        return rtt.hasSample() ? new long[] {rtt.smoothedRtt(), rtt.minRtt(), rtt.latestRtt()} : new long[] {-1, -1, -1};
    }

    // ------------------------------------------------------------------ opening

    /** Creates a local stream and queues its OPEN. */
    OverlayStream open(int port) {
        long id = nextLocalStreamId;
        nextLocalStreamId += 2;
        OverlayStream s = newStream(id, port);
        streams.put(id, s);
        control.add(new SentFrame.Open(s, port));
        return s;
    }

    private OverlayStream newStream(long id, int port) {
        OverlayStream s = new OverlayStream(this, id, peer, port, host.service(), config.sendBufferBytes(),
                config.initialStreamWindow(), config.initialStreamWindow());
        s.recvLimit = config.initialStreamWindow();
        s.createdAt = now;
        return s;
    }

    // ------------------------------------------------------------------ inbound

    /**
     * Processes one stream-layer packet (the payload's first byte is the stream marker).
     *
     * @return false when the packet belongs to a newer incarnation of the peer: the caller must
     *     close this connection and hand the packet to a fresh one
     */
    boolean onPacket(long now, ByteBuffer payload) {
        this.now = now;
        long epoch = FrameParser.peekEpoch(payload);
        if (epoch < 0) {
            return true; // malformed header: dropped
        }
        if (peerEpoch >= 0 && epoch != peerEpoch) {
            return epoch < peerEpoch; // an older incarnation's straggler is dropped; a newer one restarts
        }
        long pn;
        try {
            inbound.now = now;
            pn = parser.parse(payload, inbound);
        } catch (FrameException e) {
            close(now, new SocketException("connection to " + peer.shortName() + " failed: "
                    + "peer sent a malformed packet (" + e.getMessage() + ")"), StreamError.PROTOCOL_VIOLATION);
            return true;
        }
        if (inbound.failure != null) {
            IOException f = inbound.failure;
            inbound.failure = null;
            close(now, f, inbound.failureCode);
            return true;
        }
        peerEpoch = epoch;
        lastReceivedAt = now;
        recordReceived(pn, now, parser.lastPacketAckEliciting());
        return true;
    }

    private void recordReceived(long pn, long now, boolean ackEliciting) {
        boolean duplicate = receivedPackets.contains(pn);
        receivedPackets.add(pn, pn);
        receivedPackets.keepHighest(MAX_ACK_RANGES);
        if (pn == receivedPackets.last()) {
            largestReceivedAt = now;
        }
        if (!ackEliciting) {
            return;
        }
        ackElicitingSinceAck++;
        ackElicitingReceived++;
        int threshold = ackElicitingReceived > DECIMATION_AFTER ? DECIMATED_THRESHOLD : ACK_ELICITING_THRESHOLD;
        // RFC 9000 13.2.1: out-of-order or duplicate packets are acknowledged at once.
        boolean outOfOrder = duplicate || pn != receivedPackets.last() || receivedPackets.rangeCount() > 1;
        if (ackElicitingSinceAck >= threshold || outOfOrder) {
            ackDeadline = now;
        } else if (ackDeadline == Long.MAX_VALUE) {
            ackDeadline = now + config.maxAckDelay().toNanos();
        }
    }

    /**
     * Wakes the application threads waiting on streams this connection touched since the last
     * call. The event loop calls it once per batch of datagrams, not per packet: a reader blocked
     * on a fast stream then wakes once for many packets instead of once for each.
     */
    void signalStreams() {
        for (OverlayStream s : toSignal) {
            s.toSignal = false;
            s.signal();
        }
        toSignal.clear();
    }

    private void touched(OverlayStream s) {
        if (!s.toSignal) {
            s.toSignal = true;
            toSignal.add(s);
        }
    }

    /** Applies frames to streams. Runs on the event loop; takes each stream's lock briefly. */
    private final class Inbound implements FrameVisitor {
        long now;
        IOException failure;
        long failureCode;

        private void fail(String why, long code) {
            if (failure == null) {
                failure = new SocketException("connection to " + peer.shortName() + " failed: " + why);
                failureCode = code;
            }
        }

        @Override
        public void onAck(AckFrame ack) {
            long delay = Math.min(ack.ackDelayMicros(), 1L << 40) * 1000L;
            try {
                loss.onAckReceived(ack.ranges(), ack.rangeCount(), delay, now, Connection.this);
            } catch (AckException e) {
                fail("peer acknowledged a packet never sent (" + e.getMessage() + ")", StreamError.PROTOCOL_VIOLATION);
            }
        }

        @Override
        public void onStream(long id, long offset, boolean fin, ByteBuffer packet, int at, int len) {
            OverlayStream s = streamForPeerFrame(id);
            if (s == null) {
                return;
            }
            long end = offset + len;
            s.lock.lock();
            try {
                if (end > s.recvLimit) {
                    fail("stream " + id + " exceeded its flow-control window", StreamError.FLOW_CONTROL);
                    return;
                }
                long finalSize = s.recv.finalSize();
                if (finalSize >= 0 && (end > finalSize || fin && end != finalSize)
                        || fin && end < s.recv.highestReceived()) {
                    // RFC 9000 4.5: data past the final size, or a changed final size
                    fail("stream " + id + " broke its final size", StreamError.FINAL_SIZE);
                    return;
                }
                if (s.recv.gaps() > MAX_RECEIVE_GAPS) {
                    fail("stream " + id + " has more than " + MAX_RECEIVE_GAPS + " holes", StreamError.PROTOCOL_VIOLATION);
                    return;
                }
                long before = s.recv.highestReceived();
                if (s.inputShut || s.closed) {
                    s.recv.write(offset, packet, at, len);
                    discardReadable(s);
                } else {
                    s.recv.write(offset, packet, at, len);
                }
                if (fin) {
                    s.recv.setFinalSize(end);
                }
                long grew = Math.max(0, s.recv.highestReceived() - before);
                receivedData += grew;
                totals.bytesReceived += grew;
                if (receivedData > localMaxData) {
                    fail("peer exceeded the connection flow-control window", StreamError.FLOW_CONTROL);
                }
            } finally {
                s.lock.unlock();
            }
            touched(s);
            maybeRetire(s);
        }

        @Override
        public void onResetStream(long id, long code, long finalSize) {
            OverlayStream s = streamForPeerFrame(id);
            if (s == null) {
                return;
            }
            long refusedCode = 0;
            s.lock.lock();
            try {
                long known = s.recv.finalSize();
                if (known >= 0 && known != finalSize || finalSize < s.recv.highestReceived()
                        || finalSize > s.recvLimit) {
                    fail("stream " + id + " reset with a final size it contradicts", StreamError.FINAL_SIZE);
                    return;
                }
                // RFC 9000 4.5: bytes up to the final size count against the connection window
                // even if they never arrive.
                receivedData += finalSize - s.recv.highestReceived();
                if (receivedData > localMaxData) {
                    fail("peer exceeded the connection flow-control window", StreamError.FLOW_CONTROL);
                    return;
                }
                s.recv.setFinalSize(finalSize);
                if (!s.opened && s.send.sentHigh() == 0 && (code == StreamError.REFUSED
                        || code == StreamError.NOT_ALLOWED || code == StreamError.BACKLOG_FULL
                        || code == StreamError.STREAM_LIMIT)) {
                    s.failLocked(new StreamRefusedException(peer, s.port(), code));
                    refusedCode = code;
                } else {
                    // RFC 9000 3.2: RESET_STREAM ends the peer's sending only; our reads fail,
                    // our own sending goes on unless a STOP_SENDING says otherwise.
                    s.failReadsLocked(new SocketException("connection reset by peer: " + StreamError.describe(code)));
                }
                s.resetReceived = true;
            } finally {
                s.lock.unlock();
            }
            if (refusedCode != 0) {
                totals.streamsRefused++;
                host.streamOpened(peer, s.id, s.port(), false, now - s.createdAt,
                        StreamError.describe(refusedCode));
            }
            touched(s);
            maybeRetire(s);
        }

        @Override
        public void onStopSending(long id, long code) {
            OverlayStream s = streamForPeerFrame(id);
            if (s == null) {
                return;
            }
            s.lock.lock();
            try {
                // RFC 9000 3.5: answer STOP_SENDING with RESET_STREAM. Only our sending ends:
                // what the peer already sent us (and its FIN) is still delivered.
                if (s.resetToSend < 0 && !(s.send.finOffset() >= 0 && s.send.allAcked())) {
                    s.resetToSend = code;
                    s.resetQueued = true; // answered now, not when the application next looks
                    queueControl(new SentFrame.ResetStream(s.id, code, s.send.sentHigh()));
                }
                s.failWritesLocked(new SocketException("connection reset by peer: it stopped reading ("
                        + StreamError.describe(code) + ")"));
            } finally {
                s.lock.unlock();
            }
            queueForSending(s);
            touched(s);
        }

        @Override
        public void onMaxData(long max) {
            if (max > peerMaxData) {
                peerMaxData = max;
                queueAllForSending();
            }
        }

        @Override
        public void onMaxStreamData(long id, long max) {
            OverlayStream s = streamForPeerFrame(id);
            if (s == null) {
                return;
            }
            s.lock.lock();
            try {
                if (max > s.sendLimit) {
                    s.sendLimit = max;
                }
            } finally {
                s.lock.unlock();
            }
            queueForSending(s);
        }

        @Override
        public void onConnectionClose(long code, String reason) {
            fail("peer closed the connection: " + StreamError.describe(code)
                    + (reason.isEmpty() ? "" : " (" + reason + ")"), -1);
        }

        @Override
        public void onOpen(long id, int port) {
            acceptOpen(id, port);
        }

        @Override
        public void onOpenOk(long id) {
            OverlayStream s = streams.get(id);
            if (s == null) {
                if (!isLocal(id) || id >= nextLocalStreamId) {
                    fail("OPEN_OK for stream " + id + ", which this side never opened", StreamError.PROTOCOL_VIOLATION);
                }
                return; // a late OPEN_OK for a stream we already closed
            }
            boolean first;
            s.lock.lock();
            try {
                first = !s.opened;
                s.opened = true;
            } finally {
                s.lock.unlock();
            }
            if (first) {
                totals.streamsOpened++;
                host.streamOpened(peer, id, s.port(), false, now - s.createdAt, null);
            }
            queueForSending(s);
            touched(s);
        }
    }

    /** Bytes that arrive for a stream whose reader went away are consumed at once. */
    private void discardReadable(OverlayStream s) {
        int n = s.recv.readable();
        if (n > 0) {
            s.recv.read(new byte[n], 0, n);
            consumed(n);
            s.windowUpdateWanted = true;
            queueForSending(s);
        }
    }

    private boolean isLocal(long id) {
        return ((id & 1) == 0) == evenIds;
    }

    /**
     * A peer opens ids in order; one far beyond the highest it used (more than twice the stream
     * limit) can only come from a broken or hostile peer, and would make the id set grow.
     */
    private boolean peerIdPlausible(long id) {
        if ((id >>> 1) > highestPeerOpen + 2L * config.maxStreamsPerPeer()) {
            inbound.fail("peer used stream id " + id + ", far beyond any it opened", StreamError.PROTOCOL_VIOLATION);
            return false;
        }
        return true;
    }

    /** Queues a control frame; a peer that makes the queue grow past the bound is cut off. */
    private void queueControl(SentFrame f) {
        if (control.size() >= MAX_QUEUED_CONTROL) {
            inbound.fail("peer caused more than " + MAX_QUEUED_CONTROL + " pending control frames",
                    StreamError.PROTOCOL_VIOLATION);
            return;
        }
        control.add(f);
    }

    /**
     * The stream a frame from the peer refers to, or null when it is closed or unknown (the frame
     * is then ignored, and a stream the peer thinks is live but we never knew is reset).
     */
    private OverlayStream streamForPeerFrame(long id) {
        OverlayStream s = streams.get(id);
        if (s != null) {
            return s;
        }
        if (isLocal(id)) {
            if (id >= nextLocalStreamId) {
                inbound.fail("peer referred to stream " + id + ", which this side never opened",
                        StreamError.PROTOCOL_VIOLATION);
            }
            return null; // one of ours, closed and forgotten
        }
        if (peerIdPlausible(id) && !peerStreamIds.contains(id >>> 1)) {
            // A frame before its OPEN (reordering): the stream is void, so a late OPEN is ignored.
            // Nothing is sent back: the opener waits for OPEN_OK before it sends data, so only a
            // reset can come first, and that stream is being abandoned anyway.
            peerStreamIds.add(id >>> 1, id >>> 1);
        }
        return null;
    }

    private void acceptOpen(long id, int port) {
        if (isLocal(id) || !peerIdPlausible(id) || peerStreamIds.contains(id >>> 1)) {
            return; // a retransmitted OPEN, or an OPEN for an id we already reset
        }
        // Ids of one side share a parity: id >>> 1 makes them consecutive, so the set stays one range.
        peerStreamIds.add(id >>> 1, id >>> 1);
        highestPeerOpen = Math.max(highestPeerOpen, id >>> 1);
        long refusal = 0;
        StreamListener l = host.listener(port);
        if (l == null) {
            refusal = StreamError.REFUSED;
        } else if (!l.allows(peer)) {
            refusal = StreamError.NOT_ALLOWED;
        } else if (streams.size() >= config.maxStreamsPerPeer()) {
            refusal = StreamError.STREAM_LIMIT;
        }
        OverlayStream s = null;
        if (refusal == 0) {
            s = newStream(id, port);
            s.opened = true;
            s.inbound = true;
            streams.put(id, s);
            if (!l.offer(s)) {
                streams.remove(id);
                refusal = StreamError.BACKLOG_FULL;
            }
        }
        if (refusal == 0) {
            totals.streamsOpened++;
            host.streamOpened(peer, id, port, true, 0, null);
        } else {
            totals.streamsRefused++;
            host.streamOpened(peer, id, port, true, 0, StreamError.describe(refusal));
        }
        queueControl(refusal == 0 ? new SentFrame.OpenOk(id) : new SentFrame.ResetStream(id, refusal, 0));
    }

    // ------------------------------------------------------------------ acks and losses

    /**
     * RFC 8899 (4.3) black-hole detection: this many packets larger than the base size lost in a
     * row (with nothing of that size acknowledged in between) means the path stopped carrying
     * them. Five keeps false alarms rare even at 10 % random loss (1e-5 per packet), and a false
     * alarm only costs a new search.
     */
    private static final int BLACK_HOLE_LOSSES = 5;
    private int largeLossesInARow;

    private boolean large(SentPacket p) {
        return !p.mtuProbe && p.size > pmtud.base() - SESSION_OVERHEAD;
    }

    @Override
    public void onAcked(SentPacket p) {
        if (large(p)) {
            largeLossesInARow = 0;
        }
        for (SentFrame f : frames(p)) {
            if (f instanceof SentFrame.Stream sf) {
                OverlayStream s = sf.stream();
                s.lock.lock();
                try {
                    s.send.onAcked(sf.offset(), sf.length(), sf.fin());
                } finally {
                    s.lock.unlock();
                }
                touched(s);
                maybeRetire(s);
            } else if (f instanceof SentFrame.PmtuProbe probe) {
                pmtud.onProbeAcked(probe.size(), probe.search());
                cc.setMaxDatagramSize(pmtud.current() - SESSION_OVERHEAD);
                pacer.setMaxDatagramSize(pmtud.current() - SESSION_OVERHEAD);
            } else if (f instanceof SentFrame.ResetStream r) {
                OverlayStream s = streams.get(r.streamId());
                if (s != null) {
                    s.resetAcked = true;
                    maybeRetire(s);
                }
            }
        }
    }

    @Override
    public void onLost(SentPacket p) {
        totals.packetsLost++;
        if (large(p) && ++largeLossesInARow >= BLACK_HOLE_LOSSES) {
            largeLossesInARow = 0;
            pmtud.onBlackHole(now);
            cc.setMaxDatagramSize(pmtud.current() - SESSION_OVERHEAD);
            pacer.setMaxDatagramSize(pmtud.current() - SESSION_OVERHEAD);
        }
        for (SentFrame f : frames(p)) {
            if (f instanceof SentFrame.Stream sf) {
                OverlayStream s = sf.stream();
                s.lock.lock();
                try {
                    if (s.sending()) {
                        s.send.onLost(sf.offset(), sf.length(), sf.fin());
                    }
                } finally {
                    s.lock.unlock();
                }
                queueForSending(s);
            } else if (f instanceof SentFrame.PmtuProbe probe) {
                pmtud.onProbeLost(probe.size(), probe.search(), now);
            } else if (f instanceof SentFrame.MaxData) {
                maxDataWanted = true;
            } else if (f instanceof SentFrame.MaxStreamData m) {
                m.stream().lock.lock();
                try {
                    m.stream().windowUpdateWanted = true;
                } finally {
                    m.stream().lock.unlock();
                }
                queueForSending(m.stream());
            } else if (f instanceof SentFrame.Open o) {
                if (streams.containsKey(o.stream().id)) {
                    control.add(f);
                }
            } else if (!(f instanceof SentFrame.Ping)) {
                control.add(f); // OPEN_OK, RESET_STREAM, STOP_SENDING: always resent
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static List<SentFrame> frames(SentPacket p) {
        return p.frames == null ? List.of() : (List<SentFrame>) p.frames;
    }

    // ------------------------------------------------------------------ service requests

    /** The application touched {@code s} (wrote, read, closed, reset): look at it on the next poll. */
    void serviceStream(OverlayStream s) {
        s.queuedForService.set(false);
        if (closedWith != null || streams.get(s.id) != s) {
            return; // a stream of an older connection to this peer, or one already retired
        }
        s.lock.lock();
        try {
            if (s.resetToSend >= 0 && !s.resetQueued) {
                s.resetQueued = true;
                control.add(new SentFrame.ResetStream(s.id, s.resetToSend, s.send.sentHigh()));
            }
            if (s.stopSendingToSend && !s.recv.complete()) {
                s.stopSendingToSend = false;
                control.add(new SentFrame.StopSending(s.id, StreamError.NO_ERROR));
            }
            if (s.closed && !s.recv.atEnd() && !s.resetReceived && !s.stopSent) {
                s.stopSent = true;
                discardReadable(s);
                control.add(new SentFrame.StopSending(s.id, StreamError.NO_ERROR));
            }
            if (s.inputShut) {
                discardReadable(s);
            }
        } finally {
            s.lock.unlock();
        }
        queueForSending(s);
        maybeRetire(s);
    }

    private void queueForSending(OverlayStream s) {
        if (!s.inRotation) {
            s.inRotation = true;
            sendRotation.addLast(s);
        }
    }

    private void queueAllForSending() {
        for (OverlayStream s : streams.values()) {
            queueForSending(s);
        }
    }

    /** Forgets a stream once both directions are finished and nothing more can arrive for it. */
    private void maybeRetire(OverlayStream s) {
        String outcome;
        long sentBytes;
        long receivedBytes;
        s.lock.lock();
        try {
            // Sending is finished when the FIN was acknowledged, or a reset ended it either way.
            boolean sendDone = s.send.finOffset() >= 0 && s.send.allAcked() || s.resetAcked
                    || s.failure != null && s.resetToSend < 0;
            boolean recvDone = s.recv.atEnd() || s.resetReceived
                    || (s.closed || s.inputShut) && s.recv.complete();
            if (!(sendDone && recvDone) || streams.get(s.id) != s) {
                return;
            }
            streams.remove(s.id);
            outcome = retiredOutcome(s);
            sentBytes = s.send.sentHigh();
            receivedBytes = s.recv.highestReceived();
            // What a retired stream used of the connection's credit but nobody read counts as
            // consumed (RFC 9000 4.5: the final size is what the stream used).
            long used = Math.max(s.recv.highestReceived(), Math.max(0, s.recv.finalSize()));
            consumed.addAndGet(Math.max(0, used - s.recv.readOffset()));
            s.send.release();
            s.recv.release();
            s.signalAllLocked();
        } finally {
            s.lock.unlock();
        }
        streamClosed(s, outcome, sentBytes, receivedBytes);
    }

    /** How a retired stream ended, for {@link Host#streamClosed}; its lock is held. */
    private static String retiredOutcome(OverlayStream s) {
        if (s.failure instanceof StreamRefusedException) {
            return "refused";
        }
        if (s.resetReceived || s.resetToSend >= 0) {
            return "reset";
        }
        return s.failure != null ? String.valueOf(s.failure.getMessage()) : "closed";
    }

    private void streamClosed(OverlayStream s, String outcome, long sentBytes, long receivedBytes) {
        totals.streamsClosed++;
        host.streamClosed(peer, s.id, s.port(), s.inbound, outcome, now - s.createdAt, sentBytes, receivedBytes);
    }

    // ------------------------------------------------------------------ outbound

    /**
     * Writes the next packet into {@code out} (from index 0) if one may be sent now.
     *
     * @return the packet length, or 0 when nothing can be sent now ({@link #nextDeadline} says when)
     */
    int poll(long now, ByteBuffer out) {
        this.now = now;
        if (closedWith != null) {
            return pollClose(out);
        }
        int maxPayload = pmtud.current() - SESSION_OVERHEAD;
        boolean probing = probesToSend > 0;
        boolean congested = !probing && loss.bytesInFlight() + maxPayload > cc.congestionWindow();
        boolean ackDue = ackDeadline <= now;
        boolean paced = !probing && pacer.nextSendTime(now, maxPayload, rate()) > now;
        if ((congested || paced) && !ackDue) {
            return 0;
        }
        // Probe the path only for a connection that carries streams: an idle one has nothing to gain.
        if (!probing && !congested && !paced && !streams.isEmpty() && pmtud.probeDue(now)) {
            return writeProbe(now, out);
        }
        out.clear();
        FrameWriter.writePacketHeader(out, localEpoch, nextPacketNumber);
        int headerEnd = out.position();
        out.limit(maxPayload);
        boolean ackSent = (ackDue || ackDeadline != Long.MAX_VALUE) && writeAck(now, out);
        List<SentFrame> sent = new ArrayList<>(4);
        if (!congested && !paced) {
            writeControl(out, sent);
            writeWindowUpdates(now, out, sent);
            writeStreams(now, out, sent);
        }
        if (sent.isEmpty() && probing) {
            FrameWriter.writePing(out);
            sent.add(new SentFrame.Ping());
        }
        if (sent.isEmpty() && !ackSent) {
            return 0;
        }
        if (probing && !sent.isEmpty()) {
            probesToSend--;
        }
        int len = out.position();
        out.limit(len);
        if (len == headerEnd) {
            return 0;
        }
        register(now, len, sent);
        // RFC 9002 (7.8): the window must not grow while the application, not the window, limits
        // sending, or it would balloon on an idle-ish connection and burst later.
        cc.setAppLimited(!hasWorkToSend() && loss.bytesInFlight() < cc.congestionWindow() / 2);
        return len;
    }

    private long rate() {
        return cc.pacingRateBytesPerSecond(rtt);
    }

    private void register(long now, int len, List<SentFrame> sent) {
        long pn = nextPacketNumber++;
        totals.packetsSent++;
        boolean ackEliciting = !sent.isEmpty();
        // Every numbered packet is registered, ACK-only ones too (not in flight): the peer may
        // acknowledge them, and an ACK for an unregistered number is a protocol violation.
        loss.onPacketSent(new SentPacket(pn, now, len, ackEliciting, ackEliciting, ackEliciting ? sent : null), now);
        if (ackEliciting) {
            pacer.onPacketSent(now, len, rate());
            lastAckElicitingSentAt = now;
        }
    }

    private int writeProbe(long now, ByteBuffer out) {
        int size = pmtud.nextProbeSize(now);
        int payload = size - SESSION_OVERHEAD;
        out.clear();
        FrameWriter.writePacketHeader(out, localEpoch, nextPacketNumber);
        FrameWriter.writePmtuProbe(out);
        FrameWriter.writePadding(out, payload - out.position());
        out.limit(payload);
        List<SentFrame> sent = List.of(new SentFrame.PmtuProbe(size, pmtud.search()));
        long pn = nextPacketNumber++;
        totals.packetsSent++;
        SentPacket p = new SentPacket(pn, now, payload, true, true, true, sent);
        loss.onPacketSent(p, now);
        return payload;
    }

    private boolean writeAck(long now, ByteBuffer out) {
        if (receivedPackets.isEmpty()) {
            return false;
        }
        int n = Math.min(receivedPackets.rangeCount(), MAX_ACK_RANGES);
        for (int i = 0; i < n; i++) {
            int r = receivedPackets.rangeCount() - 1 - i;
            ackRanges[2 * i] = receivedPackets.high(r);
            ackRanges[2 * i + 1] = receivedPackets.low(r);
        }
        long delayMicros = Math.max(0, now - largestReceivedAt) / 1000;
        while (n > 0 && FrameWriter.ackLength(ackRanges, n, delayMicros) > out.remaining()) {
            n--;
        }
        if (n == 0) {
            return false;
        }
        FrameWriter.writeAck(out, ackRanges, n, delayMicros);
        ackDeadline = Long.MAX_VALUE;
        ackElicitingSinceAck = 0;
        return true;
    }

    private void writeControl(ByteBuffer out, List<SentFrame> sent) {
        for (int i = control.size(); i > 0; i--) {
            SentFrame f = control.pollFirst();
            if (!ControlFrames.write(f, out)) {
                control.addFirst(f);
                return;
            }
            sent.add(f);
        }
    }

    private void writeWindowUpdates(long now, ByteBuffer out, List<SentFrame> sent) {
        // Cheap test first: consumption never exceeds what arrived, so the per-stream sum is only
        // computed once the peer has used half the connection window.
        boolean nearLimit = receivedData + localWindow / 2 >= localMaxData
                && consumedData() + localWindow / 2 >= localMaxData;
        if ((maxDataWanted || nearLimit) && out.remaining() >= 9) {
            autotuneConnectionWindow(now);
            long c = consumedData();
            localMaxData = Math.max(localMaxData, c + localWindow); // never lowered
            consumedAtLastMaxData = c;
            halfWindow = localWindow / 2;
            FrameWriter.writeMaxData(out, localMaxData);
            sent.add(new SentFrame.MaxData());
            maxDataWanted = false;
            lastMaxDataAt = now;
        }
    }

    private long consumedData() {
        return consumed.get();
    }

    /**
     * Called by a reader (any thread) after consuming {@code n} bytes.
     *
     * @return true when half the connection window has been consumed since the last MAX_DATA, so
     *     the reader must ask the loop to send another (no single stream may have crossed its own
     *     threshold)
     */
    boolean consumed(int n) {
        long now = consumed.addAndGet(n);
        long last = consumedAtLastMaxData;
        return now - last >= halfWindow && now - n - last < halfWindow;
    }

    // Autotuning (as Chromium's and quinn's receivers): if the window was used up within two round
    // trips, it limits throughput: double it, up to the maximum.
    private void autotuneConnectionWindow(long now) {
        if (lastMaxDataAt != Long.MIN_VALUE && now - lastMaxDataAt < 2 * smoothedRtt()) {
            localWindow = (int) Math.min((long) localWindow * 2, config.maxConnectionWindow());
        }
    }

    private long smoothedRtt() {
        return rtt.smoothedRtt();
    }

    private void writeStreams(long now, ByteBuffer out, List<SentFrame> sent) {
        for (int i = sendRotation.size(); i > 0 && out.remaining() > 24; i--) {
            OverlayStream s = sendRotation.pollFirst();
            s.inRotation = false;
            if (streams.get(s.id) != s) {
                continue;
            }
            if (StreamFrames.write(this, s, now, out, sent)) {
                queueForSending(s);
            }
        }
    }

    /** Connection-level send credit left (RFC 9000 4.1: the sum of all streams' highest offsets). */
    long connectionCredit() {
        return peerMaxData - sentData;
    }

    void onNewDataSent(int bytes) {
        sentData += bytes;
        totals.bytesSent += bytes;
    }

    /** Queues a MAX_STREAM_DATA for {@code s} if its reader freed half the window; the lock is held. */
    boolean streamWindowUpdateLocked(long now, OverlayStream s, ByteBuffer out, List<SentFrame> sent) {
        if (!s.windowUpdateWanted || out.remaining() < 17) {
            return false;
        }
        if (s.lastWindowUpdateAt != Long.MIN_VALUE && now - s.lastWindowUpdateAt < 2 * smoothedRtt()) {
            s.recvWindow = (int) Math.min((long) s.recvWindow * 2, config.maxStreamWindow());
        }
        s.windowUpdateWanted = false;
        s.lastWindowUpdateAt = now;
        // Never lower the limit; resend it unchanged when the frame that carried it was lost.
        long limit = Math.max(s.recvLimit, s.recv.readOffset() + s.recvWindow);
        s.recvLimit = limit;
        FrameWriter.writeMaxStreamData(out, s.id, limit);
        sent.add(new SentFrame.MaxStreamData(s));
        return true;
    }

    // ------------------------------------------------------------------ timers

    /** When {@link #onTimer} or {@link #poll} next has work. */
    long nextDeadline(long now) {
        if (closedWith != null) {
            return closeSent || closeCode < 0 ? Long.MAX_VALUE : now; // only the CONNECTION_CLOSE is left
        }
        long d = Math.min(loss.lossDetectionDeadline(), ackDeadline);
        long probeAt = streams.isEmpty() ? Long.MAX_VALUE : pmtud.nextProbeAt();
        boolean work = hasWorkToSend() || probeAt <= now;
        boolean congested = probesToSend == 0
                && loss.bytesInFlight() + pmtud.current() - SESSION_OVERHEAD > cc.congestionWindow();
        if (work && !congested) {
            // Limited by the pacer only; a full congestion window waits for ACKs or the loss timer.
            d = Math.min(d, Math.max(now, pacer.nextSendTime(now, pmtud.current() - SESSION_OVERHEAD, rate())));
        } else if (probeAt > now) {
            d = Math.min(d, probeAt);
        }
        d = Math.min(d, lastReceivedAt + config.idleTimeout().toNanos());
        if (!streams.isEmpty()) {
            if (loss.bytesInFlight() == 0) {
                d = Math.min(d, keepaliveAt()); // with data in flight, the PTO probes instead
            }
        }
        return d;
    }

    private boolean hasWorkToSend() {
        return !control.isEmpty() || !sendRotation.isEmpty() || probesToSend > 0 || maxDataWanted;
    }

    private long keepaliveAt() {
        return Math.max(lastReceivedAt, lastAckElicitingSentAt) + config.idleTimeout().toNanos() / 3;
    }

    /**
     * The session layer moved this peer's packets to another path: restart the path MTU search
     * from the base size (a relay adds bytes, a direct path may carry more than the relay did).
     */
    void pathChanged(long now) {
        this.now = now;
        pmtud.restart(now);
        largeLossesInARow = 0;
        cc.setMaxDatagramSize(pmtud.current() - SESSION_OVERHEAD);
        pacer.setMaxDatagramSize(pmtud.current() - SESSION_OVERHEAD);
    }

    void onTimer(long now) {
        this.now = now;
        if (closedWith != null) {
            return;
        }
        pmtud.maybeRaise(now);
        if (!streams.isEmpty() && now - lastReceivedAt >= config.idleTimeout().toNanos()) {
            close(now, new SocketException("connection timed out: nothing from " + peer.shortName()
                    + " for " + config.idleTimeout().toSeconds() + " s"), StreamError.NO_ERROR);
            return;
        }
        if (loss.lossDetectionDeadline() <= now) {
            probesToSend += loss.onLossDetectionTimeout(now, this);
            if (loss.ptoCount() >= 3) {
                // RFC 8899 (4.3): three probe timeouts in a row: maybe the path MTU shrank.
                pmtud.onBlackHole(now);
                cc.setMaxDatagramSize(pmtud.current() - SESSION_OVERHEAD);
                pacer.setMaxDatagramSize(pmtud.current() - SESSION_OVERHEAD);
            }
        }
        if (!streams.isEmpty() && keepaliveAt() <= now && loss.bytesInFlight() == 0) {
            control.add(new SentFrame.Ping());
            lastAckElicitingSentAt = now;
        }
    }

    /** True when the connection has neither streams nor anything left to send: it may be dropped. */
    boolean idle(long now) {
        if (closedWith != null) {
            return closeSent || closeCode < 0;
        }
        // Nothing heard for the idle timeout and no stream to fail: forget the connection, even
        // with probes outstanding (a vanished peer must not be probed forever).
        return streams.isEmpty() && now - lastReceivedAt >= config.idleTimeout().toNanos();
    }

    // ------------------------------------------------------------------ closing

    /** Fails every stream with {@code why}; a CONNECTION_CLOSE with {@code code} goes out next. */
    void close(long now, IOException why, long code) {
        if (closedWith != null) {
            return;
        }
        closedWith = why;
        closeCode = code;
        this.now = now;
        for (OverlayStream s : streams.values()) {
            long sentBytes;
            long receivedBytes;
            s.lock.lock();
            try {
                s.failLocked(why);
                sentBytes = s.send.sentHigh();
                receivedBytes = s.recv.highestReceived();
            } finally {
                s.lock.unlock();
            }
            s.signal();
            streamClosed(s, String.valueOf(why.getMessage()), sentBytes, receivedBytes);
        }
        streams.clear();
        for (OverlayStream s : sendRotation) {
            s.inRotation = false;
        }
        sendRotation.clear();
        control.clear();
    }

    private long closeCode;
    private boolean closeSent;

    private int pollClose(ByteBuffer out) {
        if (closeSent || closeCode < 0) {
            return 0;
        }
        closeSent = true;
        out.clear();
        FrameWriter.writePacketHeader(out, localEpoch, nextPacketNumber++);
        FrameWriter.writeConnectionClose(out, closeCode, "");
        out.limit(out.position());
        return out.position();
    }

    IOException closedWith() {
        return closedWith;
    }

    /** A one-paragraph dump of the connection's state, for diagnosing a stalled transfer. */
    String describe(long now) {
        StringBuilder b = new StringBuilder();
        b.append("conn to ").append(peer.shortName()).append(": streams=").append(streams.size())
                .append(" rotation=").append(sendRotation.size()).append(" control=").append(control.size())
                .append(" inFlight=").append(loss.bytesInFlight()).append(" cwnd=").append(cc.congestionWindow())
                .append(" pto=").append(loss.ptoCount()).append(" probes=").append(probesToSend)
                .append(" lossAt=").append(rel(loss.lossDetectionDeadline(), now))
                .append(" ackAt=").append(rel(ackDeadline, now)).append(" pmtu=").append(pmtud.current())
                .append(" probeAt=").append(rel(pmtud.nextProbeAt(), now))
                .append(" pacerAt=").append(rel(pacer.nextSendTime(now, pmtud.current() - SESSION_OVERHEAD, rate()), now))
                .append(" credit=").append(connectionCredit()).append(" localMaxData=").append(localMaxData)
                .append(" received=").append(receivedData);
        int shown = 0;
        for (OverlayStream s : streams.values()) {
            if (shown++ == 3) {
                break;
            }
            b.append("\n  stream ").append(s.id).append(" opened=").append(s.opened)
                    .append(" sendLimit=").append(s.sendLimit).append(" sentHigh=").append(s.send.sentHigh())
                    .append(" written=").append(s.send.writeOffset()).append(" unacked=").append(s.send.unacked())
                    .append(" lost=").append(s.send.hasLostData()).append(" recvLimit=").append(s.recvLimit)
                    .append(" readOffset=").append(s.recv.readOffset()).append(" highest=").append(s.recv.highestReceived())
                    .append(" wantWindow=").append(s.windowUpdateWanted);
        }
        return b.toString();
    }

    private static String rel(long t, long now) {
        return t == Long.MAX_VALUE ? "never" : (t - now) / 1000 + "us";
    }
}
