package dev.overlay.compat.http;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/** {@code java.net.http.HttpClient}, HTTP/1.1, asynchronous sends: args {@code URL_BASE...}. */
public final class JdkHttpClientApp {
    private JdkHttpClientApp() {}

    public static void main(String[] args) {
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(ClientRun.CONNECT_TIMEOUT)
                .build();
        ClientRun.run("jdk-httpclient", args, new ClientRun.Client() {
            @Override
            public CompletableFuture<ClientRun.Reply> send(URI uri, byte[] body) {
                HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(ClientRun.REQUEST_TIMEOUT);
                b = body == null ? b.GET() : b.POST(HttpRequest.BodyPublishers.ofByteArray(body));
                return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray()).thenApply(r -> {
                    Map<String, String> h = new TreeMap<>();
                    r.headers().map().forEach((k, v) -> h.put(k, v.get(0)));
                    return new ClientRun.Reply(r.statusCode(), h, r.body());
                });
            }

            @Override
            public void close() {
                // HttpClient is AutoCloseable only from JDK 21; its threads are daemons.
            }
        });
    }
}
