package dev.overlay.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.overlay.identity.Identity;
import dev.overlay.identity.KeyFile;
import dev.overlay.nio.OverlayConfig;
import dev.overlay.nio.OverlayRuntime;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.channels.spi.SelectorProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * {@code java.net.http.HttpClient} POSTing 8 MiB ({@code BodyPublishers.ofByteArray}, HTTP/1.1)
 * to a {@code com.sun.net.httpserver.HttpServer} in the same JVM that reads the body (64 KiB
 * reads) and answers with its length: the demo's upload, warm.
 *
 * <ul>
 *   <li>{@link #postKernel}: a JVM with the JDK's own selector provider; the server on 127.0.0.1.
 *       Every exchange includes a ~40 ms Nagle/delayed-ACK stall (see {@link #postKernelNoDelay}).
 *   <li>{@link #postKernelNoDelay}: the same with {@code -Dsun.net.httpserver.nodelay=true}.
 *   <li>{@link #postOverlay}: a JVM started with
 *       {@code -Djava.nio.channels.spi.SelectorProvider=dev.overlay.nio.OverlaySelectorProvider}
 *       (what the agent sets). Set-up starts the process runtime with a fresh key, serving the
 *       server's port; the server binds it (overlay-only) and the client connects to
 *       127.0.0.1:port, which a served port turns into an overlay stream through the runtime's
 *       loopback node (two nodes on loopback UDP, as under the agent when a JVM reaches its own
 *       served port).
 * </ul>
 *
 * <p>Scores are MiB/s (JMH's ops/s, one op per MiB).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar HttpPostBench -wi 3 -w 2s -i 5 -r 2s}
 * (each method forks its own JVM; {@code -f} may be given, the JVM options stay).
 */
@State(Scope.Benchmark)
public class HttpPostBench {
    static final int BODY_MIB = 8;
    private static final int PORT = 18480;

    private HttpServer server;
    private ExecutorService executor;
    private HttpClient client;
    private HttpRequest request;
    private OverlayRuntime runtime;
    private Path keyDir;

    @Setup(Level.Trial)
    public void open(BenchmarkParams params) throws IOException {
        boolean overlay = params.getBenchmark().endsWith("postOverlay");
        try {
            int port = 0;
            InetSocketAddress bind = new InetSocketAddress(KernelTcp.LOOPBACK, 0);
            if (overlay) {
                if (!(SelectorProvider.provider() instanceof dev.overlay.nio.OverlaySelectorProvider)) {
                    throw new IllegalStateException("postOverlay needs the overlay provider installed, found "
                            + SelectorProvider.provider());
                }
                keyDir = Files.createTempDirectory("http-post-bench");
                Path key = keyDir.resolve("node.key");
                KeyFile.write(key, Identity.generate(new SecureRandom()));
                runtime = OverlayRuntime.start(OverlayConfig.parse(Map.of(OverlayConfig.IDENTITY, key.toString(),
                        OverlayConfig.BIND, "127.0.0.1:0", OverlayConfig.SERVE, Integer.toString(PORT)), "benchmark"));
                port = PORT;
                bind = new InetSocketAddress(PORT);
            }
            server = HttpServer.create(bind, 64);
            executor = Executors.newFixedThreadPool(4);
            server.setExecutor(executor);
            server.createContext("/upload", HttpPostBench::upload);
            server.start();
            if (!overlay) {
                port = server.getAddress().getPort();
            }
            client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(20)).build();
            byte[] body = new byte[BODY_MIB << 20];
            ThreadLocalRandom.current().nextBytes(body);
            request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/upload"))
                    .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    @Benchmark
    @Fork(1)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(BODY_MIB)
    public String postKernel() throws Exception {
        return post();
    }

    /**
     * As {@link #postKernel} with {@code -Dsun.net.httpserver.nodelay=true}: the JDK's HttpServer
     * then sets TCP_NODELAY on accepted connections. Without it every exchange waits ~40 ms on
     * loopback (Nagle on the server's response meeting the client's delayed ACK), whatever the
     * body size; overlay streams have no Nagle and need no such flag.
     */
    @Benchmark
    @Fork(value = 1, jvmArgsAppend = "-Dsun.net.httpserver.nodelay=true")
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(BODY_MIB)
    public String postKernelNoDelay() throws Exception {
        return post();
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = "-Djava.nio.channels.spi.SelectorProvider=dev.overlay.nio.OverlaySelectorProvider")
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(BODY_MIB)
    public String postOverlay() throws Exception {
        return post();
    }

    private String post() throws Exception {
        HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200 || !r.body().equals(Long.toString((long) BODY_MIB << 20))) {
            throw new IllegalStateException("upload answered " + r.statusCode() + " " + r.body());
        }
        return r.body();
    }

    private static void upload(HttpExchange ex) throws IOException {
        long n = 0;
        byte[] buf = new byte[64 * 1024];
        try (InputStream body = ex.getRequestBody()) {
            for (int r; (r = body.read(buf)) > 0; ) {
                n += r;
            }
        }
        byte[] answer = Long.toString(n).getBytes(StandardCharsets.US_ASCII);
        ex.sendResponseHeaders(200, answer.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(answer);
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
        if (executor != null) {
            executor.shutdownNow();
            executor = null;
        }
        client = null;
        if (runtime != null) {
            runtime.close();
            runtime = null;
        }
        if (keyDir != null) {
            try (Stream<Path> files = Files.walk(keyDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // a temporary directory left behind
            }
            keyDir = null;
        }
    }
}
