package dev.overlay.compat.http;

import java.net.URI;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.config.TlsConfig;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http2.HttpVersionPolicy;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.util.Timeout;

/** Apache HttpClient 5 async (its NIO I/O reactor), HTTP/1.1: args {@code URL_BASE...}. */
public final class ApacheAsyncApp {
    private ApacheAsyncApp() {}

    public static void main(String[] args) {
        CloseableHttpAsyncClient http = HttpAsyncClients.custom()
                .setConnectionManager(PoolingAsyncClientConnectionManagerBuilder.create()
                        .setDefaultConnectionConfig(ConnectionConfig.custom()
                                .setConnectTimeout(Timeout.of(ClientRun.CONNECT_TIMEOUT))
                                .setSocketTimeout(Timeout.of(ClientRun.REQUEST_TIMEOUT))
                                .build())
                        .setDefaultTlsConfig(TlsConfig.custom().setVersionPolicy(HttpVersionPolicy.FORCE_HTTP_1).build())
                        .setMaxConnPerRoute(ClientRun.CONCURRENT * 2)
                        .setMaxConnTotal(ClientRun.CONCURRENT * 4)
                        .build())
                .setIOReactorConfig(IOReactorConfig.custom().setSoTimeout(Timeout.of(ClientRun.REQUEST_TIMEOUT)).build())
                .setDefaultRequestConfig(RequestConfig.custom()
                        .setResponseTimeout(Timeout.of(ClientRun.REQUEST_TIMEOUT))
                        .build())
                .build();
        http.start();
        ClientRun.run("apache-async", args, new ClientRun.Client() {
            @Override
            public CompletableFuture<ClientRun.Reply> send(URI uri, byte[] body) {
                SimpleHttpRequest req = body == null ? SimpleRequestBuilder.get(uri).build()
                        : SimpleRequestBuilder.post(uri).setBody(body, ContentType.APPLICATION_OCTET_STREAM).build();
                CompletableFuture<ClientRun.Reply> f = new CompletableFuture<>();
                http.execute(req, new FutureCallback<SimpleHttpResponse>() {
                    @Override
                    public void completed(SimpleHttpResponse res) {
                        Map<String, String> h = new TreeMap<>();
                        for (Header header : res.getHeaders()) {
                            h.putIfAbsent(header.getName(), header.getValue());
                        }
                        byte[] got = res.getBodyBytes();
                        f.complete(new ClientRun.Reply(res.getCode(), h, got == null ? new byte[0] : got));
                    }

                    @Override
                    public void failed(Exception e) {
                        f.completeExceptionally(e);
                    }

                    @Override
                    public void cancelled() {
                        f.cancel(false);
                    }
                });
                return f;
            }

            @Override
            public void close() {
                http.close(CloseMode.GRACEFUL);
            }
        });
    }
}
