package dev.overlay.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;

/**
 * Kernel TCP over loopback through {@link java.net.Socket}: TCP_NODELAY on every connection,
 * default kernel socket buffer sizes, no user-space buffering.
 */
public final class KernelTcp implements Transport {
    /** 127.0.0.1, built without a name lookup. */
    static final InetAddress LOOPBACK = loopback();
    /** Upper bound on any single blocking connect, accept or read. */
    static final int TIMEOUT_MS = 30_000;
    /** Listen backlog: ample for one client connecting serially. */
    static final int BACKLOG = 64;

    /** A loopback socket address. */
    record Address(InetSocketAddress socketAddress) implements Endpoint {}

    @Override
    public Listener listen() throws IOException {
        ServerSocket server = new ServerSocket();
        try {
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(LOOPBACK, 0), BACKLOG);
            server.setSoTimeout(TIMEOUT_MS);
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        return new SocketListener(server);
    }

    @Override
    public Conn connect(Endpoint endpoint) throws IOException {
        Socket socket = new Socket();
        try {
            configure(socket);
            socket.connect(address(endpoint), TIMEOUT_MS);
            return new SocketConn(socket);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    static void configure(Socket socket) throws IOException {
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(TIMEOUT_MS);
    }

    static InetSocketAddress address(Endpoint endpoint) {
        if (endpoint instanceof Address a) {
            return a.socketAddress();
        }
        throw new IllegalArgumentException("not a socket endpoint: " + endpoint);
    }

    private static InetAddress loopback() {
        try {
            return InetAddress.getByAddress("127.0.0.1", new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** A listener over a bound {@link ServerSocket}; plain or TLS depending on the socket. */
    static class SocketListener implements Listener {
        final ServerSocket server;
        private final Address endpoint;

        SocketListener(ServerSocket server) {
            this.server = server;
            this.endpoint = new Address(new InetSocketAddress(LOOPBACK, server.getLocalPort()));
        }

        @Override
        public Endpoint endpoint() {
            return endpoint;
        }

        @Override
        public Conn accept() throws IOException {
            Socket socket = server.accept();
            try {
                configure(socket);
                established(socket);
                return new SocketConn(socket);
            } catch (IOException | RuntimeException e) {
                socket.close();
                throw e;
            }
        }

        /** Completes any handshake on an accepted socket; nothing to do for plain TCP. */
        void established(Socket socket) throws IOException {}

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    /** A connection over one {@link Socket} (a plain socket or an {@link javax.net.ssl.SSLSocket}). */
    static final class SocketConn implements Conn {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        SocketConn(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
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
        public void close() throws IOException {
            socket.close();
        }
    }
}
