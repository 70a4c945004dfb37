package dev.overlay.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.util.Enumeration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * JDK TLS 1.3 (SunJSSE {@link SSLSocket}) over kernel TCP on loopback, TCP_NODELAY, forced to
 * {@value #PROTOCOL} with {@value #CIPHER_SUITE} (AES-256-GCM, like the overlay's transport keys).
 *
 * <p>The server holds a self-signed ECDSA P-256 certificate made once per JVM by
 * {@code $JAVA_HOME/bin/keytool} in a temporary directory (deleted again right after loading);
 * the client trusts exactly that certificate (PKIX chain check, no host name check). The key
 * exchange group is the JDK 17 default first choice, x25519 (the overlay's DH too).
 *
 * <p>Every {@link #connect} performs a <em>full</em> handshake: the client's session cache is
 * emptied before each ClientHello, so no PSK resumption is offered. Noise IK has no resumption
 * either; a resumption variant would be a separate transport.
 */
public final class JdkTls13 implements Transport {
    static final String PROTOCOL = "TLSv1.3";
    static final String CIPHER_SUITE = "TLS_AES_256_GCM_SHA384";
    private static final String[] PROTOCOLS = {PROTOCOL};
    private static final String[] CIPHER_SUITES = {CIPHER_SUITE};
    /** Upper bound on the keytool run. */
    private static final long KEYTOOL_TIMEOUT_S = 60;

    /** Server and client contexts, built once per JVM (keytool takes about a second). */
    private record Contexts(SSLContext server, SSLContext client) {}

    private static Contexts contexts;

    private final SSLContext server;
    private final SSLContext client;

    public JdkTls13() throws IOException {
        Contexts c = contexts();
        this.server = c.server();
        this.client = c.client();
    }

    @Override
    public Listener listen() throws IOException {
        SSLServerSocket socket = (SSLServerSocket) server.getServerSocketFactory().createServerSocket();
        try {
            socket.setEnabledProtocols(PROTOCOLS);
            socket.setEnabledCipherSuites(CIPHER_SUITES);
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(KernelTcp.LOOPBACK, 0), KernelTcp.BACKLOG);
            socket.setSoTimeout(KernelTcp.TIMEOUT_MS);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
        return new KernelTcp.SocketListener(socket) {
            @Override
            void established(Socket accepted) throws IOException {
                ((SSLSocket) accepted).startHandshake();
            }
        };
    }

    @Override
    public Conn connect(Endpoint endpoint) throws IOException {
        forgetClientSessions();
        SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket();
        try {
            socket.setEnabledProtocols(PROTOCOLS);
            socket.setEnabledCipherSuites(CIPHER_SUITES);
            KernelTcp.configure(socket);
            socket.connect(KernelTcp.address(endpoint), KernelTcp.TIMEOUT_MS);
            socket.startHandshake();
            return new KernelTcp.SocketConn(socket);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** Invalidates every cached client session (at most a few: one client connects serially). */
    private void forgetClientSessions() {
        SSLSessionContext sessions = client.getClientSessionContext();
        for (Enumeration<byte[]> ids = sessions.getIds(); ids.hasMoreElements(); ) {
            SSLSession session = sessions.getSession(ids.nextElement());
            if (session != null) {
                session.invalidate();
            }
        }
    }

    private static synchronized Contexts contexts() throws IOException {
        if (contexts == null) {
            try {
                contexts = buildContexts();
            } catch (GeneralSecurityException e) {
                throw new IOException("cannot set up the TLS contexts", e);
            }
        }
        return contexts;
    }

    private static Contexts buildContexts() throws IOException, GeneralSecurityException {
        char[] password = "overlay-bench".toCharArray();
        KeyStore keys = selfSignedKeyStore(password);

        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, password);
        SSLContext server = SSLContext.getInstance(PROTOCOL);
        server.init(kmf.getKeyManagers(), null, new SecureRandom());

        Certificate cert = keys.getCertificate("server");
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("server", cert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(trusted);
        SSLContext client = SSLContext.getInstance(PROTOCOL);
        client.init(null, tmf.getTrustManagers(), new SecureRandom());
        return new Contexts(server, client);
    }

    /** Runs keytool into a temporary directory and loads the PKCS12 keystore it wrote. */
    private static KeyStore selfSignedKeyStore(char[] password) throws IOException, GeneralSecurityException {
        Path dir = Files.createTempDirectory("overlay-bench-tls");
        Path store = dir.resolve("server.p12");
        Path log = dir.resolve("keytool.log");
        try {
            String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
            String pass = new String(password);
            Process p = new ProcessBuilder(keytool, "-genkeypair", "-noprompt",
                            "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
                            "-sigalg", "SHA256withECDSA", "-dname", "CN=overlay-bench",
                            "-ext", "san=ip:127.0.0.1", "-validity", "7",
                            "-storetype", "PKCS12", "-keystore", store.toString(),
                            "-storepass", pass, "-keypass", pass)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            boolean done;
            try {
                done = p.waitFor(KEYTOOL_TIMEOUT_S, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                done = false;
            }
            if (!done) {
                p.destroyForcibly();
                throw new IOException("keytool did not finish within " + KEYTOOL_TIMEOUT_S + " s");
            }
            if (p.exitValue() != 0) {
                throw new IOException("keytool failed (exit " + p.exitValue() + "): "
                        + new String(Files.readAllBytes(log), StandardCharsets.UTF_8).trim());
            }
            KeyStore keys = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                keys.load(in, password);
            }
            return keys;
        } finally {
            Files.deleteIfExists(store);
            Files.deleteIfExists(log);
            Files.deleteIfExists(dir);
        }
    }
}
