package dev.overlay.stream.parity;

import dev.overlay.identity.Identity;
import dev.overlay.node.Node;
import dev.overlay.node.NodeConfig;
import dev.overlay.node.PeerSpec;
import dev.overlay.stream.OverlayStream;
import dev.overlay.stream.StreamConfig;
import dev.overlay.stream.StreamError;
import dev.overlay.stream.StreamListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;

/**
 * Two overlay nodes in this JVM over real UDP on 127.0.0.1: the client node knows the server as a
 * static peer; the server listens on one overlay port.
 */
final class OverlayPair implements Endpoints {
    static final int PORT = 7000;
    /** An overlay port nothing listens on. */
    static final int UNUSED_PORT = 7001;
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    final Identity serverIdentity;
    final Identity clientIdentity;
    final Node server;
    final Node client;
    private final StreamListener listener;

    OverlayPair() throws IOException {
        this(StreamConfig.DEFAULTS);
    }

    OverlayPair(StreamConfig streams) throws IOException {
        SecureRandom random = new SecureRandom();
        serverIdentity = Identity.generate(random);
        clientIdentity = Identity.generate(random);
        server = Node.start(NodeConfig.of(serverIdentity, LOOPBACK, List.of()).withStreams(streams));
        Node c;
        try {
            c = Node.start(NodeConfig.of(clientIdentity, LOOPBACK,
                    List.of(new PeerSpec(serverIdentity.id(), server.localAddress()))).withStreams(streams));
        } catch (IOException e) {
            server.close();
            throw e;
        }
        client = c;
        listener = server.listen(PORT);
    }

    @Override
    public String name() {
        return "overlay";
    }

    @Override
    public Conn connect() throws IOException {
        return new OverlayConn(client.connect(serverIdentity.id(), PORT, CONNECT_TIMEOUT));
    }

    @Override
    public Conn accept() throws IOException {
        return new OverlayConn(listener.accept(CONNECT_TIMEOUT));
    }

    @Override
    public Conn connectToUnusedPort() throws IOException {
        return new OverlayConn(client.connect(serverIdentity.id(), UNUSED_PORT, CONNECT_TIMEOUT));
    }

    @Override
    public void close() throws IOException {
        listener.close();
        try {
            client.close();
        } finally {
            server.close();
        }
    }

    static final class OverlayConn implements Conn {
        final OverlayStream stream;

        OverlayConn(OverlayStream stream) {
            this.stream = stream;
        }

        @Override
        public InputStream in() {
            return stream.getInputStream();
        }

        @Override
        public OutputStream out() {
            return stream.getOutputStream();
        }

        @Override
        public void shutdownOutput() {
            stream.shutdownOutput();
        }

        @Override
        public void shutdownInput() {
            stream.shutdownInput();
        }

        @Override
        public void close() {
            stream.close();
        }

        @Override
        public void abort() {
            stream.reset(StreamError.APPLICATION_MIN);
        }

        @Override
        public void setReadTimeout(Duration timeout) {
            stream.setReadTimeout(timeout);
        }

        @Override
        public int available() {
            return stream.available();
        }

        @Override
        public String toString() {
            return stream.toString();
        }
    }
}
