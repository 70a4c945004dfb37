package dev.overlay.compat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overlay.compat.http.ApacheAsyncApp;
import dev.overlay.compat.http.ApacheClassicApp;
import dev.overlay.compat.http.ClientRun;
import dev.overlay.compat.http.JdkHttpClientApp;
import dev.overlay.compat.http.JdkHttpServerApp;
import dev.overlay.compat.http.JettyClientApp;
import dev.overlay.compat.http.JettyServerApp;
import dev.overlay.compat.http.NettyClientApp;
import dev.overlay.compat.http.NettyServerApp;
import dev.overlay.compat.http.OkHttpApp;
import dev.overlay.compat.http.Payload;
import dev.overlay.compat.http.UrlConnectionApp;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The HTTP compat matrix: seven unchanged clients, each in its own JVM under the agent, against
 * three unchanged servers, each in its own JVM under the agent with {@code serve=<port>}, all
 * through one rendezvous on loopback and by {@code .overlay} name alone. Each client checks the
 * bytes both ways (echo SHA-256, a 4 MiB download against {@code Payload}); this test checks its
 * verdict lines, the download's SHA-256 and that the servers saw the client's own IPv6 handle.
 * Also: served ports refuse kernel TCP, {@code allow=} refuses other keys, and a JVM without the
 * agent cannot resolve a {@code .overlay} name.
 */
class CompatHttpIT {
    private static final Duration CLIENT_RUN = Duration.ofSeconds(120);
    private static final Pattern OK = Pattern.compile(
            "out: OK (\\S+) (\\S+) requests=(\\d+) bytes=(\\d+) sha256=([0-9a-f]{64}) remote=(\\S+) ms=(\\d+) phases=(.*)");

    private static CompatLab lab;
    /** The three servers: class name to its base URL, in start order. */
    private static final Map<String, String> BASES = new LinkedHashMap<>();
    private static final Map<String, JvmProcess> SERVERS = new LinkedHashMap<>();
    private static final Map<String, Integer> PORTS = new LinkedHashMap<>();
    /** A JdkHttpServerApp whose port admits {@link #allowed} only. */
    private static String restrictedBase;
    private static CompatLab.Node allowed;
    private static String expectedSha;

    @BeforeAll
    static void startServers() throws Exception {
        lab = CompatLab.start("http");
        allowed = lab.node("client-allowed");
        // All JVMs start at once; each is then awaited.
        for (Class<?> server : List.of(JdkHttpServerApp.class, JettyServerApp.class, NettyServerApp.class)) {
            start(server.getSimpleName(), server, "");
        }
        start("restricted", JdkHttpServerApp.class, ",allow=" + allowed.name());
        expectedSha = Payload.sha256(Payload.bytes(ClientRun.GET_SEED, ClientRun.BIG_GET));
        for (Map.Entry<String, JvmProcess> e : SERVERS.entrySet()) {
            int port = PORTS.get(e.getKey());
            e.getValue().awaitOut("READY " + port, CompatLab.START);
        }
        restrictedBase = BASES.remove("restricted");
    }

    private static void start(String key, Class<?> server, String moreOptions) throws Exception {
        CompatLab.Node node = lab.node("server-" + key);
        int port = CompatLab.freePort();
        SERVERS.put(key, lab.app(node, "serve=" + port + moreOptions, server, Integer.toString(port)));
        PORTS.put(key, port);
        BASES.put(key, "http://" + node.name() + ":" + port);
    }

