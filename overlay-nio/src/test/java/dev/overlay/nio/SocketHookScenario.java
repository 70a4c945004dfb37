package dev.overlay.nio;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * Runs in a JVM of its own (the hook is global and permanent): {@link SocketHookTest} starts it.
 * With argument {@code without-opens} it only tries to install the hook and prints what happened;
 * otherwise it installs the hook and runs every case, printing "OK name" for each, and exits 1 on
 * the first failure.
 */
public final class SocketHookScenario {
    private static final int TIMEOUT_MS = 20_000;
    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r);
        t.setDaemon(true);
        return t;
    });

    private SocketHookScenario() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 1 && args[0].equals("experiment")) {
            experiment(args[1].equals("null-for-no-arg"));
            return;
        }
        if (args.length > 0 && args[0].equals("without-opens")) {
            try {
                OverlaySocketHook.install(() -> {
                    throw new IllegalStateException("not used");
                });
                System.out.println("INSTALLED");
            } catch (IllegalStateException e) {
                System.out.println("REFUSED " + e.getMessage());
                System.out.println("HOOK INSTALLED: " + OverlaySocketHook.isInstalled());
            }
            return;
        }
        try {
            run();
            System.out.println("ALL OK");
            System.exit(0);
        } catch (Throwable t) {
            System.out.println("FAILED " + t);
            t.printStackTrace(System.out);
            System.exit(1);
        }
    }

    /**
     * The experiment behind the hook's shape: a client factory whose impl is not the JDK's, on a
     * kernel ServerSocket subclass that accepts with implAccept(new Socket()), and on a socket
     * configured before implAccept. With {@code nullForNoArg} the factory answers null for the
     * no-argument constructor, as the hook does.
     */
    @SuppressWarnings("deprecation")
    private static void experiment(boolean nullForNoArg) throws Exception {
        StackWalker walker = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
        Socket.setSocketImplFactory(() -> {
            boolean noArg = walker.walk(frames -> frames
                    .dropWhile(f -> f.getDeclaringClass() != Socket.class)
                    .dropWhile(f -> f.getMethodName().equals("setImpl") || f.getMethodName().equals("createImpl"))
                    .findFirst()
                    .map(f -> f.getMethodName().equals("<init>") && f.getDescriptor().equals("()V"))
                    .orElse(false));
            return nullForNoArg && noArg ? null : new OverlaySocketImpl(() -> {
                throw new IllegalStateException("no overlay in this experiment");
            });
        });
        for (boolean configureFirst : new boolean[] {false, true}) {
            String name = configureFirst ? "setSoTimeout then implAccept" : "implAccept(new Socket())";
            try (ImplAcceptServer server = new ImplAcceptServer(configureFirst);
                 java.nio.channels.SocketChannel client = java.nio.channels.SocketChannel.open(
                         new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()));
                 Socket accepted = server.accept()) {
                System.out.println("EXPERIMENT " + name + ": accepted " + accepted.getPort());
            } catch (IOException e) {
                System.out.println("EXPERIMENT " + name + ": " + e);
            }
        }
    }

    private static void ok(String name) {
        System.out.println("OK " + name);
    }

    private static void run() throws Exception {
        SSLContext tls = TestTls.context();
        // Made before the hook: kernel servers of the platform kind must keep working.
        ServerSocket earlyPlain = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        ServerSocket earlyImplAccept = new ImplAcceptServer(false);
        SSLServerSocket earlyTls = (SSLServerSocket) tls.getServerSocketFactory()
                .createServerSocket(0, 50, InetAddress.getLoopbackAddress());

        JdkOptions jdk = new JdkOptions();
        try (NodeBackend server = NodeBackend.start(); NodeBackend local = NodeBackend.clientOf(server)) {
            OverlaySocketHook.install(local);
            ok("install");
            if (!OverlaySocketHook.isInstalled()) {
                throw new AssertionError("isInstalled() is false after install");
            }
            try {
                OverlaySocketHook.install(local);
                throw new AssertionError("a second install did not fail");
            } catch (IllegalStateException expected) {
                ok("second install refused: " + expected.getMessage());
            }

            overlaySocketByHandle(server);
            httpUrlConnectionToAnOverlayServer(server);
            tlsOverAnOverlaySocket(server, tls);
            plainServerSocketOnAServedPort(server, local);

            kernelEcho(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), "plain ServerSocket + Socket");
            kernelEcho(earlyPlain, "plain ServerSocket made before the hook + Socket");
            kernelEcho(new ImplAcceptServer(false), "ServerSocket subclass with implAccept(new Socket())");
            kernelEcho(new ImplAcceptServer(true), "ServerSocket subclass with setSoTimeout then implAccept");
            kernelEcho(earlyImplAccept, "implAccept(new Socket()) on a ServerSocket made before the hook");
            noProxySocket();
            httpsServerOnSslServerSocket((SSLServerSocket) tls.getServerSocketFactory()
                    .createServerSocket(0, 50, InetAddress.getLoopbackAddress()), tls, "SSLServerSocket HTTPS server + HttpsURLConnection");
            httpsServerOnSslServerSocket(earlyTls, tls, "SSLServerSocket made before the hook + HttpsURLConnection");
            sslSocketClient(tls);
            readTimeoutOnAKernelSocket();
            datagramSocket();
            optionsBeforeConnectAreThePlatformsOwn(jdk, server);
        }
    }

    // ------------------------------------------------------------------ overlay through unchanged code

    private static void overlaySocketByHandle(NodeBackend server) throws Exception {
        int port = 7001;
        server.serve(port);
        try (ServerSocket ss = new OverlayServerSocket(server, port)) {
            CompletableFuture<Socket> accepted = accept(ss);
            try (Socket s = new Socket(server.handle(), port)) { // unchanged code
                s.setSoTimeout(TIMEOUT_MS);
                s.getOutputStream().write("hi".getBytes(StandardCharsets.UTF_8));
                Socket a = accepted.get(30, TimeUnit.SECONDS);
                check(new String(a.getInputStream().readNBytes(2), StandardCharsets.UTF_8).equals("hi"), "bytes arrive");
                check(server.id().equals(OverlaySocket.peerKey(s)), "peerKey(new Socket(...)) is the server's key");
                check(s.getInetAddress().equals(server.handle()), "remote address is the handle");
                a.close();
                check(s.getInputStream().read() == -1, "end of stream after the peer closed");
            }
        }
        ok("new Socket(handle, port) over the overlay");
    }

    private static void httpUrlConnectionToAnOverlayServer(NodeBackend server) throws Exception {
        int port = 7080;
        server.serve(port);
        try (ServerSocket ss = new OverlayServerSocket(server, port)) {
            CompletableFuture<String> served = CompletableFuture.supplyAsync(() -> serveOneHttpRequest(ss, "over the overlay"), POOL);
            URL url = new URL("http://[" + server.handle().getHostAddress() + "]:" + port + "/hello");
            HttpURLConnection c = (HttpURLConnection) url.openConnection();
            c.setConnectTimeout(TIMEOUT_MS);
            c.setReadTimeout(TIMEOUT_MS);
            String body;
            try (InputStream in = c.getInputStream()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            check(c.getResponseCode() == 200, "status 200");
            check(body.equals("over the overlay"), "body: " + body);
            check(served.get(30, TimeUnit.SECONDS).startsWith("GET /hello HTTP/1.1"), "request line");
        }
        ok("HttpURLConnection to an overlay server");
    }

    private static void tlsOverAnOverlaySocket(NodeBackend server, SSLContext tls) throws Exception {
        int port = 7443;
        server.serve(port);
        try (ServerSocket ss = new OverlayServerSocket(server, port)) {
            CompletableFuture<Integer> serverSide = CompletableFuture.supplyAsync(() -> {
                try (Socket raw = ss.accept();
                     SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(raw, null, raw.getPort(), true)) {
                    s.setUseClientMode(false);
                    int b = s.getInputStream().read();
                    s.getOutputStream().write(b * 2);
                    s.getOutputStream().flush();
                    return b;
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, POOL);
            try (Socket raw = new Socket(server.handle(), port);
                 SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(raw, "localhost", port, true)) {
                s.setSoTimeout(TIMEOUT_MS);
                s.getOutputStream().write(21);
                s.getOutputStream().flush();
                check(s.getInputStream().read() == 42, "TLS answer");
            }
            check(serverSide.get(30, TimeUnit.SECONDS) == 21, "TLS request");
        }
        ok("SSLSocketFactory.createSocket(overlaySocket, ...)");
    }

    private static void plainServerSocketOnAServedPort(NodeBackend server, NodeBackend local) throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort(); // free on the kernel now
        }
        local.serve(port);
        try (ServerSocket ss = new ServerSocket(port)) { // unchanged code, on a served port
            check(ss.getInetAddress().equals(local.handle()), "bound to the handle: " + ss.getInetAddress());
            try (Socket k = new Socket()) {
                k.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), TIMEOUT_MS);
                throw new AssertionError("a kernel connect to served port " + port + " succeeded");
            } catch (ConnectException expected) {
                // no kernel port
            }
            CompletableFuture<Socket> accepted = accept(ss);
            try (Socket c = new OverlaySocket(server.know(local.id()), local.handle(), port)) {
                c.getOutputStream().write(5);
                Socket a = accepted.get(30, TimeUnit.SECONDS);
                check(a.getInputStream().read() == 5, "overlay byte");
                check(server.id().equals(OverlaySocket.peerKey(a)), "peerKey of the accepted socket");
                a.close();
            }
        }
        ok("new ServerSocket(servedPort) accepts overlay streams only");
    }

    private static String serveOneHttpRequest(ServerSocket ss, String body) {
        try (Socket s = ss.accept()) {
            s.setSoTimeout(TIMEOUT_MS);
            BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
            String requestLine = r.readLine();
            String line;
            while ((line = r.readLine()) != null && !line.isEmpty()) {
                // headers
            }
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            OutputStream out = s.getOutputStream();
            out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + b.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.write(b);
            out.flush();
            return requestLine;
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    // ------------------------------------------------------------------ kernel things, unchanged

    /** A kernel server whose accept() uses implAccept, optionally on a socket configured first. */
    private static final class ImplAcceptServer extends ServerSocket {
        private final boolean configureFirst;

        ImplAcceptServer(boolean configureFirst) throws IOException {
            super(0, 50, InetAddress.getLoopbackAddress());
            this.configureFirst = configureFirst;
        }

        @Override
        public Socket accept() throws IOException {
            Socket s = new Socket();
            if (configureFirst) {
                s.setSoTimeout(TIMEOUT_MS);
            }
            implAccept(s);
            return s;
        }
    }

    private static void kernelEcho(ServerSocket ss, String name) throws Exception {
        try (ss) {
            CompletableFuture<Socket> accepted = accept(ss);
            try (Socket c = new Socket(InetAddress.getLoopbackAddress(), ss.getLocalPort())) {
                c.setSoTimeout(TIMEOUT_MS);
                Socket a = accepted.get(30, TimeUnit.SECONDS);
                c.getOutputStream().write(11);
                check(a.getInputStream().read() == 11, "byte to server");
                a.getOutputStream().write(12);
                check(c.getInputStream().read() == 12, "byte to client");
                check(a.getPort() == c.getLocalPort() && c.getPort() == ss.getLocalPort(), "ports");
                check(OverlaySocket.peerKey(c) == null && OverlaySocket.peerKey(a) == null, "no overlay peer");
                a.close();
            }
        }
        ok(name);
    }

    private static void noProxySocket() throws Exception {
        try (ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Socket> accepted = accept(ss);
            try (Socket c = new Socket(Proxy.NO_PROXY)) {
                c.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), ss.getLocalPort()), TIMEOUT_MS);
                c.getOutputStream().write(1);
                Socket a = accepted.get(30, TimeUnit.SECONDS);
                check(a.getInputStream().read() == 1, "byte");
                a.close();
            }
        }
        ok("new Socket(Proxy.NO_PROXY) to a kernel server");
    }

    private static void httpsServerOnSslServerSocket(SSLServerSocket ss, SSLContext tls, String name) throws Exception {
        try (ss) {
            CompletableFuture<String> served = CompletableFuture.supplyAsync(() -> serveOneHttpRequest(ss, "secure"), POOL);
            HttpsURLConnection c = (HttpsURLConnection) new URL("https://localhost:" + ss.getLocalPort() + "/s").openConnection();
            c.setSSLSocketFactory(tls.getSocketFactory());
            c.setConnectTimeout(TIMEOUT_MS);
            c.setReadTimeout(TIMEOUT_MS);
            String body;
            try (InputStream in = c.getInputStream()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            check(body.equals("secure"), "body: " + body);
            check(served.get(30, TimeUnit.SECONDS).startsWith("GET /s "), "request line");
        }
        ok(name);
    }

    private static void sslSocketClient(SSLContext tls) throws Exception {
        try (ServerSocket plain = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Integer> serverSide = CompletableFuture.supplyAsync(() -> {
                try (Socket raw = plain.accept();
                     SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(raw, null, raw.getPort(), true)) {
                    s.setUseClientMode(false);
                    int b = s.getInputStream().read();
                    s.getOutputStream().write(b + 1);
                    s.getOutputStream().flush();
                    return b;
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, POOL);
            try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket("localhost", plain.getLocalPort())) {
                s.setSoTimeout(TIMEOUT_MS);
                s.getOutputStream().write(9);
                s.getOutputStream().flush();
                check(s.getInputStream().read() == 10, "TLS answer");
            }
            check(serverSide.get(30, TimeUnit.SECONDS) == 9, "TLS request");
        }
        ok("SSLSocket client to a kernel server");
    }

    private static void readTimeoutOnAKernelSocket() throws Exception {
        try (ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Socket> accepted = accept(ss);
            try (Socket c = new Socket("127.0.0.1", ss.getLocalPort())) {
                Socket a = accepted.get(30, TimeUnit.SECONDS);
                c.setSoTimeout(100);
                try {
                    c.getInputStream().read();
                    throw new AssertionError("read did not time out");
                } catch (SocketTimeoutException expected) {
                    check(expected.getMessage().equals("Read timed out"), "JDK message: " + expected.getMessage());
                }
                c.shutdownOutput();
                check(a.getInputStream().read() == -1, "half-close reaches the server");
                a.close();
            }
        }
        ok("SO_TIMEOUT and half-close on a kernel socket");
    }

    private static void datagramSocket() throws Exception {
        try (DatagramSocket a = new DatagramSocket(0, InetAddress.getLoopbackAddress());
             DatagramSocket b = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            b.setSoTimeout(TIMEOUT_MS);
            a.send(new DatagramPacket(new byte[] {1, 2, 3}, 3, b.getLocalSocketAddress()));
            DatagramPacket p = new DatagramPacket(new byte[10], 10);
            b.receive(p);
            check(p.getLength() == 3, "datagram length");
        }
        ok("DatagramSocket");
    }

    // ------------------------------------------------------------------ helpers

    private static CompletableFuture<Socket> accept(ServerSocket ss) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                Socket s = ss.accept();
                s.setSoTimeout(TIMEOUT_MS);
                return s;
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }, POOL);
    }

    /** What the JDK's unhooked sockets say about options, read before the hook is installed. */
    private static final class JdkOptions {
        final java.util.Set<java.net.SocketOption<?>> socket;
        final java.util.Set<java.net.SocketOption<?>> server;
        final Object keepIdle;
        final Class<?> badRcvBuf;
        final Class<?> badKeepIdle;
        final Class<?> serverBadRcvBuf;

        JdkOptions() throws IOException {
            try (Socket s = new Socket(); ServerSocket ss = new ServerSocket()) {
                socket = s.supportedOptions();
                server = ss.supportedOptions();
                keepIdle = attempt(() -> s.getOption(jdk.net.ExtendedSocketOptions.TCP_KEEPIDLE));
                badRcvBuf = failure(() -> s.setOption(java.net.StandardSocketOptions.SO_RCVBUF, -1));
                badKeepIdle = failure(() -> s.setOption(jdk.net.ExtendedSocketOptions.TCP_KEEPIDLE, 0));
                serverBadRcvBuf = failure(() -> ss.setOption(java.net.StandardSocketOptions.SO_RCVBUF, -1));
            }
        }
    }

    private interface Call {
        Object call() throws Exception;
    }

    private static Object attempt(Call c) {
        try {
            return c.call();
        } catch (Exception e) {
            return e.getClass();
        }
    }

    private static Class<?> failure(Call c) {
        Object r = attempt(c);
        return r instanceof Class<?> k ? k : null;
    }

    private static void optionsBeforeConnectAreThePlatformsOwn(JdkOptions j, NodeBackend server) throws Exception {
        try (Socket s = new Socket(); ServerSocket ss = new ServerSocket()) {
            check(s.supportedOptions().equals(j.socket), "hooked Socket options " + s.supportedOptions() + " != " + j.socket);
            check(ss.supportedOptions().equals(j.server), "hooked ServerSocket options " + ss.supportedOptions() + " != " + j.server);
            Object keepIdle = attempt(() -> s.getOption(jdk.net.ExtendedSocketOptions.TCP_KEEPIDLE));
            check(java.util.Objects.equals(keepIdle, j.keepIdle), "TCP_KEEPIDLE " + keepIdle + " != " + j.keepIdle);
            Class<?> badRcvBuf = failure(() -> s.setOption(java.net.StandardSocketOptions.SO_RCVBUF, -1));
            check(badRcvBuf != null && badRcvBuf == j.badRcvBuf, "SO_RCVBUF -1: " + badRcvBuf + " != " + j.badRcvBuf);
            Class<?> badKeepIdle = failure(() -> s.setOption(jdk.net.ExtendedSocketOptions.TCP_KEEPIDLE, 0));
            check(badKeepIdle == j.badKeepIdle, "TCP_KEEPIDLE 0: " + badKeepIdle + " != " + j.badKeepIdle);
            Class<?> serverBad = failure(() -> ss.setOption(java.net.StandardSocketOptions.SO_RCVBUF, -1));
            check(serverBad != null && serverBad == j.serverBadRcvBuf, "server SO_RCVBUF -1: " + serverBad + " != " + j.serverBadRcvBuf);
        }
        if (j.socket.contains(jdk.net.ExtendedSocketOptions.TCP_KEEPIDLE)) {
            // set before connect, kept by a kernel connect
            try (ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress()); Socket c = new Socket()) {
                c.setOption(jdk.net.ExtendedSocketOptions.TCP_KEEPIDLE, 42);
                check(c.getOption(jdk.net.ExtendedSocketOptions.TCP_KEEPIDLE) == 42, "TCP_KEEPIDLE not remembered before connect");
                c.connect(ss.getLocalSocketAddress(), 20_000);
                check(c.getOption(jdk.net.ExtendedSocketOptions.TCP_KEEPIDLE) == 42, "TCP_KEEPIDLE lost by a kernel connect");
                ss.accept().close();
            }
        }
        // extended options set before an overlay connect do not stop it
        server.serve(7002);
        try (ServerSocket ss = new OverlayServerSocket(server, 7002)) {
            CompletableFuture<Socket> accepted = accept(ss);
            try (Socket c = new Socket()) {
                c.setTcpNoDelay(true);
                if (j.socket.contains(jdk.net.ExtendedSocketOptions.TCP_KEEPIDLE)) {
                    c.setOption(jdk.net.ExtendedSocketOptions.TCP_KEEPIDLE, 42);
                }
                c.connect(new InetSocketAddress(server.handle(), ss.getLocalPort()), 20_000);
                check(c.getTcpNoDelay(), "TCP_NODELAY lost by an overlay connect");
                accepted.get(30, TimeUnit.SECONDS).close();
            }
        }
        ok("options before connect and bind are the platform's");
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }
}
