package dev.overlay.compat.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.Executors;
import org.h2.tools.Server;

/**
 * The demo's server: an H2 database TCP server and a JDK HTTP server, written as any application
 * would write them (no overlay code). Run under the agent with {@code serve=HTTP;H2} they listen on
 * the overlay only. Runs until stopped (SIGTERM).
 *
 * <p>Arguments: {@code HTTP_PORT H2_PORT [H2_BASE_DIR]} (default: a new temporary directory).
 */
public final class DemoServer {
    private DemoServer() {}

    public static void main(String[] args) throws Exception {
        int httpPort = Integer.parseInt(args[0]);
        int h2Port = Integer.parseInt(args[1]);
        Path base = args.length > 2 ? Files.createDirectories(Path.of(args[2])) : Files.createTempDirectory("demo-h2-");
        Server h2 = Server.createTcpServer("-tcpPort", String.valueOf(h2Port), "-tcpAllowOthers", "-ifNotExists",
                "-baseDir", base.toString()).start();

        HttpServer http = HttpServer.create(new InetSocketAddress(httpPort), 64);
        http.setExecutor(Executors.newFixedThreadPool(4));
        http.createContext("/hello", ex -> reply(ex, ("hello from the demo server; you are "
                + ex.getRemoteAddress().getAddress().getHostAddress()).getBytes(StandardCharsets.UTF_8)));
        http.createContext("/upload", DemoServer::upload);
        http.start();
        System.out.println("READY http " + http.getAddress() + " h2 " + h2.getURL());
        System.out.flush();

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            http.stop(0);
            h2.stop();
        }));
        Thread.currentThread().join(); // until the demo stops this JVM
    }

    private static void upload(HttpExchange ex) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IOException(e);
        }
        long n = 0;
        byte[] buf = new byte[64 * 1024];
        try (InputStream body = ex.getRequestBody()) {
            for (int r; (r = body.read(buf)) > 0; ) {
                sha.update(buf, 0, r);
                n += r;
            }
        }
        reply(ex, (n + " " + HexFormat.of().formatHex(sha.digest())).getBytes(StandardCharsets.UTF_8));
    }

    private static void reply(HttpExchange ex, byte[] body) throws IOException {
        ex.sendResponseHeaders(200, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }
}
