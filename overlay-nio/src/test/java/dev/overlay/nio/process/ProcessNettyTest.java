package dev.overlay.nio.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.handler.codec.http.HttpMethod;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.spi.SelectorProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Netty's NIO transport, unchanged, with the overlay provider as the process provider: a Netty
 * client in this JVM talks HTTP/1.1 to the other JVM's Netty server on an overlay-only port and to
 * a Netty server in this JVM on 127.0.0.1, through one event loop (one selector holding both kinds
 * of channel) at the same time. Runs in the nio-process surefire execution only (see
 * {@link ProcessOverlay}).
 */
class ProcessNettyTest {
    static {
        ProcessOverlay.init(); // before anything touches NIO, Netty's static provider field included
    }

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final Duration RUN_LIMIT = Duration.ofSeconds(150);

    private static ProcessOverlay overlay;
    private static EventLoopGroup serverBoss;
    private static EventLoopGroup serverWorkers;
    private static EventLoopGroup clients;
    private static Channel kernelServer;
    private static InetSocketAddress overlayTarget;
    private static InetSocketAddress kernelTarget;

    @BeforeAll
    static void start() throws Exception {
        overlay = ProcessOverlay.get();
        assertThat(SelectorProvider.provider().getClass().getName()).isEqualTo(ProcessOverlay.PROVIDER_CLASS);
        serverBoss = new NioEventLoopGroup(1);
        serverWorkers = new NioEventLoopGroup(1);
        kernelServer = NettyHttp.serve(serverBoss, serverWorkers,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "netty-kernel");
        kernelTarget = (InetSocketAddress) kernelServer.localAddress();
        overlayTarget = new InetSocketAddress(overlay.serverHandle(), ProcessOverlay.NETTY_PORT);
        clients = new NioEventLoopGroup(1); // one event loop, one selector: overlay and kernel channels mixed
    }

    @AfterAll
    static void stop() throws Exception {
        if (kernelServer != null) {
            kernelServer.close().await(5, TimeUnit.SECONDS);
        }
        for (EventLoopGroup g : new EventLoopGroup[] {clients, serverWorkers, serverBoss}) {
            if (g != null) {
                g.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
            }
        }
    }

    private static String expected(String server, String from, String method, String uri, byte[] body) {
        return server + " " + method + " " + uri + " from " + from + " len=" + body.length
                + " sha256=" + Replies.sha256(body);
    }

    private static String overlayFrom() {
        return overlay.selfHandle().getHostAddress();
    }

    @Test
    void sequentialRequestsOverTheOverlayAndToAKernelServerOnOneEventLoop() throws Exception {
        ExecutorService two = Executors.newFixedThreadPool(2);
        try (NettyHttp.Client o = NettyHttp.Client.connect(clients, overlayTarget, TIMEOUT);
             NettyHttp.Client k = NettyHttp.Client.connect(clients, kernelTarget, TIMEOUT)) {
            assertThat(o.channel().eventLoop()).isSameAs(k.channel().eventLoop());
            byte[] none = new byte[0];
            Future<Integer> overOverlay = two.submit(() -> {
                for (int i = 0; i < 500; i++) {
                    String uri = "/seq/" + i;
                    assertThat(o.request(HttpMethod.GET, uri, none, TIMEOUT))
                            .isEqualTo(expected("netty-overlay", overlayFrom(), "GET", uri, none));
                }
                return 500;
            });
            Future<Integer> toKernel = two.submit(() -> {
                for (int i = 0; i < 500; i++) {
                    String uri = "/seq/" + i;
                    assertThat(k.request(HttpMethod.GET, uri, none, TIMEOUT))
                            .isEqualTo(expected("netty-kernel", "127.0.0.1", "GET", uri, none));
                }
                return 500;
            });
            assertThat(overOverlay.get(RUN_LIMIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(500);
            assertThat(toKernel.get(RUN_LIMIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(500);
        } finally {
            two.shutdownNow();
        }
    }

    @Test
    void manyConnectionsOfBothKindsAtOnce() throws Exception {
        int perKind = 25;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<Integer>> runs = new ArrayList<>();
        try {
            for (int c = 0; c < perKind * 2; c++) {
                boolean viaOverlay = c % 2 == 0;
                int id = c;
                runs.add(pool.submit(() -> {
                    InetSocketAddress target = viaOverlay ? overlayTarget : kernelTarget;
                    try (NettyHttp.Client client = NettyHttp.Client.connect(clients, target, TIMEOUT)) {
                        byte[] body = ("connection " + id).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                        for (int i = 0; i < 10; i++) {
                            String uri = "/conn/" + id + "/" + i;
                            String reply = client.request(HttpMethod.POST, uri, body, TIMEOUT);
                            assertThat(reply).isEqualTo(viaOverlay
                                    ? expected("netty-overlay", overlayFrom(), "POST", uri, body)
                                    : expected("netty-kernel", "127.0.0.1", "POST", uri, body));
                        }
                    }
                    return 10;
                }));
            }
            int total = 0;
            for (Future<Integer> f : runs) {
                total += f.get(RUN_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
            }
            assertThat(total).isEqualTo(perKind * 2 * 10);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void largeBodiesArriveIntactBothWays() throws Exception {
        byte[] body = new byte[4 * 1024 * 1024];
        new Random(9).nextBytes(body);
        try (NettyHttp.Client o = NettyHttp.Client.connect(clients, overlayTarget, TIMEOUT);
             NettyHttp.Client k = NettyHttp.Client.connect(clients, kernelTarget, TIMEOUT)) {
            assertThat(o.request(HttpMethod.POST, "/upload", body, RUN_LIMIT))
                    .isEqualTo(expected("netty-overlay", overlayFrom(), "POST", "/upload", body));
            assertThat(k.request(HttpMethod.POST, "/upload", body, RUN_LIMIT))
                    .isEqualTo(expected("netty-kernel", "127.0.0.1", "POST", "/upload", body));
        }
    }
}
