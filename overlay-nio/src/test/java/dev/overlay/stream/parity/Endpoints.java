package dev.overlay.stream.parity;

import java.io.IOException;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * A client and a server that can make connections to each other over one transport: kernel TCP
 * on 127.0.0.1 ({@link TcpPair}) or the overlay between two nodes on loopback UDP
 * ({@link OverlayPair}). Each test gets a fresh instance and closes it.
 */
interface Endpoints extends AutoCloseable {
    Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    /** The transport's name, "tcp" or "overlay" (the parameterized tests' display name). */
    String name();

    /** The client opens a connection to the server's listener (does not wait for accept()). */
    Conn connect() throws IOException;

    /** The server accepts the next connection, waiting at most {@link #CONNECT_TIMEOUT}. */
    Conn accept() throws IOException;

    /** A connected pair; callers must not interleave it with concurrent connect()/accept(). */
    default Pair open() throws IOException {
        Conn client = connect();
        try {
            return new Pair(client, accept());
        } catch (IOException | RuntimeException e) {
            client.abort();
            throw e;
        }
    }

    /** Connects to a port where nobody listens: expected to throw {@link java.net.ConnectException}. */
    Conn connectToUnusedPort() throws IOException;

    @Override
    void close() throws IOException;

    /** The transports every parity test runs over. */
    static Stream<String> kinds() {
        return Stream.of("tcp", "overlay");
    }

    static Endpoints create(String kind) throws IOException {
        return switch (kind) {
            case "tcp" -> new TcpPair();
            case "overlay" -> new OverlayPair();
            default -> throw new IllegalArgumentException("unknown transport " + kind);
        };
    }
}
