package dev.overlay.bench;

import dev.overlay.nio.OverlayServerSocketFactory;
import dev.overlay.nio.OverlaySocketFactory;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import javax.net.ServerSocketFactory;
import javax.net.SocketFactory;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The application paths of the demo, warm, kernel TCP and the overlay side by side: what
 * {@code java.net.http.HttpClient} and a JDBC driver do with the channels and sockets they get.
 *
 * <ul>
 *   <li>{@link #nioUpload}: 8 MiB through a <b>non-blocking {@code SocketChannel}</b> in 16 KiB
 *       writes, the way HttpClient's {@code SocketTube} writes a request body: write; when a write
 *       takes less than the whole buffer, set OP_WRITE interest, {@code select()}, write again. A
 *       sink thread reads the accepted channel (blocking, 64 KiB buffer). The op ends when the
 *       sink has read all 8 MiB (delivered, not buffered).
 *   <li>{@link #blockingUpload}: 8 MiB through a <b>blocking {@code Socket}</b>'s output stream in
 *       16 KiB writes (a JDBC driver's buffered stream flushing), the sink reading the accepted
 *       {@code Socket}'s input stream.
 *   <li>{@link #blockingRpc}: one 64-byte request and a 64-byte answer over blocking
 *       {@code Socket}s (a point query's shape): the client writes and reads fully, a server thread
 *       reads fully and answers.
 * </ul>
 *
 * <p>{@code kernel}: the platform provider and {@code java.net.Socket}/{@code ServerSocket} on
 * 127.0.0.1. {@code overlay}: an {@code OverlaySelectorProvider} over two nodes in this JVM on
 * loopback UDP ({@link OverlayChannels}) for the channels, and {@link OverlaySocketFactory} /
 * {@link OverlayServerSocketFactory} over the same backend for the sockets: the {@code SocketImpl}
 * the agent's socket hook installs, and the server socket an H2 server gets under the agent.
 *
 * <p>The uploads report MiB/s (JMH's ops/s, one op per MiB). Each trial prints per-MiB counters
 * (write calls, writes that took nothing, selects; for the overlay, datagrams out and in).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar AppPathBench -f 1 -wi 3 -w 2s -i 5 -r 2s}.
 */
@State(Scope.Thread)
public class AppPathBench {
    static final int CHUNK = 16 * 1024;
    static final int UPLOAD_MIB = 8;
    static final long UPLOAD = UPLOAD_MIB << 20;
    static final int MESSAGE = 64;
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(30);
    private static final int PORT = 4200;

    @Param({"kernel", "overlay"})
    public String transport;

    private OverlayChannels overlay;
    private InetAddress host;
    // nioUpload
    private SelectorProvider provider;
    private ServerSocketChannel serverChannel;
    private SocketChannel channel;
    private SocketChannel accepted;
    private Selector selector;
    private SelectionKey key;
    private final ByteBuffer[] chunk = {ByteBuffer.allocate(CHUNK)};
    // blockingUpload, blockingRpc
    private ServerSocket serverSocket;
    private Socket socket;
    private Socket acceptedSocket;
    private OutputStream out;
    private InputStream in;
    private final byte[] data = new byte[CHUNK];
    private final byte[] request = new byte[MESSAGE];
    private final byte[] response = new byte[MESSAGE];

    private Sink sink;
    private Thread peerThread;
    private Responder responder;
    private long written;
    private long baseWritten;
    private long[] baseOverlay;

    /** Per-trial counters of the NIO writer (printed at tear-down). */
    private long writeCalls;
    private long zeroWrites;
    private long partialWrites;
    private long selects;

    @Setup(Level.Trial)
    public void open(BenchmarkParams params) throws IOException {
        ThreadLocalRandom.current().nextBytes(data);
        ThreadLocalRandom.current().nextBytes(request);
        chunk[0].put(data).flip();
        String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        try {
            SocketFactory sockets;
            ServerSocketFactory servers;
            if (transport.equals("kernel")) {
                provider = SelectorProvider.provider();
                sockets = SocketFactory.getDefault();
                servers = ServerSocketFactory.getDefault();
                host = KernelTcp.LOOPBACK;
            } else if (transport.equals("overlay")) {
                overlay = OverlayChannels.start();
                overlay.serve(PORT);
                provider = overlay.provider();
                sockets = new OverlaySocketFactory(overlay.backend());
                servers = new OverlayServerSocketFactory(overlay.backend());
                host = overlay.serverHandle();
            } else {
                throw new IllegalArgumentException("transport must be kernel or overlay, not " + transport);
            }
            int port = overlay != null ? PORT : 0;
            if (method.equals("nioUpload")) {
                serverChannel = provider.openServerSocketChannel();
                serverChannel.bind(new InetSocketAddress(overlay != null ? null : host, port));
                port = ((InetSocketAddress) serverChannel.getLocalAddress()).getPort();
                channel = provider.openSocketChannel();
                if (!channel.connect(new InetSocketAddress(host, port))) {
                    throw new IOException("blocking connect returned false");
                }
                accepted = serverChannel.accept();
                channel.configureBlocking(false);
                selector = provider.openSelector();
                key = channel.register(selector, 0);
                sink = new Sink(null, accepted);
                peerThread = Wiring.daemon("app-" + transport + "-nio-sink", sink);
            } else {
                serverSocket = servers.createServerSocket(port, 50, overlay != null ? null : host);
                port = serverSocket.getLocalPort();
                socket = sockets.createSocket();
                socket.setTcpNoDelay(true);
                socket.connect(new InetSocketAddress(host, port), 10_000);
                acceptedSocket = serverSocket.accept();
                acceptedSocket.setTcpNoDelay(true);
                out = socket.getOutputStream();
                in = socket.getInputStream();
                if (method.equals("blockingUpload")) {
                    sink = new Sink(acceptedSocket.getInputStream(), null);
                    peerThread = Wiring.daemon("app-" + transport + "-sink", sink);
                } else {
                    responder = new Responder(acceptedSocket);
                    peerThread = Wiring.daemon("app-" + transport + "-responder", responder);
                }
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    @Setup(Level.Iteration)
    public void mark() {
        baseWritten = written;
        writeCalls = zeroWrites = partialWrites = selects = 0;
        baseOverlay = overlay != null ? overlay.clientCounters() : null;
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(UPLOAD_MIB)
    public long nioUpload() throws IOException {
        long target = written + UPLOAD;
        ByteBuffer b = chunk[0];
        while (written < target) {
            b.clear();
            while (b.hasRemaining()) {
                long n = channel.write(chunk, 0, 1);
                writeCalls++;
                written += n;
                if (b.hasRemaining()) {
                    if (n == 0) {
                        zeroWrites++;
                    } else {
                        partialWrites++;
                    }
                    key.interestOps(SelectionKey.OP_WRITE);
                    selector.select(1_000);
                    selects++;
                    selector.selectedKeys().clear();
                    key.interestOps(0);
                }
            }
        }
        return awaitSink(target);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(UPLOAD_MIB)
    public long blockingUpload() throws IOException {
        long target = written + UPLOAD;
        while (written < target) {
            out.write(data, 0, CHUNK);
            writeCalls++;
            written += CHUNK;
        }
        out.flush();
        return awaitSink(target);
    }

    @Benchmark
    @BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public byte[] blockingRpc() throws IOException {
        out.write(request);
        Wiring.readFully(in, response, 0, MESSAGE);
        written += MESSAGE;
        return response;
    }

    private long awaitSink(long target) throws IOException {
        long deadline = System.nanoTime() + WAIT_NS;
        for (;;) {
            long s = sink.total;
            if (s >= target) {
                return s;
            }
            if (sink.failure != null) {
                throw new IOException("sink failed", sink.failure);
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IOException("sink stuck at " + s + " of " + target + " bytes");
            }
            LockSupport.parkNanos(20_000);
        }
    }

    /** Prints what one iteration cost per MiB (or per request) in calls and datagrams. */
    @TearDown(Level.Iteration)
    public void report() {
        if (responder != null && responder.failure != null) {
            throw new IllegalStateException("responder failed", responder.failure);
        }
        double units = serverSocket != null && responder != null
                ? (written - baseWritten) / (double) MESSAGE : (written - baseWritten) / (double) (1 << 20);
        String per = responder != null ? "request" : "MiB";
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%n  [%s] per %s:", transport, per));
        if (selector != null) {
            sb.append(String.format(Locale.ROOT, " writes %.1f, zero writes %.2f, partial writes %.2f, selects %.2f;",
                    writeCalls / units, zeroWrites / units, partialWrites / units, selects / units));
        }
        if (overlay != null) {
            long[] now = overlay.clientCounters();
            long dOut = now[0] - baseOverlay[0];
            long dIn = now[2] - baseOverlay[2];
            sb.append(String.format(Locale.ROOT,
                    " client datagrams out %.1f (avg %.0f B), in %.1f (avg %.0f B); path MTU %d; lost %d",
                    dOut / units, dOut == 0 ? 0.0 : (now[1] - baseOverlay[1]) / (double) dOut,
                    dIn / units, dIn == 0 ? 0.0 : (now[3] - baseOverlay[3]) / (double) dIn, now[5],
                    now[6] - baseOverlay[6]));
        }
        System.out.println(sb);
    }

    @TearDown(Level.Trial)
    public void close() {
        Wiring.closeQuietly(channel, socket);
        if (!Wiring.join(peerThread)) {
            Wiring.closeQuietly(accepted, acceptedSocket);
            Wiring.join(peerThread);
        }
        Wiring.closeQuietly(accepted, acceptedSocket, selector, serverChannel, serverSocket, overlay);
        channel = accepted = null;
        socket = acceptedSocket = null;
        selector = null;
        serverChannel = null;
        serverSocket = null;
        overlay = null;
        peerThread = null;
        if (sink != null && sink.failure == null && sink.total != written) {
            long t = sink.total;
            sink = null;
            throw new IllegalStateException("the sink read " + t + " bytes, " + written + " were written");
        }
        sink = null;
        responder = null;
    }

    /** Reads and discards until end of stream: a blocking input stream, or a channel in blocking mode. */
    static final class Sink implements Runnable {
        private final InputStream in;
        private final SocketChannel channel;
        volatile long total;
        volatile Throwable failure;

        Sink(InputStream in, SocketChannel channel) {
            this.in = in;
            this.channel = channel;
        }

        @Override
        public void run() {
            try {
                if (in != null) {
                    byte[] buffer = new byte[64 * 1024];
                    int n;
                    while ((n = in.read(buffer)) >= 0) {
                        total += n;
                    }
                } else {
                    ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
                    int n;
                    while ((n = channel.read(buffer.clear())) >= 0) {
                        total += n;
                    }
                }
            } catch (IOException | RuntimeException e) {
                failure = e;
            }
        }
    }

    /** Answers each 64-byte request with 64 bytes, until end of stream. */
    static final class Responder implements Runnable {
        private final Socket socket;
        volatile Throwable failure;

        Responder(Socket socket) {
            this.socket = socket;
        }

        @Override
        public void run() {
            byte[] buffer = new byte[MESSAGE];
            try {
                InputStream in = socket.getInputStream();
                OutputStream out = socket.getOutputStream();
                for (;;) {
                    try {
                        Wiring.readFully(in, buffer, 0, MESSAGE);
                    } catch (EOFException end) {
                        return;
                    }
                    out.write(buffer, 0, MESSAGE);
                }
            } catch (IOException | RuntimeException e) {
                if (!socket.isClosed()) {
                    failure = e;
                }
            }
        }
    }
}
