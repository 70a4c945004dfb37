package dev.overlay.compat.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.Executors;

/** {@code com.sun.net.httpserver.HttpServer} on the wildcard address: args {@code PORT}. */
public final class JdkHttpServerApp {
    private JdkHttpServerApp() {}

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(args[0]);
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 64);
        server.setExecutor(Executors.newFixedThreadPool(16));
        server.createContext("/", JdkHttpServerApp::handle);
        server.start();
        Exchange.ready(server.getAddress().getPort());
    }

    private static void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            Exchange.Answer a = Exchange.answer(ex.getRequestMethod(), ex.getRequestURI().getPath(),
                    ex.getRequestURI().getRawQuery(), body, ex.getRemoteAddress());
            for (Map.Entry<String, String> h : a.headers().entrySet()) {
                ex.getResponseHeaders().set(h.getKey(), h.getValue());
            }
            ex.sendResponseHeaders(a.status(), a.body().length == 0 ? -1 : a.body().length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(a.body());
            }
        }
    }
}
