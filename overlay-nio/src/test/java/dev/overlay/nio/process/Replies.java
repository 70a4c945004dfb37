package dev.overlay.nio.process;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * What every test server answers, whichever JVM and transport it runs on: one line naming the
 * server, the request and what the server saw, so a client can check it reached the right server
 * over the right transport and that its body arrived intact:
 * {@code <server> <METHOD> <uri> from <client address> len=<body bytes> sha256=<hex>}.
 */
final class Replies {
    private Replies() {}

    static String reply(String server, String method, String uri, SocketAddress from, byte[] body) {
        InetAddress address = ((InetSocketAddress) from).getAddress();
        return server + " " + method + " " + uri + " from " + address.getHostAddress()
                + " len=" + body.length + " sha256=" + sha256(body);
    }

    static String sha256(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * An unchanged {@code com.sun.net.httpserver.HttpServer} on {@code bind} answering every path
     * with {@link #reply}; on an {@code overlay.serve} port it accepts overlay connections only.
     */
    static HttpServer httpServer(String name, InetSocketAddress bind) throws IOException {
        HttpServer server = HttpServer.create(bind, 256);
        server.createContext("/", exchange -> answer(name, exchange));
        ExecutorService workers = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, name + "-worker");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(workers);
        server.start();
        return server;
    }

    private static void answer(String name, HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            byte[] out = reply(name, exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                    exchange.getRemoteAddress(), body).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(200, out.length);
            try (OutputStream o = exchange.getResponseBody()) {
                o.write(out);
            }
        }
    }
}
