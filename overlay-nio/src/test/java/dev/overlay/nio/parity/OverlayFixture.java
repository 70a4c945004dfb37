package dev.overlay.nio.parity;

import dev.overlay.identity.Identity;
import dev.overlay.nio.OverlayBackend;
import dev.overlay.node.Node;
import dev.overlay.node.NodeConfig;
import dev.overlay.node.PeerSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.spi.SelectorProvider;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The overlay side of the parity suite, started once per JVM on first use: node A (the client
 * side: streams are opened from it) knows node B as a static peer on loopback UDP; node B serves
 * overlay ports and admits only A's key. One {@code OverlaySelectorProvider} over a
 * {@link NodeBackend} of both hands out every channel and selector, so both ends of a connection
 * and their selector come from one provider, as in kernel mode. The nodes are closed when the
 * JVM exits.
 */
final class OverlayFixture {
    static final String PROVIDER_CLASS = "dev.overlay.nio.OverlaySelectorProvider";
    /** An overlay port of node B that is never served: connections there are refused. */
    static final int UNUSED_PORT = 19_999;
    private static final int FIRST_PORT = 20_000;

    private static OverlayFixture instance;

    private final Node client;
    private final Node server;
    private final NodeBackend backend;
    private final SelectorProvider provider;
    private final AtomicInteger nextPort = new AtomicInteger(FIRST_PORT);

    private OverlayFixture() throws IOException {
        providerClass(); // fail before starting anything while the provider does not exist
        SecureRandom random = new SecureRandom();
        Identity a = Identity.generate(random);
        Identity b = Identity.generate(random);
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        server = Node.start(NodeConfig.of(b, loopback, List.of()));
        Node c;
        try {
            c = Node.start(NodeConfig.of(a, loopback, List.of(new PeerSpec(b.id(), server.localAddress()))));
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        client = c;
        backend = new NodeBackend(client, server, key -> key.equals(a.id()));
        try {
            provider = newProvider(backend);
        } catch (RuntimeException | Error e) {
            closeNodes();
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(this::closeNodes, "overlay-fixture-close"));
    }

    /** The fixture, started on first call; fails the calling test when the provider is not built. */
    static synchronized OverlayFixture get() {
        if (instance == null) {
            try {
                instance = new OverlayFixture();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the two overlay nodes of the parity suite", e);
            }
        }
        return instance;
    }

    /** {@code OverlaySelectorProvider}, or an AssertionError saying it is not built yet. */
    static Class<?> providerClass() {
        try {
            return Class.forName(PROVIDER_CLASS);
        } catch (ClassNotFoundException e) {
            throw new AssertionError("OverlaySelectorProvider not built yet: " + PROVIDER_CLASS
                    + " is not on the class path, so the overlay half of this case cannot run");
        }
    }

    /**
     * {@code new OverlaySelectorProvider(backend)}, looked up by name so that this suite compiles
     * (and its kernel half runs) before the provider exists.
     */
    static SelectorProvider newProvider(OverlayBackend backend) {
        Class<?> c = providerClass();
        try {
            return (SelectorProvider) c.getConstructor(OverlayBackend.class).newInstance(backend);
        } catch (InvocationTargetException e) {
            throw new AssertionError("new OverlaySelectorProvider(backend) threw " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new AssertionError(PROVIDER_CLASS + " needs a public constructor (OverlayBackend) and must"
                    + " extend SelectorProvider: " + e, e);
        }
    }

    SelectorProvider provider() {
        return provider;
    }

    /** A fresh overlay port of node B, served from now on (a server channel bound to it accepts overlay streams). */
    int servePort() {
        int port = nextPort.getAndIncrement();
        backend.serve(port);
        return port;
    }

    /** Node B's handle: where clients connect. */
    Inet6Address serverHandle() {
        return server.id().handle();
    }

    /** Node A's handle: the address an accepted channel reports as its peer. */
    Inet6Address clientHandle() {
        return client.id().handle();
    }

    private void closeNodes() {
        try {
            client.close();
        } catch (IOException | RuntimeException ignored) {
            // exiting anyway
        }
        try {
            server.close();
        } catch (IOException | RuntimeException ignored) {
            // exiting anyway
        }
    }
}
