package dev.overlay.nio;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** A self-signed certificate for localhost / 127.0.0.1, made once per JVM with the JDK's keytool. */
final class TestTls {
    private static final char[] PASSWORD = "changeit".toCharArray();
    private static final ReentrantLock LOCK = new ReentrantLock();
    private static SSLContext context;
    private static KeyStore keyStore;

    private TestTls() {}

    /** An SSLContext that presents the certificate and trusts only it. */
    static SSLContext context() throws Exception {
        LOCK.lock();
        try {
            if (context == null) {
                context = make();
            }
            return context;
        } finally {
            LOCK.unlock();
        }
    }

    /** The key store behind {@link #context()} (its certificate is the one to trust). */
    static KeyStore keyStore() throws Exception {
        context();
        return keyStore;
    }

    private static SSLContext make() throws Exception {
        Path dir = Files.createTempDirectory("overlay-tls");
        Path store = dir.resolve("test.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-keyalg", "EC", "-groupname", "secp256r1",
                "-alias", "test", "-dname", "CN=localhost", "-ext", "san=dns:localhost,ip:127.0.0.1",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(),
                "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("keytool failed: " + out);
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASSWORD);
        }
        keyStore = ks;
        Files.delete(store);
        Files.delete(dir);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return c;
    }
}
