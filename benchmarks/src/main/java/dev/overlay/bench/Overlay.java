package dev.overlay.bench;

import dev.overlay.identity.Identity;
import dev.overlay.node.Node;
import dev.overlay.node.NodeConfig;
import dev.overlay.node.PeerSpec;
import dev.overlay.stream.OverlayStream;
import dev.overlay.stream.StreamConfig;
import dev.overlay.stream.StreamError;
import dev.overlay.stream.StreamListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The overlay's streams ({@link OverlayStream}) between two {@link Node}s in this JVM, talking
 * real UDP over loopback: a server node (listeners) and a client node (connects). Both nodes are
 * started once per transport instance and closed by {@link #close()}; each {@link #listen()} takes
 * a fresh overlay port on the server node.
 *
 * <p>The client node knows the server node as a static peer. Its first {@link #connect} runs the
 * Noise IK handshake; later connects open a stream on the live session (one round trip, no
 * handshake), which is what {@code ConnectBench} then measures for this transport.
 *
 * <p>Datagram size: {@link #discovered()} runs path MTU discovery up to 65507-byte UDP payloads
 * (what loopback carries); {@link #limited1400()} caps UDP payloads at {@value #DATAGRAM_1400}
 * bytes, i.e. 1400-byte stream packets plus the session layer's 32-byte header and tag.
 *
 * <p>{@link Conn#close()} is a plain {@link OverlayStream#close()}, as an application would call it.
 *
 * <p>Timeouts ({@link KernelTcp#TIMEOUT_MS} each): connect, accept and every blocking read. A
 * blocking write has no timeout in the overlay API, so a watchdog thread resets a stream whose
 * write has made no progress for that long; the blocked writer then fails instead of hanging.
 */
public final class Overlay implements Transport {
    /** UDP payload for 1400-byte stream packets: 1400 + 16-byte session header + 16-byte AEAD tag. */
    static final int DATAGRAM_1400 = 1432;
    static final Duration TIMEOUT = Duration.ofMillis(KernelTcp.TIMEOUT_MS);
    /** How often the watchdog looks at blocked writes. */
    private static final long WATCH_MS = 1_000;
    /** Keeps the node's INFO lines ("node ... listening on udp ...") out of benchmark output. */
    private static final Logger QUIET = quiet();

    /** An overlay port on the server node. */
    record Port(int port) implements Endpoint {}

    private final Node server;
    private final Node client;
    private final AtomicInteger nextPort = new AtomicInteger(1);
    private final Set<StreamConn> open = ConcurrentHashMap.newKeySet();
    private final Thread watchdog;
    private volatile boolean closed;

    /** Default stream tuning: datagrams grow to what path MTU discovery finds (65507 on loopback). */
    public static Overlay discovered() throws IOException {
        return new Overlay(StreamConfig.DEFAULTS);
    }

    /** Datagrams capped at {@value #DATAGRAM_1400} bytes of UDP payload (1400-byte stream packets). */
    public static Overlay limited1400() throws IOException {
        return new Overlay(StreamConfig.DEFAULTS.withMaxDatagramSize(DATAGRAM_1400));
    }

    /** As {@link #limited1400()} with UDP send offload off: one {@code sendto} per datagram. */
    public static Overlay limited1400NoBatching() throws IOException {
        return new Overlay(StreamConfig.DEFAULTS.withMaxDatagramSize(DATAGRAM_1400), false);
    }

    public Overlay(StreamConfig streams) throws IOException {
        this(streams, true);
    }

    /** @param udpOffload whether the nodes use Linux UDP segmentation and receive offload (batched system calls) */
    public Overlay(StreamConfig streams, boolean udpOffload) throws IOException {
        SecureRandom random = new SecureRandom();
        Identity serverId = Identity.generate(random);
        Identity clientId = Identity.generate(random);
        InetSocketAddress any = new InetSocketAddress(KernelTcp.LOOPBACK, 0);
        server = Node.start(NodeConfig.of(serverId, any, List.of()).withStreams(streams)
                .withUdpOffload(udpOffload));
        Node c;
        try {
            c = Node.start(NodeConfig.of(clientId, any, List.of(new PeerSpec(serverId.id(), server.localAddress())))
                    .withStreams(streams).withUdpOffload(udpOffload));
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        client = c;
        watchdog = Wiring.daemon("overlay-write-watchdog", this::watch);
        if (udpOffload) {
            awaitOffloadSettled(server);
            awaitOffloadSettled(client);
        }
    }

    /** Measure with the offloads attached (a node starts while JNR-FFI may still be loading). */
    private static void awaitOffloadSettled(Node n) throws IOException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (n.snapshot(java.time.Duration.ofSeconds(10)).udpSendOffload().startsWith("loading")) {
            if (System.nanoTime() - deadline > 0) {
                throw new IOException("UDP offload of " + n.id() + " still loading after 30 s");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }

    /** The server node (for probes that need it). */
    Node serverNode() {
        return server;
    }

    /** The client node (for probes that need it). */
    Node clientNode() {
        return client;
    }

    @Override
    public Listener listen() throws IOException {
        int port = nextPort.getAndIncrement();
        if (port > 65535) {
            throw new IOException("out of overlay ports");
        }
        return new PortListener(server.listen(port), new Port(port));
    }

    @Override
    public Conn connect(Endpoint endpoint) throws IOException {
        if (!(endpoint instanceof Port p)) {
            throw new IllegalArgumentException("not an overlay endpoint: " + endpoint);
        }
        return wrap(client.connect(server.id(), p.port(), TIMEOUT));
    }

    private StreamConn wrap(OverlayStream s) {
        s.setReadTimeout(TIMEOUT);
        StreamConn c = new StreamConn(s);
        open.add(c);
        return c;
    }

    /** Resets streams whose blocked write has made no progress for {@link #TIMEOUT}. */
    private void watch() {
        long limitTicks = TIMEOUT.toMillis() / WATCH_MS;
        while (!closed) {
            try {
                Thread.sleep(WATCH_MS);
            } catch (InterruptedException e) {
                return;
            }
            for (StreamConn c : open) {
                long w = c.writes;
                if (c.writing && w == c.watchedWrites) {
                    if (++c.stuckTicks >= limitTicks) {
                        System.err.println("overlay: a write on " + c.stream + " made no progress for "
                                + TIMEOUT.toSeconds() + " s; resetting the stream");
                        c.stream.reset(StreamError.NO_ERROR);
                        c.stuckTicks = 0;
                    }
                } else {
                    c.stuckTicks = 0;
                }
                c.watchedWrites = w;
            }
        }
    }

    /** Stops the watchdog and closes both nodes (which fails any stream still open). */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        watchdog.interrupt();
        Wiring.join(watchdog);
        try {
            client.close();
        } finally {
            server.close();
        }
    }

    private static Logger quiet() {
        Logger l = Logger.getLogger("dev.overlay");
        l.setLevel(Level.WARNING);
        return l;
    }

    /** A listener on one overlay port of the server node. */
    private final class PortListener implements Listener {
        private final StreamListener listener;
        private final Port endpoint;

        PortListener(StreamListener listener, Port endpoint) {
            this.listener = listener;
            this.endpoint = endpoint;
        }

        @Override
        public Endpoint endpoint() {
            return endpoint;
        }

        /** Waits at most {@link #TIMEOUT} ({@link java.net.SocketTimeoutException}); closing unblocks it. */
        @Override
        public Conn accept() throws IOException {
            return wrap(listener.accept(TIMEOUT));
        }

        @Override
        public void close() {
            listener.close();
        }
    }

    /** One overlay stream; its output counts writes so the watchdog can see a stuck one. */
    private final class StreamConn implements Conn {
        final OverlayStream stream;
        private final InputStream in;
        private final OutputStream out;
        /** A write is in progress (set by the writing thread). */
        volatile boolean writing;
        /** Writes completed (by the writing thread). */
        volatile long writes;
        /** Watchdog-thread only. */
        long watchedWrites;
        int stuckTicks;

        StreamConn(OverlayStream stream) {
            this.stream = stream;
            this.in = stream.getInputStream();
            OutputStream raw = stream.getOutputStream();
            this.out = new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    writing = true;
                    try {
                        raw.write(b);
                    } finally {
                        writing = false;
                        writes++;
                    }
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    writing = true;
                    try {
                        raw.write(b, off, len);
                    } finally {
                        writing = false;
                        writes++;
                    }
                }

                @Override
                public void close() throws IOException {
                    raw.close();
                }
            };
        }

        @Override
        public InputStream in() {
            return in;
        }

        @Override
        public OutputStream out() {
            return out;
        }

        @Override
        public void close() {
            open.remove(this);
            stream.close();
        }
    }
}
