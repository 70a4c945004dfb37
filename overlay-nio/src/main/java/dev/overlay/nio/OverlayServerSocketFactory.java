package dev.overlay.nio;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Objects;
import java.util.function.Supplier;
import javax.net.ServerSocketFactory;

/**
 * A {@link ServerSocketFactory} whose server sockets accept overlay streams only on ports the
 * backend serves on the overlay (no kernel port is opened for those) and are kernel listening
 * sockets on every other port. See {@link OverlayServerSocket}.
 */
public class OverlayServerSocketFactory extends ServerSocketFactory {
    private static final class Shared {
        static final OverlayServerSocketFactory INSTANCE = new OverlayServerSocketFactory();
    }

    private final Supplier<OverlayBackend> backends;

    /** Served ports are the process runtime's ({@code overlay.serve}), looked up when first bound. */
    public OverlayServerSocketFactory() {
        this(Backends.lazyProcess());
    }

    public OverlayServerSocketFactory(OverlayBackend backend) {
        this(OverlaySocketImpl.constant(backend));
    }

    public OverlayServerSocketFactory(Supplier<OverlayBackend> backends) {
        this.backends = Objects.requireNonNull(backends, "backends");
    }

    /** A shared factory on the process runtime. */
    public static ServerSocketFactory getDefault() {
        return Shared.INSTANCE;
    }

    @Override
    public ServerSocket createServerSocket() throws IOException {
        return new OverlayServerSocket(backends, KernelSockets.PLAIN);
    }

    @Override
    public ServerSocket createServerSocket(int port) throws IOException {
        return createServerSocket(port, 50, null);
    }

    @Override
    public ServerSocket createServerSocket(int port, int backlog) throws IOException {
        return createServerSocket(port, backlog, null);
    }

    @Override
    public ServerSocket createServerSocket(int port, int backlog, InetAddress ifAddress) throws IOException {
        OverlayServerSocket s = new OverlayServerSocket(backends, KernelSockets.PLAIN);
        s.bindOrClose(port, backlog, ifAddress);
        return s;
    }
}
