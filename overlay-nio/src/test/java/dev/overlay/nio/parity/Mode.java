package dev.overlay.nio.parity;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.spi.SelectorProvider;

/**
 * The two ways every parity case runs. Tests reach channels and selectors only through
 * {@link #provider()} and the JDK's public API, so a case is the same code in both modes.
 *
 * <ul>
 *   <li>{@link #KERNEL}: the platform provider ({@code SelectorProvider.provider()} in a JVM without
 *       the overlay property), TCP on 127.0.0.1. The reference: a case that passes here and fails
 *       over the overlay is an overlay bug.
 *   <li>{@link #OVERLAY}: an {@code OverlaySelectorProvider} over a {@link NodeBackend} of two
 *       nodes on loopback UDP ({@link OverlayFixture}); servers listen on overlay ports of node B,
 *       clients connect to B's handle. Fails (never skips) while the provider is not built.
 * </ul>
 */
public enum Mode {
    KERNEL {
        @Override
        public SelectorProvider provider() {
            SelectorProvider p = SelectorProvider.provider();
            if (p.getClass().getName().startsWith("dev.overlay.")) {
                throw new AssertionError("kernel mode needs the platform provider, but this JVM runs with "
                        + p.getClass().getName() + " (java.nio.channels.spi.SelectorProvider is set)");
            }
            return p;
        }

        @Override
        public ServerSocketChannel openServer() throws IOException {
            return openKernelServer();
        }

        @Override
        public InetSocketAddress serverAddress(ServerSocketChannel server) throws IOException {
            return (InetSocketAddress) server.getLocalAddress();
        }

        @Override
        public InetSocketAddress refusedAddress() throws IOException {
            // A port that was just free: bound, noted and closed again (nobody listens there now).
            try (ServerSocketChannel s = provider().openServerSocketChannel()) {
                s.bind(new InetSocketAddress(LOOPBACK, 0));
                return (InetSocketAddress) s.getLocalAddress();
            }
        }
    },

    OVERLAY {
        @Override
        public SelectorProvider provider() {
            return OverlayFixture.get().provider();
        }

        @Override
        public ServerSocketChannel openServer() throws IOException {
            OverlayFixture f = OverlayFixture.get();
            int port = f.servePort();
            ServerSocketChannel s = f.provider().openServerSocketChannel();
            try {
                s.bind(new InetSocketAddress(port));
            } catch (IOException | RuntimeException e) {
                s.close();
                throw e;
            }
            return s;
        }

        @Override
        public InetSocketAddress serverAddress(ServerSocketChannel server) throws IOException {
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            return new InetSocketAddress(OverlayFixture.get().serverHandle(), port);
        }

        @Override
        public InetSocketAddress refusedAddress() {
            return new InetSocketAddress(OverlayFixture.get().serverHandle(), OverlayFixture.UNUSED_PORT);
        }
    };

    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    /** Where this mode's channels and selectors come from. */
    public abstract SelectorProvider provider();

    /** A bound, listening server channel in blocking mode. */
    public abstract ServerSocketChannel openServer() throws IOException;

    /** The address clients connect to for {@code server} (over the overlay: node B's handle and port). */
    public abstract InetSocketAddress serverAddress(ServerSocketChannel server) throws IOException;

    /** An address where nobody listens: connecting there is refused. */
    public abstract InetSocketAddress refusedAddress() throws IOException;

    /**
     * A kernel TCP server on 127.0.0.1 opened through this mode's provider: in overlay mode that is
     * the provider's pass-through to the platform, which must behave exactly like the platform.
     */
    public ServerSocketChannel openKernelServer() throws IOException {
        ServerSocketChannel s = provider().openServerSocketChannel();
        try {
            s.bind(new InetSocketAddress(LOOPBACK, 0));
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }
}
