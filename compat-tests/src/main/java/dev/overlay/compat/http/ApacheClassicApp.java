package dev.overlay.compat.http;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.io.support.ClassicRequestBuilder;
import org.apache.hc.core5.util.Timeout;

/** Apache HttpClient 5 classic (pooling connection manager), blocking calls on 8 threads: args {@code URL_BASE...}. */
public final class ApacheClassicApp {
    private ApacheClassicApp() {}

    public static void main(String[] args) {
        CloseableHttpClient http = HttpClients.custom()
                .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                        .setDefaultConnectionConfig(ConnectionConfig.custom()
                                .setConnectTimeout(Timeout.of(ClientRun.CONNECT_TIMEOUT))
                                .setSocketTimeout(Timeout.of(ClientRun.REQUEST_TIMEOUT))
                                .build())
                        .setMaxConnPerRoute(ClientRun.CONCURRENT * 2)
                        .setMaxConnTotal(ClientRun.CONCURRENT * 4)
                        .build())
                .setDefaultRequestConfig(RequestConfig.custom()
                        .setResponseTimeout(Timeout.of(ClientRun.REQUEST_TIMEOUT))
                        .build())
                .build();
        ExecutorService pool = ClientRun.blockingPool();
        ClientRun.run("apache-classic", args, new ClientRun.Client() {
            @Override
            public CompletableFuture<ClientRun.Reply> send(URI uri, byte[] body) {
                ClassicHttpRequest req = body == null ? ClassicRequestBuilder.get(uri).build()
                        : ClassicRequestBuilder.post(uri)
                                .setEntity(new ByteArrayEntity(body, ContentType.APPLICATION_OCTET_STREAM)).build();
                return CompletableFuture.supplyAsync(() -> {
                    try {
                        return http.execute(req, res -> {
                            Map<String, String> h = new TreeMap<>();
                            for (Header header : res.getHeaders()) {
                                h.putIfAbsent(header.getName(), header.getValue());
                            }
                            byte[] got = res.getEntity() == null ? new byte[0] : EntityUtils.toByteArray(res.getEntity());
                            return new ClientRun.Reply(res.getCode(), h, got);
                        });
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }, pool);
            }

            @Override
            public void close() throws IOException {
                pool.shutdownNow();
                http.close();
            }
        });
    }
}
