package dev.overlay.bench;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The small surface the transport benchmarks run against: a listener, a connector, and
 * established byte-stream connections. Kernel TCP ({@link KernelTcp}) and JDK TLS 1.3
 * ({@link JdkTls13}) implement it, and so does the overlay's stream API ({@link Overlay}).
 *
 * <p>Contract, which every implementation keeps so that the benchmarks compare like with like:
 * <ul>
 *   <li>Everything stays on the local machine (loopback or in-process).</li>
 *   <li>{@link #connect} and {@link Listener#accept} return only once the connection is fully
 *       established, including any cryptographic handshake, so the first byte written is
 *       application data.</li>
 *   <li>{@link Conn#out()} is unbuffered from the caller's point of view: a {@code write} call has
 *       handed the bytes to the transport and they will be delivered without a further
 *       {@code flush}. Latency benchmarks rely on that (kernel TCP runs with TCP_NODELAY).</li>
 *   <li>No blocking call waits forever: reads, accepts and connects time out (an
 *       {@link IOException}) after a bounded time, so a broken run fails instead of hanging.</li>
 *   <li>{@link Conn#close()} releases everything the connection holds (file descriptors, buffers);
 *       {@link Listener#close()} unblocks a pending {@code accept}.</li>
 * </ul>
 */
public interface Transport extends Closeable {

    /** Opens a listener bound to an ephemeral local endpoint. */
    Listener listen() throws IOException;

    /** Opens a connection to {@code endpoint}; returns once it is established. */
    Conn connect(Endpoint endpoint) throws IOException;

    /** Releases transport-wide resources (none for kernel TCP and JDK TLS; the two nodes for the overlay). */
    @Override
    default void close() throws IOException {}

    /** Where a {@link Listener} can be reached; opaque outside the implementation that made it. */
    interface Endpoint {}

    /** A passive endpoint accepting connections. */
    interface Listener extends Closeable {
        Endpoint endpoint();

        /** Blocks until a peer connects and the connection is established. */
        Conn accept() throws IOException;
    }

    /** One established, reliable, ordered, bidirectional byte stream. */
    interface Conn extends Closeable {
        InputStream in();

        OutputStream out();
    }

    /** The {@code transport} benchmark parameter values this factory knows. */
    String NAMES = "tcp, tls, overlay, overlay1400, overlay1400-nobatch";

    /**
     * The transport named by a benchmark parameter: {@code tcp} (kernel TCP, TCP_NODELAY) or
     * {@code tls} (JDK TLS 1.3, TLS_AES_256_GCM_SHA384, full handshake on every connect),
     * {@code overlay} (overlay streams between two nodes over UDP loopback, datagram size found by
     * path MTU discovery: 65507 on loopback) or {@code overlay1400} (the same, UDP payloads capped
     * at 1432 bytes: 1400-byte stream packets) or {@code overlay1400-nobatch} (as overlay1400,
     * with UDP send offload off: one system call per datagram).
     */
    static Transport named(String name) throws IOException {
        switch (name) {
            case "tcp":
                return new KernelTcp();
            case "tls":
                return new JdkTls13();
            case "overlay":
                return Overlay.discovered();
            case "overlay1400":
                return Overlay.limited1400();
            case "overlay1400-nobatch":
                return Overlay.limited1400NoBatching();
            default:
                throw new IllegalArgumentException("unknown transport '" + name + "', expected one of: " + NAMES);
        }
    }
}
