package dev.overlay.bench;

import dev.overlay.identity.Identity;
import dev.overlay.identity.NodeId;
import dev.overlay.nio.OverlayBackend;
import dev.overlay.node.Node;
import dev.overlay.node.NodeConfig;
import dev.overlay.node.PeerSpec;
import dev.overlay.stream.OverlayStream;
import dev.overlay.stream.StreamListener;
import java.io.Closeable;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.channels.spi.SelectorProvider;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Overlay channels for the NIO benchmarks: an {@code OverlaySelectorProvider} over two
 * {@link Node}s in this JVM on loopback UDP. Streams are opened from node A; ports given to
 * {@link #serve} listen on node B, so one provider hands out both ends of a connection (and the
 * selector), like the platform provider on 127.0.0.1. Clients connect to {@link #serverHandle()}.
 *
 * <p>The provider is created by class name, so this module compiles before
 * {@code dev.overlay.nio.OverlaySelectorProvider} exists; until then {@link #start()} fails with a
 * message saying so.
 */
final class OverlayChannels implements Closeable {
    static final String PROVIDER_CLASS = "dev.overlay.nio.OverlaySelectorProvider";

    private final Node client;
    private final Node server;
    private final Backend backend;
    private final SelectorProvider provider;

    private OverlayChannels(Node client, Node server) {
        this.client = client;
        this.server = server;
        this.backend = new Backend();
        this.provider = newProvider(backend);
    }

    static OverlayChannels start() throws IOException {
        Class<?> c = providerClass();
        SecureRandom random = new SecureRandom();
        Identity a = Identity.generate(random);
        Identity b = Identity.generate(random);
        InetSocketAddress any = new InetSocketAddress(KernelTcp.LOOPBACK, 0);
        Node server = Node.start(NodeConfig.of(b, any, List.of()));
        Node client;
        try {
            client = Node.start(NodeConfig.of(a, any, List.of(new PeerSpec(b.id(), server.localAddress()))));
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        try {
            return new OverlayChannels(client, server);
        } catch (RuntimeException e) {
            try {
                client.close();
            } finally {
                server.close();
            }
            throw e;
        }
    }

    SelectorProvider provider() {
        return provider;
    }

    /** Makes overlay port {@code port} of node B served: a server channel bound to it accepts overlay streams. */
    void serve(int port) {
        backend.served.add(port);
    }

    /** The backend the provider uses: for socket factories over the same two nodes. */
    OverlayBackend backend() {
        return backend;
    }

    /**
     * Datagrams and bytes node A (the client) has sent and received so far, and its stream stats
     * toward node B: for per-operation counters in benchmarks.
     */
    long[] clientCounters() {
        dev.overlay.node.NodeSnapshot s = client.snapshot(java.time.Duration.ofSeconds(10));
        dev.overlay.node.PeerSnapshot p = s.peer(server.id());
        long packets = p == null || p.streams() == null ? 0 : p.streams().packetsSent();
        long mtu = p == null || p.streams() == null ? 0 : p.streams().pathMtu();
        long lost = p == null || p.streams() == null ? 0 : p.streams().packetsLost();
        return new long[] {s.datagramsOut(), s.bytesOut(), s.datagramsIn(), s.bytesIn(), packets, mtu, lost};
    }

    Inet6Address serverHandle() {
        return server.id().handle();
    }

    private static Class<?> providerClass() {
        try {
            return Class.forName(PROVIDER_CLASS);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("OverlaySelectorProvider not built yet: " + PROVIDER_CLASS
                    + " is not on the class path; only the kernel channels can be measured");
        }
    }

    private static SelectorProvider newProvider(OverlayBackend backend) {
        try {
            return (SelectorProvider) providerClass().getConstructor(OverlayBackend.class).newInstance(backend);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("new OverlaySelectorProvider(backend) failed", e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(PROVIDER_CLASS + " needs a public (OverlayBackend) constructor", e);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            client.close();
        } finally {
            server.close();
        }
    }

    /** Opens from node A; listens on node B; both nodes' handles are known. */
    private final class Backend implements OverlayBackend {
        final Set<Integer> served = ConcurrentHashMap.newKeySet();
        private final Map<Integer, StreamListener> listeners = new ConcurrentHashMap<>();

        @Override
        public boolean isOverlay(InetSocketAddress target) {
            return target.isUnresolved() ? NodeId.isOverlayName(target.getHostString()) : NodeId.isHandle(target.getAddress());
        }

        @Override
        public CompletableFuture<OverlayStream> open(InetSocketAddress target, Duration timeout) {
            NodeId key = target.getAddress() != null && target.getAddress().equals(server.id().handle()) ? server.id()
                    : target.getAddress() != null && target.getAddress().equals(client.id().handle()) ? client.id() : null;
            if (key == null) {
                return CompletableFuture.failedFuture(new ConnectException("no key known for " + target));
            }
            return client.openAsync(key, target.getPort(), timeout);
        }

        @Override
        public StreamListener listener(int port) {
            if (!served.contains(port)) {
                return null;
            }
            return listeners.compute(port, (p, l) -> l != null && !l.isClosed() ? l : server.listen(p));
        }

        @Override
        public Inet6Address localHandle() {
            return client.id().handle();
        }
    }
}
