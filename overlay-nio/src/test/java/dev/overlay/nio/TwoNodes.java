package dev.overlay.nio;

import dev.overlay.identity.Identity;
import dev.overlay.identity.NodeId;
import dev.overlay.node.Node;
import dev.overlay.node.NodeConfig;
import dev.overlay.node.PeerSpec;
import dev.overlay.stream.OverlayStream;
import dev.overlay.stream.StreamListener;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Two overlay nodes on loopback UDP behind one {@link OverlayBackend}, and a provider over it:
 * streams are opened from {@link #client}, served ports listen on {@link #server}. A third key,
 * {@link #blackHole}, has a UDP address where nothing ever answers, so a connect to it stays
 * pending.
 */
final class TwoNodes implements AutoCloseable {
    private static final AtomicInteger NEXT_PORT = new AtomicInteger(30_000);

    final Identity clientId;
    final Identity serverId;
    final Node client;
    final Node server;
    final NodeId blackHole;
    private final DatagramChannel blackHoleSocket;
    final Backend backend;
    final OverlaySelectorProvider provider;

    TwoNodes() throws IOException {
        SecureRandom random = new SecureRandom();
        clientId = Identity.generate(random);
        serverId = Identity.generate(random);
        blackHole = Identity.generate(random).id();
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        blackHoleSocket = DatagramChannel.open().bind(loopback);
        server = Node.start(NodeConfig.of(serverId, loopback, List.of()));
        client = Node.start(NodeConfig.of(clientId, loopback, List.of(
                new PeerSpec(serverId.id(), server.localAddress()),
                new PeerSpec(blackHole, (InetSocketAddress) blackHoleSocket.getLocalAddress()))));
        backend = new Backend();
        provider = new OverlaySelectorProvider(backend);
    }

    /** A fresh overlay port of the server node, served from now on. */
    int servePort() {
        int port = NEXT_PORT.getAndIncrement();
        backend.served.add(port);
        return port;
    }

    /** A port number nobody serves or listens on. */
    int unusedPort() {
        return NEXT_PORT.getAndIncrement();
    }

    InetSocketAddress serverAddress(int port) {
        return new InetSocketAddress(serverId.id().handle(), port);
    }

    @Override
    public void close() throws IOException {
        try {
            client.close();
        } finally {
            try {
                server.close();
            } finally {
                blackHoleSocket.close();
            }
        }
    }

    final class Backend implements OverlayBackend {
        final Set<Integer> served = ConcurrentHashMap.newKeySet();
        final Map<Integer, StreamListener> listeners = new ConcurrentHashMap<>();
        final AtomicInteger calls = new AtomicInteger();
        volatile Predicate<NodeId> allow = key -> true;

        @Override
        public boolean isOverlay(InetSocketAddress target) {
            calls.incrementAndGet();
            return target.isUnresolved() ? NodeId.isOverlayName(target.getHostString())
                    : NodeId.isHandle(target.getAddress());
        }

        @Override
        public CompletableFuture<OverlayStream> open(InetSocketAddress target, Duration timeout) {
            calls.incrementAndGet();
            NodeId key;
            if (target.isUnresolved()) {
                try {
                    key = NodeId.parse(target.getHostString());
                } catch (IllegalArgumentException e) {
                    return CompletableFuture.failedFuture(new UnknownHostException(target.getHostString()));
                }
            } else {
                key = keyOf(target.getAddress());
                if (key == null) {
                    return CompletableFuture.failedFuture(new ConnectException(
                            "no key known for " + target.getAddress().getHostAddress()));
                }
            }
            return client.openAsync(key, target.getPort(), timeout);
        }

        private NodeId keyOf(InetAddress a) {
            for (NodeId k : List.of(clientId.id(), serverId.id(), blackHole)) {
                if (k.handle().equals(a)) {
                    return k;
                }
            }
            return null;
        }

        @Override
        public boolean serves(int port) {
            return served.contains(port);
        }

        @Override
        public StreamListener listener(int port) {
            calls.incrementAndGet();
            if (!served.contains(port)) {
                return null;
            }
            return listeners.compute(port, (p, l) -> l != null && !l.isClosed() ? l
                    : server.listen(p, key -> allow.test(key)));
        }

        @Override
        public Inet6Address localHandle() {
            return clientId.id().handle();
        }
    }
}
