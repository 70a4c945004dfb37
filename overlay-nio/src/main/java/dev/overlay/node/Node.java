package dev.overlay.node;

import dev.overlay.identity.NodeId;
import dev.overlay.session.Device;
import dev.overlay.session.Outbox;
import dev.overlay.session.PeerStatus;
import dev.overlay.session.SessionEvent;
import dev.overlay.stream.OverlayStream;
import dev.overlay.stream.StreamConfig;
import dev.overlay.stream.StreamLayer;
import dev.overlay.stream.StreamListener;
import dev.overlay.wire.Control;
import dev.overlay.wire.frame.FrameWriter;
import java.net.ConnectException;
import java.util.function.Predicate;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.Selector;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A running overlay node: one UDP socket and one event-loop thread that owns it and the protocol
 * core ({@link Device}). Other threads never touch the core; they post commands to the loop.
 *
 * <p>Event loop:
 * <ol>
 *   <li>wait on the selector until a datagram arrives, a command is posted, or the core's next
 *       deadline passes (no busy spinning: an idle node costs no CPU);
 *   <li>run posted commands (sends, pings, status queries);
 *   <li>read up to {@value #RECEIVE_BATCH} datagrams and feed each to the core;
 *   <li>run the core's due timers.
 * </ol>
 */
public final class Node implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.overlay.node");
    /** Datagrams read per wake-up before timers and commands get their turn. */
    private static final int RECEIVE_BATCH = 256;

    private final Device device;
    private final StreamLayer streams;
    private final UdpSocket udp;
    private final Selector selector;
    private final InetSocketAddress localAddress;
    private final Queue<Command> commands = new ConcurrentLinkedQueue<>();
    private final List<Consumer<SessionEvent>> listeners = new CopyOnWriteArrayList<>();
    private final Map<Integer, PendingPing> pings = new HashMap<>();
    private final ByteBuffer receiveBuffer = ByteBuffer.allocateDirect(Device.MAX_DATAGRAM + 64);
    private final ByteBuffer controlBuffer = ByteBuffer.allocate(Control.PING_LENGTH);
    private final LoopOutbox outbox = new LoopOutbox();
    private final Thread loop;
    private volatile boolean running = true;
    private volatile boolean closed;
    private long unhandledPayloads;

    private record PendingPing(NodeId target, CompletableFuture<PingResult> future, long sentAt) {}

    /** Work posted to the loop; {@code owner} is failed if the loop ends before running it. */
    private record Command(Runnable work, CompletableFuture<?> owner) {}

    private Node(NodeConfig config) throws IOException {
        long epochOffset = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
        this.device = new Device(config.identity(), config.device(), new SecureRandom(), epochOffset);
        this.streams = new StreamLayer(device.self(), config.streams(),
                (now, to, payload) -> device.send(now, to, payload, outbox), this::wakeLoop, epochOffset);
        for (PeerSpec p : config.peers()) {
            device.addPeer(p.id(), p.endpoint());
        }
        this.udp = new UdpSocket(config.bind());
        try {
            this.selector = udp.openSelector();
            udp.register(selector);
            this.localAddress = udp.localAddress();
        } catch (IOException e) {
            udp.close();
            throw e;
        }
        this.loop = new Thread(this::run, "overlay-node-" + device.self().shortName());
        loop.setDaemon(true);
    }

    /** Binds the UDP socket and starts the event loop. */
    public static Node start(NodeConfig config) throws IOException {
        Node n = new Node(config);
        n.loop.start();
        LOG.log(System.Logger.Level.INFO, "node " + n.id() + " listening on udp "
                + n.localAddress.getAddress().getHostAddress() + ":" + n.localAddress.getPort());
        return n;
    }

    public NodeId id() {
        return device.self();
    }

    /** The bound UDP address (with the real port when the node was bound to port 0). */
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /** Adds a listener for session events; it runs on the event loop and must not block. */
    public void addListener(Consumer<SessionEvent> listener) {
        listeners.add(listener);
    }

    /** Adds or re-points a static peer. */
    public CompletableFuture<Void> addPeer(PeerSpec peer) {
        return call(d -> {
            d.addPeer(peer.id(), peer.endpoint());
            return null;
        });
    }

    /**
     * Accepts streams on overlay {@code port} from any key. Nothing listens on the kernel network:
     * the port exists only inside the overlay.
     */
    public StreamListener listen(int port) {
        return listen(port, key -> true);
    }

    /** Accepts streams on overlay {@code port} from the keys {@code allow} admits; others are refused. */
    public StreamListener listen(int port, Predicate<NodeId> allow) {
        return streams.listen(port, allow);
    }

    /**
     * Opens a stream to the listener on {@code peer}'s overlay {@code port} and waits until it is
     * accepted (one round trip on a live session; a handshake first otherwise).
     *
     * @throws dev.overlay.stream.StreamRefusedException when nobody listens there ("connection
     *     refused") or the listener does not admit this node ("not allowed")
     * @throws java.net.SocketTimeoutException when no answer came within {@code timeout}
     * @throws ConnectException when no address is known for {@code peer}
     */
    public OverlayStream connect(NodeId peer, int port, Duration timeout) throws IOException {
        CompletableFuture<OverlayStream> opened = call(d -> {
            PeerStatus s = d.peerStatus(peer);
            if (s == null || s.endpoint() == null) {
                return null;
            }
            return streams.open(System.nanoTime(), peer, port);
        });
        OverlayStream s;
        try {
            s = opened.get(timeout.toMillis() + 1000, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new java.net.SocketTimeoutException("node " + id() + " did not respond");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("connect interrupted");
        }
        if (s == null) {
            throw new ConnectException("no address known for " + peer + "; give it as a peer (KEY@HOST:PORT)");
        }
        try {
            s.awaitOpen(timeout);
        } catch (IOException e) {
            s.reset(dev.overlay.stream.StreamError.NO_ERROR);
            throw e;
        }
        return s;
    }

    /** The stream layer's tuning. */
    public StreamConfig streamConfig() {
        return streams.config();
    }

    private void wakeLoop() {
        selector.wakeup();
    }

    /** Runs {@code f} on the event loop with the core and completes with its result. */
    public <T> CompletableFuture<T> call(Function<Device, T> f) {
        CompletableFuture<T> result = new CompletableFuture<>();
        post(() -> {
            try {
                result.complete(f.apply(device));
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        }, result);
        return result;
    }

    /** The peer's status, read on the event loop. */
    public CompletableFuture<PeerStatus> peerStatus(NodeId id) {
        return call(d -> d.peerStatus(id));
    }

    /**
     * Sends ping {@code seq} to {@code to} (handshaking first if needed). The future completes
     * with the reply from {@code to}; it never completes on its own, so callers bound it with a
     * timeout (abandoned pings are forgotten when their future completes or is cancelled).
     * Futures complete on the event loop: callbacks attached to them must not block.
     */
    public CompletableFuture<PingResult> ping(NodeId to, int seq) {
        CompletableFuture<PingResult> f = new CompletableFuture<>();
        post(() -> sendPing(to, seq, f), f);
        f.whenComplete((r, e) -> {
            if (running) {
                commands.add(new Command(() -> forgetPing(seq, f), null));
                selector.wakeup();
            }
        });
        return f;
    }

    private void forgetPing(int seq, CompletableFuture<PingResult> f) {
        PendingPing p = pings.get(seq);
        if (p != null && p.future == f) {
            pings.remove(seq);
        }
    }

    private void sendPing(NodeId to, int seq, CompletableFuture<PingResult> f) {
        long now = System.nanoTime();
        if (pings.containsKey(seq)) {
            f.completeExceptionally(new IllegalArgumentException("ping seq " + seq + " is already in flight"));
            return;
        }
        pings.put(seq, new PendingPing(to, f, now));
        controlBuffer.clear();
        Control.writePing(controlBuffer, Control.PING, seq, now);
        controlBuffer.flip();
        if (device.send(now, to, controlBuffer, outbox) == Device.SendResult.NO_ENDPOINT) {
            pings.remove(seq);
            f.completeExceptionally(new IllegalStateException(
                    "no address known for " + to + "; give it with --peer KEY@HOST:PORT"));
        }
    }

    private void post(Runnable command, CompletableFuture<?> owner) {
        if (!running) {
            throw new IllegalStateException("node " + id() + " is closed");
        }
        commands.add(new Command(command, owner));
        selector.wakeup();
    }

    private void run() {
        try {
            while (running) {
                waitForWork();
                long now = System.nanoTime();
                runCommands();
                receiveBatch(now);
                // Wake readers for the whole batch now, while this thread goes on with timers and
                // sending: their replies then usually meet a loop that has not gone to sleep yet.
                streams.signalPending();
                now = System.nanoTime();
                streams.serviceQueued(now);
                device.onTimer(now, outbox);
                streams.onTimer(now);
                streams.flush(now);
                streams.signalPending();
            }
        } catch (ClosedSelectorException e) {
            // closed under us: shutting down
        } catch (IOException | RuntimeException e) {
            if (running) {
                LOG.log(System.Logger.Level.ERROR, "event loop of node " + id() + " stopped", e);
            }
        } finally {
            running = false;
            try {
                long now = System.nanoTime();
                streams.shutdown(now);
                streams.flush(now);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "closing streams failed", e);
            }
            failPending();
        }
    }

    private void waitForWork() throws IOException {
        long deadline = Math.min(device.nextDeadline(), streams.nextDeadline(System.nanoTime()));
        if (!commands.isEmpty()) {
            selector.selectNow();
        } else if (deadline == Long.MAX_VALUE) {
            selector.select();
        } else {
            long waitNanos = deadline - System.nanoTime();
            if (waitNanos <= 0) {
                selector.selectNow();
            } else {
                selector.select(Math.max(1, (waitNanos + 999_999) / 1_000_000));
            }
        }
        selector.selectedKeys().clear();
    }

    private void runCommands() {
        Command c;
        while ((c = commands.poll()) != null) {
            c.work().run();
        }
    }

    private void receiveBatch(long now) throws IOException {
        for (int i = 0; i < RECEIVE_BATCH; i++) {
            InetSocketAddress from = udp.receive(receiveBuffer);
            if (from == null) {
                return;
            }
            device.receive(now, from, receiveBuffer, outbox);
        }
    }

    private void onPayload(NodeId from, ByteBuffer payload) {
        if (payload.hasRemaining() && payload.get(payload.position()) == FrameWriter.PACKET_MARKER) {
            streams.onPacket(System.nanoTime(), from, payload);
            return;
        }
        if (!Control.isPingOrPong(payload)) {
            unhandledPayloads++;
            return;
        }
        byte kind = payload.get();
        int seq = payload.getInt();
        long origin = payload.getLong();
        long now = System.nanoTime();
        if (kind == Control.PING) {
            controlBuffer.clear();
            Control.writePing(controlBuffer, Control.PONG, seq, origin);
            controlBuffer.flip();
            device.send(now, from, controlBuffer, outbox);
            return;
        }
        PendingPing p = pings.get(seq);
        if (p != null && p.sentAt == origin && p.target.equals(from)) {
            pings.remove(seq);
            PeerStatus s = device.peerStatus(from);
            p.future.complete(new PingResult(seq, Duration.ofNanos(now - origin), "direct",
                    s == null ? null : s.endpoint()));
        }
    }

    /** The loop has ended: every future still waiting on it fails instead of hanging. */
    private void failPending() {
        IllegalStateException gone = new IllegalStateException("node " + id() + " is closed");
        for (PendingPing p : pings.values()) {
            p.future.completeExceptionally(gone);
        }
        pings.clear();
        Command c;
        while ((c = commands.poll()) != null) {
            if (c.owner() != null) {
                c.owner().completeExceptionally(gone);
            }
        }
    }

    /** Stops the event loop and closes the socket; waits up to 5 s for the loop to finish. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        running = false;
        selector.wakeup();
        try {
            loop.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        selector.close();
        udp.close();
    }

    /**
     * One log line per session event, e.g. "session with X at 127.0.0.1:7000 established
     * (responder)" or "path to X is now direct 198.51.100.2:7000".
     */
    static String describe(SessionEvent e) {
        String where = e.endpoint() == null ? "unknown address"
                : e.endpoint().getAddress().getHostAddress() + ":" + e.endpoint().getPort();
        String session = "session with " + e.peer() + " at " + where + " ";
        return switch (e.kind()) {
            case ESTABLISHED_AS_INITIATOR -> session + "established (we initiated)";
            case ESTABLISHED_AS_RESPONDER -> session + "established (we responded)";
            case UNREACHABLE -> session + "unreachable: no handshake response; queued packets dropped";
            case IDLE_CLOSED -> session + "closed: idle, keys erased";
            case ENDPOINT_CHANGED -> session + "moved: now reached at this address";
            case PATH_CHANGED -> "path to " + e.peer() + " is now " + (e.path() == null ? "none" : e.path());
        };
    }

    private final class LoopOutbox implements Outbox {
        @Override
        public void transmit(InetSocketAddress to, ByteBuffer datagram) {
            udp.send(datagram, to);
        }

        @Override
        public void deliver(NodeId from, ByteBuffer payload) {
            onPayload(from, payload);
        }

        @Override
        public void event(SessionEvent event) {
            LOG.log(System.Logger.Level.INFO, describe(event));
            if (event.kind() == SessionEvent.Kind.PATH_CHANGED) {
                streams.pathChanged(System.nanoTime(), event.peer());
            }
            for (Consumer<SessionEvent> l : listeners) {
                try {
                    l.accept(event);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "session listener " + l + " threw; ignored", e);
                }
            }
        }
    }
}
