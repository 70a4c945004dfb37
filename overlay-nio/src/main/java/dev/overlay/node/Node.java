package dev.overlay.node;

import dev.overlay.identity.NodeId;
import dev.overlay.rendezvous.Messages;
import dev.overlay.rendezvous.RendezvousClient;
import dev.overlay.rendezvous.RendezvousService;
import dev.overlay.session.Path;
import dev.overlay.wire.MessageType;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;
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
 *   <li>read up to {@value #RECEIVE_BATCH} datagrams (and the rest of a batch the kernel handed
 *       over in one receive) and feed each to the core;
 *   <li>run the core's due timers.
 * </ol>
 *
 * <p>With rendezvous servers configured ({@link NodeConfig#withRendezvous}) the node registers
 * with all of them, looks up keys it has no address for, tells each new peer its own candidate
 * addresses (CANDIDATES) so both sides can punch holes, and sends through a server's relay while
 * no direct path works. With {@link NodeConfig#asRendezvousServer} it serves those requests for
 * others. See docs/nat-traversal.md.
 */
public final class Node implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.overlay.node");
    /** Datagrams read per wake-up before timers and commands get their turn. */
    private static final int RECEIVE_BATCH = 256;
    /** How long a ping waits for a lookup of a key with no known address. */
    private static final Duration PING_LOOKUP_TIMEOUT = Duration.ofSeconds(5);
    /** How long a lookup for a peer whose relay failed may take. */
    private static final Duration RELOOKUP_TIMEOUT = Duration.ofSeconds(10);
    /** A peer whose relay failed is looked up again at most this often. */
    private static final Duration RELOOKUP_INTERVAL = Duration.ofSeconds(5);
    /** When each peer was last looked up again (bounded: the oldest are forgotten). */
    private final Map<NodeId, Long> lastRelookup = new java.util.LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<NodeId, Long> eldest) {
            return size() > 1024;
        }
    };

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
    /** Registration and lookups; null without rendezvous servers. */
    private final RendezvousClient rendezvous;
    /** Serving registrations, lookups and relaying for others; null unless a rendezvous server. */
    private final RendezvousService service;
    /** On a rendezvous server: finds sessions whose key never registered (or stopped), to forget them. */
    private final dev.overlay.rendezvous.SessionSweeper sweeper;
    /** RELAY wrappers being sealed to a relay. */
    private final ByteBuffer relayOut = ByteBuffer.allocate(Device.MAX_DATAGRAM);
    /** A RELAYED datagram unwrapped during a receive, fed to the core once that receive returns. */
    private final ByteBuffer relayedIn = ByteBuffer.allocateDirect(Device.MAX_DATAGRAM);
    private NodeId relayedBy;
    private InetSocketAddress relayedVia;
    private boolean relayedPending;
    /** Peers that just got a session and should hear our candidate addresses. */
    private final Set<NodeId> candidatesDue = new LinkedHashSet<>();
    private final ByteBuffer candidatesOut = ByteBuffer.allocate(1024);
    private long relayDrops;
    private final Thread loop;
    private final NodeConfig config;
    private final long startedAt = System.nanoTime();
    /** The JMX registration while the node runs (null when off or when it failed). */
    private volatile AutoCloseable management;
    /** When the stream layer's per-peer counters of forgotten peers are next pruned. */
    private long nextStatsPruneAt = System.nanoTime() + STATS_PRUNE_INTERVAL_NANOS;
    private static final long STATS_PRUNE_INTERVAL_NANOS = 30_000_000_000L;
    private volatile boolean running = true;
    private volatile boolean closed;
    private long unhandledPayloads;

    private record PendingPing(NodeId target, CompletableFuture<PingResult> future, long sentAt) {}

    /** Work posted to the loop; {@code owner} is failed if the loop ends before running it. */
    private record Command(Runnable work, CompletableFuture<?> owner) {}

    private Node(NodeConfig config) throws IOException {
        this.config = config;
        long epochOffset = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
        this.device = new Device(config.identity(), config.device(), new SecureRandom(), epochOffset);
        this.streams = new StreamLayer(device.self(), config.streams(),
                (now, to, payload) -> device.send(now, to, payload, outbox), this::wakeLoop, epochOffset);
        for (PeerSpec p : config.peers()) {
            device.addPeer(p.id(), p.endpoint());
        }
        this.udp = new UdpSocket(config.bind(), config.udpOffload(), java.nio.channels.DatagramChannel::send);
        try {
            this.selector = udp.openSelector();
            udp.register(selector);
            udp.whenOffloadLoaded(selector::wakeup); // attach the offloads as soon as JNR-FFI has loaded
            this.localAddress = udp.localAddress();
        } catch (IOException e) {
            udp.close();
            throw e;
        }
        device.setAddressFamilies(reachesIpv4(localAddress), reachesIpv6(localAddress));
        this.service = config.rendezvousServer() ? new RendezvousService(device.self()) : null;
        this.sweeper = service == null ? null : new dev.overlay.rendezvous.SessionSweeper(System.nanoTime(),
                dev.overlay.rendezvous.SessionSweeper.DEFAULT_GRACE_NANOS,
                dev.overlay.rendezvous.SessionSweeper.DEFAULT_INTERVAL_NANOS);
        if (config.rendezvous().isEmpty()) {
            this.rendezvous = null;
        } else {
            List<RendezvousClient.ServerSpec> servers = new ArrayList<>();
            for (RendezvousSpec r : config.rendezvous()) {
                servers.add(new RendezvousClient.ServerSpec(r.address(), r.key()));
                if (r.key() != null) {
                    device.addPeer(r.key(), r.address());
                }
            }
            this.rendezvous = new RendezvousClient(System.nanoTime(), servers, localAddress,
                    Node::interfaceAddresses, new ClientTransport(), new ClientListener());
        }
        streams.setObserver(new FlightObserver());
        this.loop = new Thread(this::run, "overlay-node-" + device.self().shortName());
        loop.setDaemon(true);
    }

    /** "UDP send and receive offload on", or each with its own status when they differ. */
    static String offloadLine(String send, String receive) {
        return send.equals(receive) ? "UDP send and receive offload " + send
                : "UDP send offload " + send + "; receive offload " + receive;
    }

    /** Binds the UDP socket and starts the event loop. */
    public static Node start(NodeConfig config) throws IOException {
        Node n = new Node(config);
        n.loop.start();
        LOG.log(System.Logger.Level.INFO, "node " + n.id() + " listening on udp "
                + n.localAddress.getAddress().getHostAddress() + ":" + n.localAddress.getPort()
                + " (" + offloadLine(n.udp.offloadStatus(), n.udp.receiveOffloadStatus()) + ")");
        if (config.management()) {
            n.management = dev.overlay.management.NodeManagement.register(n);
        }
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
        long deadline = System.nanoTime() + timeout.toNanos(); // one deadline for lookup and open
        CompletableFuture<OverlayStream> opened = openAsync(peer, port, timeout);
        OverlayStream s;
        try {
            s = opened.get(timeout.toMillis() + 1000, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof ConnectException c) {
                // Same type and message for the caller; this thread's stack, the loop's as the cause.
                ConnectException here = new ConnectException(c.getMessage());
                here.initCause(c);
                throw here;
            }
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            // A stream opened after we gave up would stay half-open with nobody to read it.
            opened.thenAccept(late -> late.reset(dev.overlay.stream.StreamError.NO_ERROR));
            throw new java.net.SocketTimeoutException("node " + id() + " did not respond");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("connect interrupted");
        }
        try {
            s.awaitOpen(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        } catch (IOException e) {
            s.reset(dev.overlay.stream.StreamError.NO_ERROR);
            throw e;
        }
        return s;
    }

    /**
     * Starts opening a stream to {@code peer}'s overlay {@code port} without blocking. The future
     * completes with the stream as soon as its OPEN is on its way (after a lookup through the
     * rendezvous servers when no path to {@code peer} is known); the stream's
     * {@link OverlayStream#isOpen()} and {@link OverlayStream#openFailure()} then say how it went,
     * and its readiness listener runs when either changes. The future fails with a
     * {@link ConnectException} when no path can be found within {@code timeout}. Futures complete
     * on the event loop: callbacks attached to them must not block.
     */
    public CompletableFuture<OverlayStream> openAsync(NodeId peer, int port, Duration timeout) {
        CompletableFuture<OverlayStream> f = new CompletableFuture<>();
        post(() -> whenReachable(peer, timeout, failure -> {
            if (failure != null) {
                f.completeExceptionally(new ConnectException(failure));
            } else if (!hasPath(peer)) {
                f.completeExceptionally(new ConnectException("no address known for " + peer
                        + "; give it as a peer (KEY@HOST:PORT) or give a rendezvous that knows it"));
            } else {
                f.complete(streams.open(System.nanoTime(), peer, port));
            }
        }), f);
        return f;
    }

    /**
     * The key behind an IPv6 handle, asked of the rendezvous servers (the answer is checked to hash
     * to the handle). Fails when no rendezvous is configured or none knows it within
     * {@code timeout}.
     */
    public CompletableFuture<NodeId> resolve(Inet6Address handle, Duration timeout) {
        CompletableFuture<NodeId> f = new CompletableFuture<>();
        if (!NodeId.isHandle(handle)) {
            f.completeExceptionally(new IllegalArgumentException(handle.getHostAddress() + " is not an overlay handle"));
            return f;
        }
        post(() -> {
            if (rendezvous == null) {
                f.completeExceptionally(new ConnectException("cannot resolve " + handle.getHostAddress()
                        + ": no rendezvous server is configured"));
                return;
            }
            rendezvous.lookup(System.nanoTime(), handle, timeout.toNanos(), (found, failure) -> {
                if (failure != null) {
                    f.completeExceptionally(new ConnectException(failure));
                } else {
                    learn(found);
                    f.complete(found.key());
                }
            });
        }, f);
        return f;
    }

    /** The rendezvous servers this node registers with, as it sees them now (empty without any). */
    public CompletableFuture<List<RendezvousClient.ServerStatus>> rendezvousStatus() {
        return call(d -> rendezvous == null ? List.of() : rendezvous.status());
    }

    /**
     * Runs {@code then} on the loop once {@code peer} has a path or cannot get one: with no live
     * session and rendezvous servers configured, the key is looked up first (its candidates are
     * probed and the answering server becomes its relay); {@code then} gets null or a failure.
     */
    private void whenReachable(NodeId peer, Duration timeout, Consumer<String> then) {
        PeerStatus s = device.peerStatus(peer);
        if (rendezvous == null || rendezvous.isServer(peer) || (s != null && s.established())) {
            then.accept(null);
            return;
        }
        rendezvous.lookup(System.nanoTime(), peer, timeout.toNanos(), (found, failure) -> {
            if (failure != null && !hasPath(peer)) {
                then.accept(failure);
                return;
            }
            if (found != null) {
                learn(found);
            }
            then.accept(null);
        });
    }

    /** A socket bound to an IPv4 address (0.0.0.0 included) or to the IPv6 wildcard reaches IPv4. */
    static boolean reachesIpv4(InetSocketAddress bound) {
        InetAddress ip = bound.getAddress();
        return !(ip instanceof Inet6Address) || ip.isAnyLocalAddress();
    }

    /** A socket bound to an IPv6 address (the wildcard included) reaches IPv6, unless Java runs IPv4 only. */
    static boolean reachesIpv6(InetSocketAddress bound) {
        return bound.getAddress() instanceof Inet6Address && !Boolean.getBoolean("java.net.preferIPv4Stack");
    }

    private boolean hasPath(NodeId peer) {
        PeerStatus s = device.peerStatus(peer);
        return s != null && s.path() != null;
    }

    /** A lookup's answer: the server that knows the key relays for it; its addresses are probed. */
    private void learn(RendezvousClient.Found found) {
        device.setRelay(found.key(), found.server(), found.serverAddress());
        device.addCandidates(System.nanoTime(), found.key(), found.candidates(), outbox);
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

    /**
     * A consistent view of the node and all its peers, taken on the event loop. Completes on the
     * loop; fails when the node is closed. See {@link #snapshot(Duration)} for a bounded wait.
     */
    public CompletableFuture<NodeSnapshot> snapshot() {
        return call(d -> takeSnapshot());
    }

    /**
     * {@link #snapshot()}, waiting at most {@code timeout} for the event loop to take it.
     *
     * @throws IllegalStateException when the node is closed, or its loop did not answer within
     *     {@code timeout} (the message names the node and the timeout)
     */
    public NodeSnapshot snapshot(Duration timeout) {
        try {
            return snapshot().get(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("node " + id().shortName() + " did not answer a status request within "
                    + timeout.toMillis() + " ms (its event loop is busy or stuck)");
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            throw new IllegalStateException(c.getMessage() == null ? c.toString() : c.getMessage(), c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the status of node " + id().shortName());
        }
    }

    /** Loop thread only. */
    private NodeSnapshot takeSnapshot() {
        long now = System.nanoTime();
        streams.pruneStats(p -> device.peerStatus(p) != null);
        List<PeerSnapshot> peers = new ArrayList<>();
        for (dev.overlay.session.PeerStats p : device.peerStats(now)) {
            peers.add(new PeerSnapshot(p, streams.stats(p.id())));
        }
        dev.overlay.session.Counters c = device.counters();
        Map<String, Long> drops = new java.util.TreeMap<>();
        c.snapshot().forEach((k, v) -> drops.put(k.name(), v));
        return new NodeSnapshot(id(), localAddress, service != null,
                rendezvous == null ? List.of() : rendezvous.status(), peers, streams.streamCount(),
                c.datagramsIn(), c.datagramsOut(), c.bytesIn(), c.bytesOut(), c.handshakesCompleted(),
                c.relayedIn(), c.relayedOut(), drops, c.totalDrops(), relayDrops, unhandledPayloads, now - startedAt,
                udp.offloadStatus(), udp.sendCalls(), udp.receiveOffloadStatus(), udp.receiveCalls());
    }

    /** The configuration the node started with. */
    public NodeConfig config() {
        return config;
    }

    /** True until {@link #close()} (or the event loop ended). */
    public boolean isRunning() {
        return running;
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
        whenReachable(to, PING_LOOKUP_TIMEOUT, failure -> {
            if (failure != null) {
                f.completeExceptionally(new IllegalStateException(failure));
            } else {
                sendPingNow(to, seq, f);
            }
        });
    }

    private void sendPingNow(NodeId to, int seq, CompletableFuture<PingResult> f) {
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
                    "no address known for " + to + "; give it with --peer KEY@HOST:PORT or --rendezvous"));
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
                if (udp.attachOffloadIfReady()) {
                    LOG.log(System.Logger.Level.INFO, "node " + id() + ": "
                            + offloadLine(udp.offloadStatus(), udp.receiveOffloadStatus()));
                }
                receiveBatch(now);
                udp.flush(); // what the batch made us send (ACKs, replies) leaves before readers wake, as before batching
                // Wake readers for the whole batch now, while this thread goes on with timers and
                // sending: their replies then usually meet a loop that has not gone to sleep yet.
                streams.signalPending();
                now = System.nanoTime();
                streams.serviceQueued(now);
                device.onTimer(now, outbox);
                if (rendezvous != null) {
                    rendezvous.onTimer(now);
                }
                if (service != null) {
                    service.onTimer(now);
                    sweepUnregistered(now);
                }
                sendDueCandidates(now);
                streams.onTimer(now);
                streams.flush(now);
                udp.flush();
                streams.signalPending();
                if (now - nextStatsPruneAt >= 0) {
                    nextStatsPruneAt = now + STATS_PRUNE_INTERVAL_NANOS;
                    streams.pruneStats(p -> device.peerStatus(p) != null);
                }
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
                udp.flush();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "closing streams failed", e);
            }
            failPending();
        }
    }

    private void waitForWork() throws IOException {
        udp.flush(); // nothing batched waits while the loop sleeps
        long deadline = Math.min(device.nextDeadline(), streams.nextDeadline(System.nanoTime()));
        if (rendezvous != null) {
            deadline = Math.min(deadline, rendezvous.nextDeadline());
        }
        if (service != null) {
            deadline = Math.min(deadline, Math.min(service.nextDeadline(), sweeper.nextDeadline()));
        }
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
        // Past the limit, finish a batch the kernel handed over whole (UDP_GRO, at most 64): what
        // is left of it waits in our buffer, where no selector would ever report it readable.
        for (int i = 0; i < RECEIVE_BATCH || udp.hasPendingReceive(); i++) {
            InetSocketAddress from = udp.receive(receiveBuffer);
            if (from == null) {
                return;
            }
            int type = MessageType.of(receiveBuffer, receiveBuffer.limit());
            if (type == MessageType.KEY_REQUEST && service != null) {
                service.onKeyRequest(now, from, receiveBuffer, receiveBuffer.limit(), (to, d) -> udp.send(d, to));
            } else if (type == MessageType.KEY_RESPONSE && rendezvous != null) {
                rendezvous.onKeyResponse(now, from, receiveBuffer, receiveBuffer.limit());
            } else if (type == MessageType.INITIATION && service != null && !service.allowInitiation(now, from.getAddress())) {
                continue; // a source sending more initiations than any honest node needs (counted)
            } else {
                device.receive(now, from, receiveBuffer, outbox);
                if (relayedPending) {
                    relayedPending = false;
                    device.receiveRelayed(now, relayedBy, relayedVia, relayedIn, outbox);
                    relayedPending = false; // a relayed packet relaying again is not followed (counted below)
                }
            }
        }
    }

    /**
     * A rendezvous forgets sessions of keys without a live registration after a grace period, so
     * throwaway keys cannot hold the peer table (every registered node needs a place in it).
     */
    private void sweepUnregistered(long now) {
        if (now < sweeper.nextDeadline()) {
            return;
        }
        List<NodeId> ids = new ArrayList<>();
        for (PeerStatus p : device.peers()) {
            ids.add(p.id());
        }
        for (NodeId id : sweeper.sweep(now, ids, k -> service.registry().lookup(now, k) != null)) {
            device.forgetPeer(id);
        }
    }

    /** Sends our candidate addresses to peers that just got a session (outside the core's calls). */
    private void sendDueCandidates(long now) {
        if (candidatesDue.isEmpty()) {
            return;
        }
        List<java.net.InetSocketAddress> mine = rendezvous == null ? List.of() : rendezvous.candidates();
        for (NodeId peer : candidatesDue) {
            if (mine.isEmpty()) {
                break;
            }
            candidatesOut.clear();
            Messages.writeCandidates(candidatesOut, mine);
            candidatesOut.flip();
            device.send(now, peer, candidatesOut, outbox);
        }
        candidatesDue.clear();
    }

    private static List<InetAddress> interfaceAddresses() {
        List<InetAddress> list = new ArrayList<>();
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (ni.isUp()) {
                    list.addAll(Collections.list(ni.getInetAddresses()));
                }
            }
        } catch (SocketException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot read interface addresses: " + e.getMessage());
        }
        return list;
    }

    private void onPayload(NodeId from, Path via, ByteBuffer payload) {
        if (!payload.hasRemaining()) {
            return;
        }
        byte kind = payload.get(payload.position());
        if (kind == FrameWriter.PACKET_MARKER) {
            streams.onPacket(System.nanoTime(), from, payload);
            return;
        }
        if (Control.isPingOrPong(payload)) {
            onPing(from, via, payload);
            return;
        }
        long now = System.nanoTime();
        if (kind == Control.RELAYED && rendezvous != null && rendezvous.isServer(from)) {
            onRelayed(from, via, payload);
        } else if (kind == Control.CANDIDATES) {
            Messages.Candidates c = Messages.readCandidates(payload);
            if (c == null) {
                unhandledPayloads++;
            } else {
                device.addCandidates(now, from, c.addresses(), outbox);
            }
        } else if (rendezvous != null && rendezvous.onPayload(now, from, payload)) {
            return;
        } else if (service == null || !service.onPayload(now, from, via, payload, this::sendForService)) {
            unhandledPayloads++;
        }
    }

    /**
     * The rendezvous service's replies may wait for a path like any payload; the RELAYED datagrams
     * it forwards for other nodes never do (Device.send with mayStage false): strangers' traffic
     * must not fill this node's memory while a destination's path is over its budget.
     */
    private void sendForService(NodeId to, ByteBuffer payload) {
        boolean forwarded = payload.get(payload.position()) == Control.RELAYED;
        device.send(System.nanoTime(), to, payload, outbox, !forwarded);
    }

    /** Keeps a relayed datagram for the core; it is opened once the current receive returns. */
    private void onRelayed(NodeId relay, Path via, ByteBuffer payload) {
        Messages.Relay r = Messages.readRelay(payload);
        if (r == null || relayedPending || via.isRelayed()) {
            relayDrops++; // malformed, a second one in one datagram, or relayed twice
            return;
        }
        relayedIn.clear();
        relayedIn.put(r.datagram());
        relayedIn.flip();
        relayedBy = relay;
        relayedVia = via.address();
        relayedPending = true;
    }

    private void onPing(NodeId from, Path via, ByteBuffer payload) {
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
            p.future.complete(new PingResult(seq, Duration.ofNanos(now - origin), via.kind(), via.address()));
        }
    }

    /** The loop has ended: every future still waiting on it fails instead of hanging. */
    private void failPending() {
        IllegalStateException gone = new IllegalStateException("node " + id() + " is closed");
        if (rendezvous != null) {
            rendezvous.failAll("node " + id() + " is closed");
        }
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
        AutoCloseable m = management;
        management = null;
        if (m != null) {
            try {
                m.close();
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "unregistering the MBeans of node " + id().shortName()
                        + " failed: " + e);
            }
        }
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
        public void relay(NodeId relay, NodeId to, ByteBuffer datagram) {
            if (datagram.remaining() + Messages.RELAY_OVERHEAD > Device.MAX_PAYLOAD) {
                relayDrops++;
                return;
            }
            relayOut.clear();
            Messages.writeRelay(relayOut, Control.RELAY, to, datagram);
            relayOut.flip();
            device.send(System.nanoTime(), relay, relayOut, this);
        }

        @Override
        public void deliver(NodeId from, ByteBuffer payload) {
            throw new AssertionError("the core delivers with the path");
        }

        @Override
        public void deliver(NodeId from, Path via, ByteBuffer payload) {
            onPayload(from, via, payload);
        }

        @Override
        public void event(SessionEvent event) {
            LOG.log(System.Logger.Level.INFO, describe(event));
            if (event.kind() != SessionEvent.Kind.IDLE_CLOSED && event.kind() != SessionEvent.Kind.ENDPOINT_CHANGED) {
                dev.overlay.management.FlightEvents.session(device.self(), event,
                        device.peerStats(System.nanoTime(), event.peer()));
            }
            switch (event.kind()) {
                case ESTABLISHED_AS_INITIATOR, ESTABLISHED_AS_RESPONDER -> {
                    if (rendezvous != null && !rendezvous.isServer(event.peer())) {
                        candidatesDue.add(event.peer());
                    }
                }
                case PATH_CHANGED -> streams.pathChanged(System.nanoTime(), event.peer());
                default -> { }
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

    /** Stream opens and closes, to the flight recorder (on the event loop). */
    private final class FlightObserver implements dev.overlay.stream.StreamObserver {
        @Override
        public void streamOpened(NodeId peer, long streamId, int port, boolean inbound, long durationNanos,
                                 String refusal) {
            if (dev.overlay.management.FlightEvents.streamOpenEnabled()) {
                PeerStatus s = device.peerStatus(peer);
                dev.overlay.management.FlightEvents.streamOpen(device.self(), peer, s == null ? null : s.path(),
                        streamId, port, inbound, durationNanos, refusal);
            }
        }

        @Override
        public void streamClosed(NodeId peer, long streamId, int port, boolean inbound, String outcome,
                                 long lifetimeNanos, long bytesSent, long bytesReceived) {
            dev.overlay.management.FlightEvents.streamClose(device.self(), peer, streamId, port, inbound, outcome,
                    lifetimeNanos, bytesSent, bytesReceived);
        }
    }

    /** How the rendezvous client reaches the network: all on the event loop. */
    private final class ClientTransport implements RendezvousClient.Transport {
        @Override
        public void sendCleartext(InetSocketAddress to, ByteBuffer datagram) {
            udp.send(datagram, to);
        }

        @Override
        public void addServer(NodeId key, InetSocketAddress address) {
            device.addPeer(key, address);
        }

        @Override
        public void send(NodeId server, ByteBuffer payload) {
            device.send(System.nanoTime(), server, payload, outbox);
        }
    }

    private final class ClientListener implements RendezvousClient.Listener {
        @Override
        public void candidatesChanged(List<InetSocketAddress> candidates) {
            LOG.log(System.Logger.Level.INFO, "own addresses now "
                    + candidates.stream().map(Endpoints::format).collect(java.util.stream.Collectors.joining(", ")));
            for (PeerStatus p : device.peers()) {
                if (p.established() && !rendezvous.isServer(p.id())) {
                    candidatesDue.add(p.id());
                }
            }
        }

        @Override
        public void serverStateChanged(NodeId server, InetSocketAddress address, boolean up) {
            LOG.log(up ? System.Logger.Level.INFO : System.Logger.Level.WARNING,
                    "rendezvous " + Endpoints.format(address) + (up ? " registered us" : " stopped answering"));
            if (up) {
                return;
            }
            // Peers relayed through it are looked up again; the first server that knows them relays.
            for (PeerStatus p : device.peers()) {
                if (p.path() != null && server.equals(p.path().relay())) {
                    relookup(p.id(), server);
                }
            }
        }

        @Override
        public void relayFailed(NodeId server, NodeId destination) {
            relookup(destination, server);
        }

        private void relookup(NodeId peer, NodeId failedServer) {
            long now = System.nanoTime();
            Long last = lastRelookup.get(peer);
            if (last != null && now - last < RELOOKUP_INTERVAL.toNanos()) {
                return; // a burst of RELAY_FAILED (one per relayed packet) is one lookup
            }
            lastRelookup.put(peer, now);
            rendezvous.lookup(System.nanoTime(), peer, RELOOKUP_TIMEOUT.toNanos(), (found, failure) -> {
                if (found != null && !found.server().equals(failedServer)) {
                    learn(found);
                }
            });
        }
    }
}
