package dev.overlay.compat.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;

/** {@code HttpURLConnection} (the JDK's keep-alive cache), blocking calls on 8 threads: args {@code URL_BASE...}. */
public final class UrlConnectionApp {
    private UrlConnectionApp() {}

    public static void main(String[] args) {
        ExecutorService pool = ClientRun.blockingPool();
        ClientRun.run("urlconnection", args, new ClientRun.Client() {
            @Override
            public CompletableFuture<ClientRun.Reply> send(URI uri, byte[] body) {
                return CompletableFuture.supplyAsync(() -> {
                    try {
                        return call(uri, body);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }, pool);
            }

            @Override
            public void close() {
                pool.shutdownNow();
            }
        });
    }

    static ClientRun.Reply call(URI uri, byte[] body) throws IOException {
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
        c.setConnectTimeout((int) ClientRun.CONNECT_TIMEOUT.toMillis());
        c.setReadTimeout((int) ClientRun.REQUEST_TIMEOUT.toMillis());
        if (body != null) {
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.setFixedLengthStreamingMode(body.length);
            try (OutputStream out = c.getOutputStream()) {
                out.write(body);
            }
        }
        int status = c.getResponseCode();
        byte[] got;
        try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
            got = in == null ? new byte[0] : in.readAllBytes();
        }
        Map<String, String> h = new TreeMap<>();
        for (Map.Entry<String, List<String>> e : c.getHeaderFields().entrySet()) {
            if (e.getKey() != null) {
                h.put(e.getKey(), e.getValue().get(0));
            }
        }
        return new ClientRun.Reply(status, h, got);
    }
}
