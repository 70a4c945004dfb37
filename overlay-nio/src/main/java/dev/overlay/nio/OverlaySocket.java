package dev.overlay.nio;

import dev.overlay.identity.NodeId;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketImpl;
import java.util.function.Supplier;

/**
 * A {@link Socket} that connects through the overlay when its target is an overlay address (an
 * IPv6 handle, or an unresolved {@code <base32>.overlay} name or alias) and through the kernel
 * otherwise. See {@link OverlaySocketImpl} for how it behaves on the overlay.
 *
 * <pre>{@code
 * try (Socket s = new OverlaySocket(backend)) {
 *     s.connect(InetSocketAddress.createUnresolved(key + ".overlay", 5432), 10_000);
 *     ...
 * }
 * }</pre>
 */
public class OverlaySocket extends Socket {
    private final OverlaySocketImpl impl;

    /** An unconnected socket whose overlay targets go to {@code backend}. */
    public OverlaySocket(OverlayBackend backend) throws SocketException {
        this(new OverlaySocketImpl(backend));
    }

    /** An unconnected socket that asks {@code backends} for the backend when it first needs one. */
    public OverlaySocket(Supplier<OverlayBackend> backends) throws SocketException {
        this(new OverlaySocketImpl(backends));
    }

    /** A socket connected to {@code host:port} (an overlay name or handle, or any kernel host). */
    public OverlaySocket(OverlayBackend backend, String host, int port) throws IOException {
        this(new OverlaySocketImpl(backend));
        connectOrClose(new InetSocketAddress(host, port));
    }

    /** A socket connected to {@code address:port}. */
    public OverlaySocket(OverlayBackend backend, InetAddress address, int port) throws IOException {
        this(new OverlaySocketImpl(backend));
        connectOrClose(new InetSocketAddress(address, port));
    }

    /** A socket on a given implementation (which must be new). */
    protected OverlaySocket(OverlaySocketImpl impl) throws SocketException {
        super(impl);
        this.impl = impl;
    }

    private void connectOrClose(InetSocketAddress target) throws IOException {
        try {
            connect(target);
        } catch (IOException | RuntimeException e) {
            try {
                close();
            } catch (IOException c) {
                e.addSuppressed(c);
            }
            throw e;
        }
    }

    /** The peer's key when connected over the overlay, else null. */
    public NodeId peerKey() {
        return impl.peerKey();
    }

    /** True once connected (or accepted) over the overlay. */
    public boolean isOverlay() {
        return impl.isOverlay();
    }

    /**
     * The overlay peer's key behind {@code socket}, so a server can authorize by identity: for an
     * {@link OverlaySocket}, or for any {@link Socket} made while the {@link OverlaySocketHook} is
     * installed; null for kernel connections and sockets of other kinds.
     */
    public static NodeId peerKey(Socket socket) {
        if (socket instanceof OverlaySocket o) {
            return o.peerKey();
        }
        SocketImpl i = socket == null ? null : KernelSockets.JdkImpls.implOf(socket);
        return i instanceof OverlaySocketImpl o ? o.peerKey() : null;
    }
}
