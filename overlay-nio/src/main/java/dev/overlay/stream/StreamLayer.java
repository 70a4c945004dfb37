package dev.overlay.stream;

import dev.overlay.identity.NodeId;
import java.io.IOException;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;

/**
 * The stream layer of one node: a {@link Connection} per peer, the listeners by overlay port, and
 * the hand-off between application threads and the event loop. The node's loop calls the
 * {@code on*}/{@link #flush} methods; applications call {@link #listen} and (through the node)
 * {@link #open}.
 */
public final class StreamLayer implements Connection.Host {
    /** Hands a stream-layer packet to the session layer for sealing and sending. */
    public interface Sender {
        void send(long now, NodeId to, ByteBuffer payload);
    }

    private final NodeId self;
    private final StreamConfig config;
    private final Sender sender;
    private final Runnable wakeLoop;
    private final long epochOffsetNanos;
    private long lastEpoch;
    private final Map<NodeId, Connection> connections = new HashMap<>();
    private final Map<Integer, StreamListener> listeners = new ConcurrentHashMap<>();
    private final Queue<OverlayStream> serviceQueue = new ConcurrentLinkedQueue<>();
    private final ByteBuffer packet;
    private final OverlayStream.Service service = this::requestService;
    /** Counters per peer, across its connections; pruned by {@link #pruneStats}. */
    private final Map<NodeId, PeerTotals> totals = new HashMap<>();
    private volatile StreamObserver observer;

    /**
     * @param wakeLoop wakes the event loop (from any thread) so it runs {@link #serviceQueued}
     * @param epochOffsetNanos wall-clock time minus {@code now}: connection epochs are wall-clock
     *     microseconds, so a restarted node's new connections carry larger epochs than its old ones
     */
    public StreamLayer(NodeId self, StreamConfig config, Sender sender, Runnable wakeLoop, long epochOffsetNanos) {
        this.self = self;
        this.config = config;
        this.sender = sender;
        this.wakeLoop = wakeLoop;
        this.epochOffsetNanos = epochOffsetNanos;
        this.packet = ByteBuffer.allocateDirect(config.maxDatagramSize());
    }

    public StreamConfig config() {
        return config;
    }

    /** Sets who hears of streams opening and closing (null: nobody); it runs on the event loop. */
    public void setObserver(StreamObserver observer) {
        this.observer = observer;
    }

    // ------------------------------------------------------------------ application side

