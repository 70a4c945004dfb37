package dev.overlay.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

/**
 * A selector loop with many mostly idle connections and a few busy ones, over kernel channels
 * (the platform provider, TCP on 127.0.0.1) and over overlay channels (an
 * {@code OverlaySelectorProvider} over two nodes on loopback UDP, {@link OverlayChannels}).
 *
 * <p>Set-up: {@code idle + busy} connections; the accepted ("near") end of each is non-blocking and
 * registered for OP_READ with one selector; the client ("far") ends are written by the benchmark
 * thread and never registered. Nothing ever arrives on the idle ones.
 *
 * <ul>
 *   <li>{@link #selectNow}: one {@code selectNow()} while nothing is ready: what a selection
 *       operation costs with {@code idle + busy} registered keys (epoll does not look at idle
 *       fds; an overlay selector must not either).
 *   <li>{@link #busyRound}: one op writes a 64-byte message on each of the {@code busy} far ends,
 *       then runs the selector loop ({@code select()}, read every selected key, clear) until all
 *       {@code busy * 64} bytes have been read. Throughput in messages/s ({@code busy} per op);
 *       each message crosses the connection once, so over the overlay it includes both nodes'
 *       event loops and a UDP datagram.
 * </ul>
 *
 * <p>Compare {@code idle=0} with {@code idle=1000} within one transport (what idle channels cost)
 * and kernel with overlay at the same {@code idle} (what the overlay costs).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar SelectorBench -f 1 -wi 3 -w 2s -i 5 -r 2s}
 * (add {@code -p channels=kernel} while the overlay provider is not built).
 */
@State(Scope.Thread)
public class SelectorBench {
    static final int MESSAGE = 64;
    /** How long one op may wait for its messages before the run fails. */
    private static final long ROUND_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final int BUSY = 10;
    /** First overlay port served for the benchmark (one listener for all connections). */
    private static final int OVERLAY_PORT = 4000;

    @Param({"kernel", "overlay"})
    public String channels;

    @Param({"0", "1000"})
    public int idle;

    private OverlayChannels overlay;
    private SelectorProvider provider;
    private Selector selector;
    private ServerSocketChannel server;
    private final List<SocketChannel> open = new ArrayList<>();
    private final SocketChannel[] far = new SocketChannel[BUSY];
    private final ByteBuffer message = ByteBuffer.allocateDirect(MESSAGE);
    private final ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024);

    @Setup(Level.Trial)
    public void open() throws IOException {
        try {
            InetSocketAddress target;
            if (channels.equals("kernel")) {
                provider = SelectorProvider.provider();
                server = provider.openServerSocketChannel();
                server.bind(new InetSocketAddress(KernelTcp.LOOPBACK, 0), 1024);
                target = (InetSocketAddress) server.getLocalAddress();
            } else if (channels.equals("overlay")) {
                overlay = OverlayChannels.start();
                provider = overlay.provider();
                overlay.serve(OVERLAY_PORT);
                server = provider.openServerSocketChannel();
                server.bind(new InetSocketAddress(OVERLAY_PORT), 1024);
                target = new InetSocketAddress(overlay.serverHandle(), OVERLAY_PORT);
            } else {
                throw new IllegalArgumentException("channels must be kernel or overlay, not " + channels);
            }
            selector = provider.openSelector();
            for (int i = 0; i < idle + BUSY; i++) {
                SocketChannel client = provider.openSocketChannel();
                open.add(client);
                if (!client.connect(target)) {
                    throw new IOException("blocking connect returned false");
                }
                SocketChannel near = server.accept(); // blocking; the connection is already there
                open.add(near);
                client.configureBlocking(false);
                near.configureBlocking(false);
                near.register(selector, SelectionKey.OP_READ);
                if (i >= idle) {
                    far[i - idle] = client;
                }
            }
            if (selector.selectNow() != 0) {
                throw new IllegalStateException("a channel is ready before anything was sent");
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public int selectNow() throws IOException {
        return selector.selectNow();
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(BUSY)
    public long busyRound() throws IOException {
        for (SocketChannel c : far) {
            message.clear();
            int n = c.write(message);
            if (n != MESSAGE) {
                throw new IllegalStateException("a 64-byte write took " + n + " bytes");
            }
        }
        long want = (long) BUSY * MESSAGE;
        long deadline = System.nanoTime() + ROUND_LIMIT_NANOS;
        while (want > 0) {
            if (selector.select(1_000) == 0 && System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(want + " bytes did not arrive within 10 s");
            }
            for (SelectionKey k : selector.selectedKeys()) {
                in.clear();
                int n = ((SocketChannel) k.channel()).read(in);
                if (n < 0) {
                    throw new IllegalStateException("a busy connection ended");
                }
                want -= n;
            }
            selector.selectedKeys().clear();
        }
        return want;
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        for (SocketChannel c : open) {
            Wiring.closeQuietly(c);
        }
        open.clear();
        Wiring.closeQuietly(selector, server, overlay);
        selector = null;
        server = null;
        overlay = null;
    }
}
