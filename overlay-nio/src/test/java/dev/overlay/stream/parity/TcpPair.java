package dev.overlay.stream.parity;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;

/** Kernel TCP on 127.0.0.1: the reference behaviour. */
final class TcpPair implements Endpoints {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private final ServerSocket listener;

    TcpPair() throws IOException {
        // Backlog 128 like the overlay's accept backlog (the JDK's default is 50).
        listener = new ServerSocket(0, 128, LOOPBACK);
        listener.setSoTimeout((int) CONNECT_TIMEOUT.toMillis());
    }

    @Override
    public String name() {
        return "tcp";
    }

    @Override
    public Conn connect() throws IOException {
        return connectTo(listener.getLocalPort());
    }

    private static Conn connectTo(int port) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(LOOPBACK, port), (int) CONNECT_TIMEOUT.toMillis());
            s.setTcpNoDelay(true);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return new TcpConn(s);
    }

    @Override
    public Conn accept() throws IOException {
        Socket s = listener.accept();
        s.setTcpNoDelay(true);
        return new TcpConn(s);
    }

    @Override
    public Conn connectToUnusedPort() throws IOException {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, LOOPBACK)) {
            port = probe.getLocalPort(); // freshly bound, then closed: nobody listens there now
        }
        return connectTo(port);
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }

    private static final class TcpConn implements Conn {
        private final Socket socket;
        // Taken once: Socket.getInputStream()/getOutputStream() throw after the matching shutdown,
        // while an application that took the stream before reads -1 / gets an IOException on write.
        private final InputStream in;
        private final OutputStream out;

        TcpConn(Socket socket) throws IOException {
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
        public void shutdownOutput() throws IOException {
            socket.shutdownOutput();
        }

        @Override
        public void shutdownInput() throws IOException {
            socket.shutdownInput();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }

        @Override
        public void abort() throws IOException {
            socket.setSoLinger(true, 0); // close() now sends RST instead of FIN
            socket.close();
        }

        @Override
        public void setReadTimeout(Duration timeout) throws IOException {
            socket.setSoTimeout((int) timeout.toMillis());
        }

        @Override
        public int available() throws IOException {
            return in.available();
        }

        @Override
        public String toString() {
            return "tcp " + socket.getLocalPort() + "->" + socket.getPort();
        }
    }
}
