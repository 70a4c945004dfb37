package dev.overlay.nio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.overlay.identity.NodeId;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Dns;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.CloseableHttpResponse;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.socket.ConnectionSocketFactory;
import org.apache.hc.client5.http.socket.PlainConnectionSocketFactory;
import org.apache.hc.client5.http.ssl.NoopHostnameVerifier;
import org.apache.hc.client5.http.ssl.SSLConnectionSocketFactory;
import org.apache.hc.core5.http.config.Registry;
import org.apache.hc.core5.http.config.RegistryBuilder;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.pool.PoolConcurrencyPolicy;
import org.apache.hc.core5.pool.PoolReusePolicy;
import org.apache.hc.core5.util.TimeValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * OkHttp and Apache HttpClient 5 with {@link OverlaySocketFactory}, exactly as docs/nio.md shows:
 * one client reaches an HTTP server on the overlay (by name and by handle) and one on the kernel.
 */
class SocketFactoryClientsTest {
    private NodeBackend server;
    private NodeBackend client;
    private ServerSocket overlayHttp;
    private ServerSocket kernelHttp;
    private ServerSocket overlayHttps;
    private final int tlsPort = 8443;
    private ExecutorService threads;
    private final AtomicInteger connections = new AtomicInteger();
    private int port;

    @BeforeEach
    void start() throws IOException {
        server = NodeBackend.start();
        client = NodeBackend.clientOf(server);
        port = 8080;
        server.serve(port);
        server.serve(tlsPort);
        threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "http-test");
            t.setDaemon(true);
            return t;
        });
        overlayHttp = new OverlayServerSocket(server, port);
        kernelHttp = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(() -> serve(overlayHttp, "overlay"));
        threads.execute(() -> serve(kernelHttp, "kernel"));
        overlayHttps = new OverlayServerSocket(server, tlsPort);
        threads.execute(() -> serve(overlayHttps, "overlay-tls"));
    }

    @AfterEach
    void stop() throws IOException {
        overlayHttp.close();
        kernelHttp.close();
        overlayHttps.close();
        threads.shutdownNow();
        client.close();
        server.close();
    }

    /** A tiny HTTP/1.1 server: keep-alive, GET only, answers "<which> <path>". */
    private void serve(ServerSocket ss, String which) {
        while (!ss.isClosed()) {
            Socket accepted;
            try {
                accepted = ss.accept();
            } catch (IOException e) {
                return;
            }
            connections.incrementAndGet();
            threads.execute(() -> {
                try (Socket raw = accepted; Socket s = which.endsWith("tls") ? tlsServerSide(raw) : raw) {
                    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                    OutputStream out = s.getOutputStream();
                    String requestLine;
                    while ((requestLine = in.readLine()) != null) {
                        String line;
                        while ((line = in.readLine()) != null && !line.isEmpty()) {
                            // headers
                        }
                        byte[] body = (which + " " + requestLine.split(" ")[1]).getBytes(StandardCharsets.UTF_8);
                        out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length
                                + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                        out.write(body);
                        out.flush();
                    }
                } catch (IOException e) {
                    // the client went away
                }
            });
        }
    }

    private static Socket tlsServerSide(Socket raw) throws IOException {
        try {
            javax.net.ssl.SSLSocket t = (javax.net.ssl.SSLSocket) TestTls.context().getSocketFactory()
                    .createSocket(raw, null, raw.getPort(), true);
            t.setUseClientMode(false);
            return t;
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    /** Overlay names map to their handles (carrying the name); others go to the system resolver. */
    private static InetAddress[] resolve(String host) throws UnknownHostException {
        if (NodeId.isOverlayName(host)) {
            return new InetAddress[] {InetAddress.getByAddress(host, NodeId.parse(host).handle().getAddress())};
        }
        return InetAddress.getAllByName(host);
    }

    private String overlayByName(String path) {
        return "http://" + server.id().name() + ":" + port + path;
    }

    private String overlayByHandle(String path) {
        return "http://[" + server.handle().getHostAddress() + "]:" + port + path;
    }

    private String kernel(String path) {
        return "http://127.0.0.1:" + kernelHttp.getLocalPort() + path;
    }

    @Test
    void okHttpWithTheFactoryReachesOverlayAndKernelServers() throws Exception {
        OkHttpClient http = new OkHttpClient.Builder()
                .socketFactory(new OverlaySocketFactory(client))
                .dns(host -> NodeId.isOverlayName(host) ? List.of(resolve(host)) : Dns.SYSTEM.lookup(host))
                .build();
        try {
            for (int i = 0; i < 20; i++) {
                assertThat(get(http, overlayByName("/n" + i))).isEqualTo("overlay /n" + i);
                assertThat(get(http, overlayByHandle("/h" + i))).isEqualTo("overlay /h" + i);
                assertThat(get(http, kernel("/k" + i))).isEqualTo("kernel /k" + i);
            }
            assertThat(connections.get()).isLessThan(60); // the pool reused connections
            OkHttpClient tls = http.newBuilder()
                    .sslSocketFactory(TestTls.context().getSocketFactory(), trustManager())
                    .hostnameVerifier((host, session) -> true)
                    .build();
            assertThat(get(tls, "https://" + server.id().name() + ":" + tlsPort + "/secure")).isEqualTo("overlay-tls /secure");
        } finally {
            http.dispatcher().executorService().shutdown();
            http.connectionPool().evictAll();
        }
    }

    private static javax.net.ssl.X509TrustManager trustManager() throws Exception {
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(TestTls.keyStore());
        return (javax.net.ssl.X509TrustManager) tmf.getTrustManagers()[0];
    }

    private static String get(OkHttpClient http, String url) throws IOException {
        try (Response r = http.newCall(new Request.Builder().url(url).build()).execute()) {
            assertThat(r.code()).isEqualTo(200);
            return r.body().string();
        }
    }

    @Test
    void apacheHttpClient5WithTheFactoryReachesOverlayAndKernelServers() throws Exception {
        OverlaySocketFactory overlay = new OverlaySocketFactory(client);
        Registry<ConnectionSocketFactory> sockets = RegistryBuilder.<ConnectionSocketFactory>create()
                .register("http", new PlainConnectionSocketFactory() {
                    @Override
                    public Socket createSocket(HttpContext context) throws IOException {
                        return overlay.createSocket();
                    }
                })
                .register("https", new SSLConnectionSocketFactory(TestTls.context(), NoopHostnameVerifier.INSTANCE) {
                    @Override
                    public Socket createSocket(HttpContext context) throws IOException {
                        return overlay.createSocket(); // TLS is layered on it
                    }
                })
                .build();
        DnsResolver dns = new DnsResolver() {
            @Override
            public InetAddress[] resolve(String host) throws UnknownHostException {
                return SocketFactoryClientsTest.resolve(host);
            }

            @Override
            public String resolveCanonicalHostname(String host) {
                return host;
            }
        };
        PoolingHttpClientConnectionManager pool = new PoolingHttpClientConnectionManager(sockets,
                PoolConcurrencyPolicy.STRICT, PoolReusePolicy.LIFO, TimeValue.NEG_ONE_MILLISECOND, null, dns, null);
        try (CloseableHttpClient http = HttpClients.custom().setConnectionManager(pool).build()) {
            for (int i = 0; i < 20; i++) {
                assertThat(get(http, overlayByName("/n" + i))).isEqualTo("overlay /n" + i);
                assertThat(get(http, overlayByHandle("/h" + i))).isEqualTo("overlay /h" + i);
                assertThat(get(http, kernel("/k" + i))).isEqualTo("kernel /k" + i);
            }
            assertThat(get(http, "https://" + server.id().name() + ":" + tlsPort + "/secure")).isEqualTo("overlay-tls /secure");
            assertThat(connections.get()).isLessThan(62);
        }
    }

    private static String get(CloseableHttpClient http, String url) throws Exception {
        try (CloseableHttpResponse r = http.execute(new HttpGet(url))) {
            assertThat(r.getCode()).isEqualTo(200);
            return EntityUtils.toString(r.getEntity());
        }
    }
}
