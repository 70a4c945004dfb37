package dev.overlay.nio;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.SelectorProvider;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;

/**
 * Runs in a JVM started with {@code -Djava.nio.channels.spi.SelectorProvider=dev.overlay.nio.OverlaySelectorProvider}
 * ({@link OverlaySelectorProviderTest}): unchanged JDK clients and servers over the installed
 * provider. Prints one line per check and {@code OK} at the end; any failure ends the JVM with a
 * stack trace and a non-zero status.
 */
public final class InstalledProviderMain {
    private InstalledProviderMain() {}

    public static void main(String[] args) {
        try {
            run();
        } catch (Throwable t) {
            t.printStackTrace();
            System.exit(1);
        }
    }

    private static void run() throws Exception {
        SelectorProvider installed = SelectorProvider.provider();
        System.out.println("provider " + installed.getClass().getName());
        System.out.println("platform " + OverlaySelectorProvider.platform().getClass().getName());
        check(installed instanceof OverlaySelectorProvider, "the property installs the overlay provider");
        check(!(OverlaySelectorProvider.platform() instanceof OverlaySelectorProvider), "platform is the JDK's");

        // Kernel traffic first: no overlay exists yet (a backend asked now would fail the run).
        InetAddress loopback = InetAddress.getLoopbackAddress();
        HttpServer kernel = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        kernel.createContext("/", x -> reply(x, "kernel " + x.getRemoteAddress().getAddress().getHostAddress()));
        kernel.setExecutor(Executors.newFixedThreadPool(4));
        kernel.start();
        HttpClient client = HttpClient.newHttpClient();
        URI kernelUri = URI.create("http://" + loopback.getHostAddress() + ":" + kernel.getAddress().getPort() + "/");
        String body = client.send(HttpRequest.newBuilder(kernelUri).build(), HttpResponse.BodyHandlers.ofString()).body();
        check(body.startsWith("kernel 127."), "kernel HttpClient -> HttpServer: " + body);
        System.out.println("kernel http ok");
        datagramsAndPipes();

        // Now an overlay: two nodes in this JVM (their UDP sockets come from the platform provider).
        TwoNodes nodes = new TwoNodes();
        ((OverlaySelectorProvider) installed).useBackend(nodes.backend);
        int port = nodes.servePort();
        HttpServer overlay = HttpServer.create(new InetSocketAddress(port), 0);
        overlay.createContext("/", x -> reply(x, "overlay " + x.getRemoteAddress().getAddress().getHostAddress()));
        overlay.setExecutor(Executors.newFixedThreadPool(4));
        overlay.start();
        URI overlayUri = URI.create("http://[" + nodes.serverId.id().handle().getHostAddress() + "]:" + port + "/");
        String expected = "overlay " + nodes.clientId.id().handle().getHostAddress();
        for (int i = 0; i < 50; i++) {
            String b = client.send(HttpRequest.newBuilder(overlayUri).build(), HttpResponse.BodyHandlers.ofString()).body();
            check(b.equals(expected), "overlay HttpClient -> HttpServer: " + b);
        }
        System.out.println("overlay http ok");

        // Both at once, concurrently, through the client's one selector.
        List<CompletableFuture<String>> all = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            URI u = i % 2 == 0 ? overlayUri : kernelUri;
            all.add(client.sendAsync(HttpRequest.newBuilder(u).build(), HttpResponse.BodyHandlers.ofString())
                    .thenApply(HttpResponse::body));
        }
        int overlayReplies = 0;
        for (CompletableFuture<String> f : all) {
            if (f.get().startsWith("overlay ")) {
                overlayReplies++;
            }
        }
        check(overlayReplies == 20, "20 of 40 concurrent replies over the overlay: " + overlayReplies);
        System.out.println("mixed http ok");

        kernel.stop(0);
        overlay.stop(0);
        System.out.println("OK");
        System.exit(0);
    }

    private static void datagramsAndPipes() throws IOException {
        try (Selector selector = Selector.open(); DatagramChannel a = DatagramChannel.open(); DatagramChannel b = DatagramChannel.open()) {
            a.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            b.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            b.configureBlocking(false);
            SelectionKey key = b.register(selector, SelectionKey.OP_READ);
            a.send(ByteBuffer.wrap(new byte[] {42}), b.getLocalAddress());
            check(selector.select(10_000) == 1 && key.isReadable(), "datagram readable");
            ByteBuffer in = ByteBuffer.allocate(4);
            check(a.getLocalAddress().equals(b.receive(in)) && in.get(0) == 42, "datagram received");
            Pipe pipe = Pipe.open();
            pipe.source().configureBlocking(false);
            SelectionKey pk = pipe.source().register(selector, SelectionKey.OP_READ);
            selector.selectedKeys().clear();
            pipe.sink().write(ByteBuffer.wrap(new byte[] {7}));
            check(selector.select(10_000) == 1 && pk.isReadable(), "pipe readable");
            pipe.sink().close();
            pipe.source().close();
        }
        System.out.println("datagram and pipe ok");
    }

    private static void reply(com.sun.net.httpserver.HttpExchange x, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(200, b.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(b);
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError("failed: " + what);
        }
    }
}
