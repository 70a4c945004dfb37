package dev.overlay.compat.http;

import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.Dispatcher;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;

/** OkHttp 4 (default socket factory and DNS), HTTP/1.1, asynchronous calls: args {@code URL_BASE...}. */
public final class OkHttpApp {
    private OkHttpApp() {}

    public static void main(String[] args) {
        Dispatcher dispatcher = new Dispatcher();
        dispatcher.setMaxRequestsPerHost(ClientRun.CONCURRENT * 2);
        OkHttpClient http = new OkHttpClient.Builder()
                .dispatcher(dispatcher)
                .protocols(java.util.List.of(Protocol.HTTP_1_1))
                .connectTimeout(ClientRun.CONNECT_TIMEOUT)
                .readTimeout(ClientRun.REQUEST_TIMEOUT)
                .writeTimeout(ClientRun.REQUEST_TIMEOUT)
                .callTimeout(ClientRun.REQUEST_TIMEOUT)
                .build();
        MediaType octets = MediaType.get("application/octet-stream");
        ClientRun.run("okhttp", args, new ClientRun.Client() {
            @Override
            public CompletableFuture<ClientRun.Reply> send(URI uri, byte[] body) {
                Request.Builder b = new Request.Builder().url(uri.toString());
                b = body == null ? b.get() : b.post(RequestBody.create(body, octets));
                CompletableFuture<ClientRun.Reply> f = new CompletableFuture<>();
                http.newCall(b.build()).enqueue(new Callback() {
                    @Override
                    public void onResponse(Call call, Response res) {
                        try (res; ResponseBody rb = res.body()) {
                            Map<String, String> h = new TreeMap<>();
                            for (String name : res.headers().names()) {
                                h.put(name, res.header(name));
                            }
                            f.complete(new ClientRun.Reply(res.code(), h, rb == null ? new byte[0] : rb.bytes()));
                        } catch (IOException | RuntimeException e) {
                            f.completeExceptionally(e);
                        }
                    }

                    @Override
                    public void onFailure(Call call, IOException e) {
                        f.completeExceptionally(e);
                    }
                });
                return f;
            }

            @Override
            public void close() {
                http.dispatcher().executorService().shutdown();
                http.connectionPool().evictAll();
            }
        });
    }
}
