package dev.overlay.compat.http;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What every server app answers, whatever its framework: {@code POST /echo} returns the request
 * body with {@code X-Sha256} (of the body received); {@code GET /bytes?n=N&seed=S} returns
 * {@link Payload#bytes(long, int)}. Every answer carries {@code X-Remote} (the remote host the
 * server saw, as {@code InetAddress.getHostAddress()}) and {@code X-Remote-Port} (its port, so a
 * client can tell whether requests shared a connection).
 */
public final class Exchange {
    /** The largest body a server accepts or generates. */
    public static final int MAX_BODY = 16 << 20;

    /** An answer: status, headers to add, body. */
    public record Answer(int status, Map<String, String> headers, byte[] body) {}

    private Exchange() {}

    public static Answer answer(String method, String path, String query, byte[] body, SocketAddress remote) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (remote instanceof InetSocketAddress r) {
            headers.put("X-Remote", r.getAddress() == null ? r.getHostString() : r.getAddress().getHostAddress());
            headers.put("X-Remote-Port", Integer.toString(r.getPort()));
        } else {
            headers.put("X-Remote", String.valueOf(remote));
        }
        if ("POST".equals(method) && "/echo".equals(path)) {
            headers.put("X-Sha256", Payload.sha256(body));
            return new Answer(200, headers, body);
        }
        if ("GET".equals(method) && "/bytes".equals(path)) {
            int n;
            long seed;
            try {
                n = Integer.parseInt(String.valueOf(Payload.param(query, "n")));
                seed = Long.parseLong(String.valueOf(Payload.param(query, "seed")));
            } catch (NumberFormatException e) {
                return new Answer(400, headers, "n and seed must be numbers\n".getBytes());
            }
            if (n < 0 || n > MAX_BODY) {
                return new Answer(400, headers, ("n must be 0.." + MAX_BODY + "\n").getBytes());
            }
            return new Answer(200, headers, Payload.bytes(seed, n));
        }
        return new Answer(404, headers, ("no " + method + " " + path + "\n").getBytes());
    }

    /**
     * Prints {@code READY <port>} and makes the JVM exit (status 0) when its standard input
     * closes: a server outlives no test that started it, even one that was killed.
     */
    public static void ready(int port) {
        System.out.println("READY " + port);
        System.out.flush();
        Thread t = new Thread(() -> {
            try {
                InputStream in = System.in;
                byte[] buf = new byte[256];
                while (in.read(buf) >= 0) {
                    // discard
                }
            } catch (IOException e) {
                // treated as closed
            }
            System.out.println("stdin closed, exiting");
            System.exit(0);
        }, "stdin-watch");
        t.setDaemon(true);
        t.start();
    }
}
