package dev.overlay.nio;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.function.Supplier;

/**
 * A {@link ServerSocket} that, on a port the backend serves on the overlay, accepts overlay streams
 * only (no kernel port is opened), and on any other port is a kernel listening socket. Accepted
 * sockets are {@link OverlaySocket}s: {@link OverlaySocket#peerKey(Socket)} tells an overlay
 * peer's key. See {@link OverlayServerSocketImpl}.
 */
public class OverlayServerSocket extends ServerSocket {
    private final Supplier<OverlayBackend> backends;
    private final KernelSockets kernels;

    /** An unbound server socket. */
    public OverlayServerSocket(OverlayBackend backend) throws IOException {
        this(OverlaySocketImpl.constant(backend), KernelSockets.PLAIN);
    }

    /** Bound to {@code port} on every address (the overlay handle when the port is served). */
    public OverlayServerSocket(OverlayBackend backend, int port) throws IOException {
        this(backend, port, 50, null);
    }

    public OverlayServerSocket(OverlayBackend backend, int port, int backlog) throws IOException {
        this(backend, port, backlog, null);
    }

    /** Bound to {@code bindAddr:port}; a served port is overlay-only whatever {@code bindAddr} is. */
    public OverlayServerSocket(OverlayBackend backend, int port, int backlog, InetAddress bindAddr) throws IOException {
        this(OverlaySocketImpl.constant(backend), KernelSockets.PLAIN);
        bindOrClose(port, backlog, bindAddr);
    }

    /** An unbound server socket that asks {@code backends} for the backend when first bound. */
    public OverlayServerSocket(Supplier<OverlayBackend> backends) throws IOException {
        this(backends, KernelSockets.PLAIN);
    }

    OverlayServerSocket(Supplier<OverlayBackend> backends, KernelSockets kernels) throws IOException {
        super(new OverlayServerSocketImpl(backends, kernels));
        this.backends = backends;
        this.kernels = kernels;
    }

    void bindOrClose(int port, int backlog, InetAddress bindAddr) throws IOException {
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("Port value out of range: " + port);
        }
        try {
            bind(new InetSocketAddress(bindAddr, port), backlog < 1 ? 50 : backlog);
        } catch (IOException | RuntimeException e) {
            try {
                close();
            } catch (IOException c) {
                e.addSuppressed(c);
            }
            throw e;
        }
    }

    /** Waits for the next connection: an overlay stream on a served port, a TCP connection otherwise. */
    @Override
    public Socket accept() throws IOException {
        if (isClosed()) {
            throw new SocketException("Socket is closed");
        }
        if (!isBound()) {
            throw new SocketException("Socket is not bound yet");
        }
        OverlaySocket s = new OverlaySocket(new OverlaySocketImpl(backends, kernels, false));
        implAccept(s);
        return s;
    }
}
