package dev.overlay.compat.http;

import java.net.URI;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpMethod;

/** Jetty 12 {@code HttpClient} (HTTP/1.1 transport, NIO), asynchronous sends: args {@code URL_BASE...}. */
public final class JettyClientApp {
    private JettyClientApp() {}

    public static void main(String[] args) throws Exception {
        HttpClient http = new HttpClient();
        http.setConnectTimeout(ClientRun.CONNECT_TIMEOUT.toMillis());
        http.setIdleTimeout(ClientRun.REQUEST_TIMEOUT.toMillis());
        http.start();
        ClientRun.run("jetty-client", args, new ClientRun.Client() {
            @Override
            public CompletableFuture<ClientRun.Reply> send(URI uri, byte[] body) {
                Request req = http.newRequest(uri).timeout(ClientRun.REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                if (body != null) {
                    req.method(HttpMethod.POST).body(new BytesRequestContent("application/octet-stream", body));
                }
                return new CompletableResponseListener(req, Exchange.MAX_BODY).send().thenApply(res -> {
                    Map<String, String> h = new TreeMap<>();
                    for (HttpField f : res.getHeaders()) {
                        h.putIfAbsent(f.getName(), f.getValue());
                    }
                    return new ClientRun.Reply(res.getStatus(), h, res.getContent());
                });
            }

            @Override
            public void close() throws java.io.IOException {
                try {
                    http.stop();
                } catch (Exception e) {
                    throw new java.io.IOException("stopping the Jetty client", e);
                }
            }
        });
    }
}