    /**
     * Listens on overlay {@code port}; only keys {@code allow} admits may open streams to it.
     *
     * @throws IllegalArgumentException for a port outside 1..65535
     * @throws IllegalStateException when the port already has a listener
     */
    public StreamListener listen(int port, Predicate<NodeId> allow) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("overlay port must be 1..65535, got " + port);
        }
        StreamListener l = new StreamListener(port, allow, config.acceptBacklog(), () -> listeners.remove(port));
        if (listeners.putIfAbsent(port, l) != null) {
            throw new IllegalStateException("overlay port " + port + " already has a listener");
        }
        return l;
    }

    private void requestService(OverlayStream s) {
        serviceQueue.add(s);
        wakeLoop.run();
    }

    // ------------------------------------------------------------------ event loop side

    @Override
    public StreamListener listener(int port) {
        StreamListener l = listeners.get(port);
        return l == null || l.isClosed() ? null : l;
    }

    @Override
    public OverlayStream.Service service() {
        return service;
    }

    /** Opens a stream to {@code peer}:{@code port} (loop thread); the caller awaits its OPEN_OK. */
    public OverlayStream open(long now, NodeId peer, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("overlay port must be 1..65535, got " + port);
        }
        OverlayStream s = connection(now, peer).open(port);
        s.createdAt = now;
        s.requestService();
        return s;
    }

    private Connection connection(long now, NodeId peer) {
        Connection c = connections.get(peer);
        if (c == null || c.isClosed()) {
            c = new Connection(self, peer, config, this, nextEpoch(now), now);
            c.totals = totals.computeIfAbsent(peer, k -> new PeerTotals());
            connections.put(peer, c);
        }
        return c;
    }

    private long nextEpoch(long now) {
        lastEpoch = Math.max(lastEpoch + 1, (epochOffsetNanos + now) / 1000);
        return lastEpoch;
    }

    /** A decrypted stream-layer packet from {@code from}. */
    public void onPacket(long now, NodeId from, ByteBuffer payload) {
        Connection c = connection(now, from);
        if (!c.onPacket(now, payload)) {
            // The peer restarted: its old connection's streams are gone for good.
            c.close(now, new SocketException("connection reset: " + from.shortName() + " restarted"), -1);
            c.signalStreams();
            Connection fresh = new Connection(self, from, config, this, nextEpoch(now), now);
            fresh.totals = c.totals;
            connections.put(from, fresh);
            fresh.onPacket(now, payload);
        }
    }

    /** Applies what application threads asked for since the last call. */
    public void serviceQueued(long now) {
        OverlayStream s;
        while ((s = serviceQueue.poll()) != null) {
            s.conn.serviceStream(s); // its own connection: a newer one may reuse the same id
        }
    }

    /** Wakes application threads for everything that happened since the last call (once per loop turn). */
    public void signalPending() {
        for (Connection c : connections.values()) {
            c.signalStreams();
        }
    }

    /** Sends every packet the connections may send now. */
    public void flush(long now) {
        for (Connection c : connections.values()) {
            int n;
            while ((n = c.poll(now, packet)) > 0) {
                packet.position(0).limit(n);
                sender.send(now, c.peer, packet);
            }
        }
    }

    public void onTimer(long now) {
        Iterator<Connection> it = connections.values().iterator();
        while (it.hasNext()) {
            Connection c = it.next();
            c.onTimer(now);
            if (c.idle(now)) {
                c.signalStreams();
                it.remove();
            }
        }
    }

    /** The earliest deadline of any connection. */
    public long nextDeadline(long now) {
        long d = Long.MAX_VALUE;
        for (Connection c : connections.values()) {
            d = Math.min(d, c.nextDeadline(now));
        }
        return d;
    }

    /** Fails every stream (the node is shutting down); a CONNECTION_CLOSE goes to each peer. */
    public void shutdown(long now) {
        IOException e = new SocketException("the local node shut down");
        for (Connection c : new ArrayList<>(connections.values())) {
            c.close(now, e, StreamError.SHUTDOWN);
        }
        for (StreamListener l : new ArrayList<>(listeners.values())) {
            l.close();
        }
    }

    /**
     * The session layer reported that packets to {@code peer} take another path now
     * ({@code SessionEvent.Kind.PATH_CHANGED}): its connection searches the path MTU again from
     * the base size.
     */
    public void pathChanged(long now, NodeId peer) {
        Connection c = connections.get(peer);
        if (c != null) {
            c.pathChanged(now);
        }
    }

    /** The datagram size in use toward {@code peer} (0 without a connection), for status and tests. */
    public int pathMtu(NodeId peer) {
        Connection c = connections.get(peer);
        return c == null ? 0 : c.pmtud.current();
    }

    /** Streams open to {@code peer} (for status and tests). */
    public int streamCount(NodeId peer) {
        Connection c = connections.get(peer);
        return c == null ? 0 : c.streamCount();
    }

    @Override
    public void streamOpened(NodeId peer, long streamId, int port, boolean inbound, long durationNanos, String refusal) {
        StreamObserver o = observer;
        if (o != null) {
            o.streamOpened(peer, streamId, port, inbound, durationNanos, refusal);
        }
    }

    @Override
    public void streamClosed(NodeId peer, long streamId, int port, boolean inbound, String outcome, long lifetimeNanos,
                             long bytesSent, long bytesReceived) {
        StreamObserver o = observer;
        if (o != null) {
            o.streamClosed(peer, streamId, port, inbound, outcome, lifetimeNanos, bytesSent, bytesReceived);
        }
    }

    /** Statistics toward {@code peer}, or null when no connection to it was ever made (or it was pruned). */
    public StreamStats stats(NodeId peer) {
        PeerTotals t = totals.get(peer);
        if (t == null) {
            return null;
        }
        Connection c = connections.get(peer);
        long[] r = c == null ? new long[] {-1, -1, -1} : c.rtts();
        return new StreamStats(peer, c == null ? 0 : c.streamCount(), t.streamsOpened, t.streamsRefused,
                t.streamsClosed, t.bytesSent, t.bytesReceived, t.bytesRetransmitted, t.packetsSent, t.packetsLost,
                r[0], r[1], r[2], c == null ? 0 : c.pmtud.current());
    }

    /**
     * Forgets the counters of peers without a connection that {@code keep} rejects (the node passes
     * "still a peer of the session layer"), so the table stays as bounded as the peer table.
     */
    public void pruneStats(Predicate<NodeId> keep) {
        totals.keySet().removeIf(peer -> !connections.containsKey(peer) && !keep.test(peer));
    }

    /** Streams open to all peers. */
    public int streamCount() {
        int n = 0;
        for (Connection c : connections.values()) {
            n += c.streamCount();
        }
        return n;
    }

    /** Every connection's state, for diagnosing a stalled transfer. */
    public String describe(long now) {
        StringBuilder b = new StringBuilder();
        for (Connection c : connections.values()) {
            b.append(c.describe(now)).append('\n');
        }
        return b.toString();
    }
}
