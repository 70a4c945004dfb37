package dev.overlay.nio.process;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.spi.SelectorProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The JDK's own {@code java.net.http.HttpClient} and {@code com.sun.net.httpserver.HttpServer},
 * unchanged, with the overlay provider as the process provider: the client reaches the other JVM's
 * HttpServer on an overlay-only port by its IPv6 handle, and a kernel HttpServer in this JVM on
 * 127.0.0.1, from one client (one selector thread holding both kinds of connection) at the same
 * time. Runs in the nio-process surefire execution only (see {@link ProcessOverlay}).
 */
class ProcessHttpTest {
    static {
        ProcessOverlay.init(); // before anything touches NIO: see ProcessOverlay
    }

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration RUN_LIMIT = Duration.ofSeconds(150);

    private static ProcessOverlay overlay;
    private static HttpServer kernelServer;
    private static HttpClient client;
    private static URI overlayBase;
    private static URI kernelBase;

    @BeforeAll
    static void start() throws Exception {
        overlay = ProcessOverlay.get();
        assertThat(SelectorProvider.provider().getClass().getName()).isEqualTo(ProcessOverlay.PROVIDER_CLASS);
        kernelServer = Replies.httpServer("http-kernel", new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        kernelBase = URI.create("http://127.0.0.1:" + kernelServer.getAddress().getPort());
        overlayBase = URI.create("http://[" + overlay.serverHandle().getHostAddress() + "]:" + ProcessOverlay.HTTP_PORT);
        client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(REQUEST_TIMEOUT)
                .build();
    }

    @AfterAll
    static void stop() {
        if (kernelServer != null) {
            kernelServer.stop(0);
        }
    }

    private static String get(URI base, String path) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(base.resolve(path)).timeout(REQUEST_TIMEOUT).GET().build();
        HttpResponse<String> res = client.send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(200);
        return res.body();
    }

    private static String expectedOverlay(String method, String path, int len, String sha) {
        return "http-overlay " + method + " " + path + " from " + overlay.selfHandle().getHostAddress()
                + " len=" + len + " sha256=" + sha;
    }

    private static String expectedKernel(String method, String path, int len, String sha) {
        return "http-kernel " + method + " " + path + " from 127.0.0.1 len=" + len + " sha256=" + sha;
    }

    private static final String EMPTY_SHA = Replies.sha256(new byte[0]);

    @Test
    void aThousandSequentialRequestsOverTheOverlayAndToAKernelServerAtOnce() throws Exception {
        ExecutorService two = Executors.newFixedThreadPool(2);
        try {
            Future<Integer> overOverlay = two.submit(() -> {
                for (int i = 0; i < 1000; i++) {
                    String path = "/seq/" + i;
                    assertThat(get(overlayBase, path)).isEqualTo(expectedOverlay("GET", path, 0, EMPTY_SHA));
                }
                return 1000;
            });
            Future<Integer> toKernel = two.submit(() -> {
                for (int i = 0; i < 1000; i++) {
                    String path = "/seq/" + i;
                    assertThat(get(kernelBase, path)).isEqualTo(expectedKernel("GET", path, 0, EMPTY_SHA));
                }
                return 1000;
            });
            assertThat(overOverlay.get(RUN_LIMIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(1000);
            assertThat(toKernel.get(RUN_LIMIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(1000);
        } finally {
            two.shutdownNow();
        }
    }

    @Test
    void aHundredConcurrentRequestsOverTheOverlayAndToAKernelServerAtOnce() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> overlayCalls = new ArrayList<>();
        List<CompletableFuture<HttpResponse<String>>> kernelCalls = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            overlayCalls.add(client.sendAsync(HttpRequest.newBuilder(overlayBase.resolve("/par/" + i))
                    .timeout(REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString()));
            kernelCalls.add(client.sendAsync(HttpRequest.newBuilder(kernelBase.resolve("/par/" + i))
                    .timeout(REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString()));
        }
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>(overlayCalls);
        all.addAll(kernelCalls);
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(RUN_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        for (int i = 0; i < 100; i++) {
            assertThat(overlayCalls.get(i).get().body()).isEqualTo(expectedOverlay("GET", "/par/" + i, 0, EMPTY_SHA));
            assertThat(kernelCalls.get(i).get().body()).isEqualTo(expectedKernel("GET", "/par/" + i, 0, EMPTY_SHA));
        }
    }

    @Test
    void largeBodiesArriveIntactBothWays() throws Exception {
        byte[] body = new byte[4 * 1024 * 1024];
        new Random(5).nextBytes(body);
        String sha = Replies.sha256(body);
        CompletableFuture<HttpResponse<String>> overlayPost = client.sendAsync(
                HttpRequest.newBuilder(overlayBase.resolve("/upload")).timeout(RUN_LIMIT)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        CompletableFuture<HttpResponse<String>> kernelPost = client.sendAsync(
                HttpRequest.newBuilder(kernelBase.resolve("/upload")).timeout(RUN_LIMIT)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(overlayPost.get(RUN_LIMIT.toMillis(), TimeUnit.MILLISECONDS).body())
                .isEqualTo(expectedOverlay("POST", "/upload", body.length, sha));
        assertThat(kernelPost.get(RUN_LIMIT.toMillis(), TimeUnit.MILLISECONDS).body())
                .isEqualTo(expectedKernel("POST", "/upload", body.length, sha));
    }
}
