package dev.overlay.bench;

import dev.overlay.identity.Identity;
import dev.overlay.node.Node;
import dev.overlay.node.NodeConfig;
import dev.overlay.node.PeerSpec;
import dev.overlay.session.PeerStatus;
import dev.overlay.stream.OverlayStream;
import dev.overlay.stream.StreamListener;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Heap cost of idle overlay state, measured as the change in used heap after forced GCs.
 *
 * <p><b>Idle streams.</b> Two nodes in this JVM (real UDP on loopback); after the handshake and one
 * warm-up stream, the client opens N streams to a listener on the server node and the server
 * accepts each; no byte is written. Reported: (used heap with the N streams − used heap before) / N,
 * which covers <em>both</em> ends of each stream (the client's and the server's
 * {@link OverlayStream} with their bookkeeping), and half of it as the per-end figure. Afterwards
 * every stream is half-closed from both sides (FIN each way, which lets both ends forget it) and the
 * heap is measured again, to show the memory comes back.
 *
 * <p><b>Idle sessions.</b> One server node; N client nodes, one after another: start, ping the
 * server (which runs the Noise IK handshake first, then one PING/PONG), close. The server keeps an
 * established session (keys, replay window, timers, endpoint) for each of them. Reported: the server
 * heap delta / N, i.e. per peer with an idle session. The clients are closed before the measurement,
 * so their own heap (and their event-loop thread) is not counted; a control run starts and closes N
 * client nodes without any handshake and reports the same delta (what closed nodes leave behind,
 * expected to be about zero). The stream layer's per-peer state (created with a peer's first stream,
 * dropped 30 s after its last) is not part of this figure.
 *
 * <p>Heap readings: {@value #GC_ROUNDS} × ({@code System.gc()}, 100 ms pause), then
 * {@link MemoryMXBean#getHeapMemoryUsage()}; this is repeated {@value #READINGS} times and the lowest
 * used value taken (the node threads allocate a little while idle). Every wait is bounded.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar dev.overlay.bench.MemoryProbe [streams [sessions]]}
 * (defaults 1000 and 200).
 */
public final class MemoryProbe {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final int GC_ROUNDS = 5;
    private static final int READINGS = 3;
    private static final int WARMUP_CLIENTS = 5;
    private static final Logger QUIET = quietNodes();

    private MemoryProbe() {}

    public static void main(String[] args) throws Exception {
        int streams = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int sessions = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        System.out.println("java " + System.getProperty("java.version") + ", max heap "
                + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB, GC " + collectors()
                + ", " + Runtime.getRuntime().availableProcessors() + " CPUs");
        idleStreams(streams);
        idleSessions(sessions);
    }

    /** N idle streams between two nodes. */
    static void idleStreams(int n) throws IOException {
        SecureRandom random = new SecureRandom();
        Identity serverId = Identity.generate(random);
        Node server = Node.start(NodeConfig.of(serverId, loopback(), List.of()));
        Node client = null;
        OverlayStream[] clientEnds = new OverlayStream[n];
        OverlayStream[] serverEnds = new OverlayStream[n];
        try (StreamListener listener = server.listen(1)) {
            client = Node.start(NodeConfig.of(Identity.generate(random), loopback(),
                    List.of(new PeerSpec(serverId.id(), server.localAddress()))));
            // Warm-up: the handshake, the per-peer stream connection and the classes all exist before the baseline.
            OverlayStream warmClient = client.connect(serverId.id(), 1, TIMEOUT);
            OverlayStream warmServer = listener.accept(TIMEOUT);
            long before = usedHeap();
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                clientEnds[i] = client.connect(serverId.id(), 1, TIMEOUT);
                serverEnds[i] = listener.accept(TIMEOUT);
            }
            long openNanos = System.nanoTime() - t0;
            long with = usedHeap();
            double perPair = (double) (with - before) / n;
            System.out.printf("idle streams: N=%d opened and accepted in %.0f ms (%.0f us each)%n",
                    n, openNanos / 1e6, openNanos / 1e3 / n);
            System.out.printf("  used heap before %,d B, with the streams %,d B: delta %,d B%n", before, with, with - before);
            System.out.printf("  per idle stream (both ends, client + server): %,.0f B; per end: %,.0f B%n",
                    perPair, perPair / 2);

            for (int i = 0; i < n; i++) {
                clientEnds[i].shutdownOutput();
                serverEnds[i].shutdownOutput();
            }
            sleep(2_000); // FINs and their ACKs (ACKs may be delayed 25 ms)
            for (int i = 0; i < n; i++) {
                clientEnds[i].close();
                serverEnds[i].close();
                clientEnds[i] = null;
                serverEnds[i] = null;
            }
            long after = usedHeap();
            System.out.printf("  after FIN both ways and close: used heap %,d B (%+,.0f B per stream vs before)%n",
                    after, (double) (after - before) / n);
            warmClient.close();
            warmServer.close();
        } finally {
            try {
                if (client != null) {
                    client.close();
                }
            } finally {
                server.close();
            }
        }
    }

    /** One server node holding idle sessions with N (closed) client nodes. */
    static void idleSessions(int n) throws Exception {
        SecureRandom random = new SecureRandom();
        Identity serverId = Identity.generate(random);
        try (Node server = Node.start(NodeConfig.of(serverId, loopback(), List.of()))) {
            PeerSpec serverSpec = new PeerSpec(serverId.id(), server.localAddress());
            for (int i = 0; i < WARMUP_CLIENTS; i++) {
                handshakeAndClose(random, serverSpec);
            }

            long before = usedHeap();
            for (int i = 0; i < n; i++) {
                startAndClose(random, serverSpec);
            }
            long control = usedHeap();

            long handshakeNanos = 0;
            for (int i = 0; i < n; i++) {
                handshakeNanos += handshakeAndClose(random, serverSpec);
            }
            long with = usedHeap();

            List<PeerStatus> peers = server.call(d -> d.peers()).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            long established = peers.stream().filter(PeerStatus::established).count();
            System.out.printf("idle sessions: N=%d client nodes, each started, handshaked (ping), closed; "
                    + "server holds %d peers, %d established (incl. %d warm-up)%n",
                    n, peers.size(), established, WARMUP_CLIENTS);
            System.out.printf("  mean first ping incl. handshake: %.0f us%n", handshakeNanos / 1e3 / n);
            System.out.printf("  control (N nodes started and closed, no handshake): %+,d B total, %+,.0f B per node%n",
                    control - before, (double) (control - before) / n);
            System.out.printf("  server-side heap per idle session (peer): %,.0f B (delta %,d B over the control)%n",
                    (double) (with - control) / n, with - control);
            if (established < n) {
                System.out.println("  WARNING: fewer established sessions than clients");
            }
        }
    }

    /** Starts a client node with the server as its peer and closes it again, without any traffic. */
    private static void startAndClose(SecureRandom random, PeerSpec server) throws IOException {
        Node c = Node.start(NodeConfig.of(Identity.generate(random), loopback(), List.of(server)));
        c.close();
    }

    /** Starts a client node, pings the server (handshake first), closes the client; returns the ping time. */
    private static long handshakeAndClose(SecureRandom random, PeerSpec server) throws Exception {
        Node c = Node.start(NodeConfig.of(Identity.generate(random), loopback(), List.of(server)));
        try {
            long t0 = System.nanoTime();
            c.ping(server.id(), 1).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return System.nanoTime() - t0;
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("no handshake with the server within " + TIMEOUT, e);
        } finally {
            c.close();
        }
    }

    /** Used heap after forced GCs: the lowest of {@link #READINGS} readings. */
    static long usedHeap() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long lowest = Long.MAX_VALUE;
        for (int r = 0; r < READINGS; r++) {
            for (int i = 0; i < GC_ROUNDS; i++) {
                System.gc();
                sleep(100);
            }
            lowest = Math.min(lowest, memory.getHeapMemoryUsage().getUsed());
        }
        return lowest;
    }

    private static InetSocketAddress loopback() {
        return new InetSocketAddress(KernelTcp.LOOPBACK, 0);
    }

    private static String collectors() {
        StringBuilder b = new StringBuilder();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            b.append(b.length() == 0 ? "" : "/").append(gc.getName());
        }
        return b.toString();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Logger quietNodes() {
        Logger l = Logger.getLogger("dev.overlay");
        l.setLevel(Level.WARNING);
        return l;
    }
}