    @AfterAll
    static void stop() throws Exception {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void jdkHttpClient() throws Exception {
        matrixRow(JdkHttpClientApp.class);
    }

    @Test
    void httpUrlConnection() throws Exception {
        matrixRow(UrlConnectionApp.class);
    }

    @Test
    void apacheClassic() throws Exception {
        matrixRow(ApacheClassicApp.class);
    }

    @Test
    void apacheAsync() throws Exception {
        matrixRow(ApacheAsyncApp.class);
    }

    @Test
    void okHttp() throws Exception {
        matrixRow(OkHttpApp.class);
    }

    @Test
    void jettyClient() throws Exception {
        matrixRow(JettyClientApp.class);
    }

    @Test
    void nettyClient() throws Exception {
        matrixRow(NettyClientApp.class);
    }

    /** {@code client} under the agent, as a node of its own, against the three servers. */
    private static void matrixRow(Class<?> client) throws Exception {
        CompatLab.Node node = lab.node("client-" + client.getSimpleName());
        List<String> bases = new ArrayList<>(BASES.values());
        JvmProcess p = lab.app(node, "", client, bases.toArray(String[]::new));
        p.awaitSuccess(CLIENT_RUN);
        List<Matcher> oks = okLines(p);
        assertThat(oks).as("OK lines of %s:\n%s", p.label(), p.output()).hasSize(bases.size());
        for (int i = 0; i < bases.size(); i++) {
            Matcher m = oks.get(i);
            assertThat(m.group(2)).as("base").isEqualTo(bases.get(i));
            assertThat(Integer.parseInt(m.group(3))).as("requests to %s", m.group(2)).isEqualTo(ClientRun.REQUESTS);
            assertThat(Long.parseLong(m.group(4))).as("bytes to and from %s", m.group(2))
                    .isGreaterThanOrEqualTo(2L * ClientRun.BIG_POST + ClientRun.BIG_GET);
            assertThat(m.group(5)).as("SHA-256 of the 4 MiB GET from %s", m.group(2)).isEqualTo(expectedSha);
            assertThat(m.group(6)).as("the remote address %s saw", m.group(2)).isEqualTo(node.handle());
        }
    }

    private static List<Matcher> okLines(JvmProcess p) {
        List<Matcher> oks = new ArrayList<>();
        for (String line : p.lines()) {
            Matcher m = OK.matcher(line);
            if (m.matches()) {
                System.out.println(p.label() + ": " + line.substring("out: ".length()));
                oks.add(m);
            }
        }
        return oks;
    }

    @Test
    void servedPortsRefuseKernelTcp() throws Exception {
        for (Map.Entry<String, Integer> e : PORTS.entrySet()) {
            int port = e.getValue();
            try (Socket s = new Socket()) {
                assertThatThrownBy(() -> s.connect(new InetSocketAddress("127.0.0.1", port), 5_000))
                        .as("kernel TCP to %s's served port %d", e.getKey(), port)
                        .isInstanceOf(ConnectException.class);
            }
            assertThat(SERVERS.get(e.getKey()).isAlive()).as("%s still running", e.getKey()).isTrue();
        }
    }

    @Test
    void allowRefusesOtherKeysOverBothHooks() throws Exception {
        // Two nodes the server does not admit: one through the provider (HttpClient), one through
        // the socket hook (HttpURLConnection). HttpClient retries a refused connect once on the
        // channel the refusal closed and then reports ConnectException(null) <-
        // ClosedChannelException, over the kernel as over the overlay; without that retry it
        // reports the refusal's own message.
        JvmProcess viaProvider = lab.app(lab.node("stranger-nio"), "", List.of("-Djdk.httpclient.disableRetryConnect=true"),
                JdkHttpClientApp.class, restrictedBase);
        JvmProcess viaSocket = lab.app(lab.node("stranger-socket"), "", UrlConnectionApp.class, restrictedBase);
        JvmProcess admitted = lab.app(allowed, "", OkHttpApp.class, restrictedBase);

        Pattern fail = Pattern.compile("out: FAIL \\S+ " + Pattern.quote(restrictedBase) + " (\\S+): (.*)");
        for (JvmProcess refused : List.of(viaProvider, viaSocket)) {
            assertThat(refused.awaitExit(CLIENT_RUN)).as("exit status of %s:\n%s", refused.label(), refused.output())
                    .isEqualTo(1);
            assertThat(okLines(refused)).as("%s output:\n%s", refused.label(), refused.output()).isEmpty();
            Matcher m = refused.lines().stream().map(fail::matcher).filter(Matcher::matches).findFirst()
                    .orElseThrow(() -> new AssertionError("no FAIL line from " + refused.label() + ":\n" + refused.output()));
            // Refused as a TCP connect is: a ConnectException (or a subclass), naming the reason.
            assertThat(ConnectException.class.isAssignableFrom(Class.forName(m.group(1))))
                    .as("%s is a ConnectException (%s)", m.group(1), refused.label()).isTrue();
            assertThat(m.group(2)).as("message of %s", refused.label()).contains("not allowed");
        }
        admitted.awaitSuccess(CLIENT_RUN);
        List<Matcher> oks = okLines(admitted);
        assertThat(oks).as("output of %s:\n%s", admitted.label(), admitted.output()).hasSize(1);
        assertThat(oks.get(0).group(5)).isEqualTo(expectedSha);
        assertThat(oks.get(0).group(6)).isEqualTo(allowed.handle());
    }

    @Test
    void withoutTheAgentOverlayNamesDoNotResolve() throws Exception {
        String base = BASES.values().iterator().next();
        JvmProcess p = lab.plainApp("no-agent", UrlConnectionApp.class, base);
        assertThat(p.awaitExit(CLIENT_RUN)).as("exit status:\n%s", p.output()).isEqualTo(1);
        assertThat(p.lines()).anyMatch(l -> l.startsWith("out: FAIL urlconnection " + base + " java.net.UnknownHostException"));
    }
}
