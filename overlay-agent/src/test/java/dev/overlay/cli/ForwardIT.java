package dev.overlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve --port --to} and {@code forward} in two JVMs over real UDP on loopback: a kernel TCP
 * client talks to a kernel TCP server through the overlay, byte for byte, with half-close.
 */
class ForwardIT {
    private static final Duration LIMIT = Duration.ofSeconds(60);
    private static final Pattern SERVING = Pattern.compile("out: serving (\\S+) on udp 127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern FORWARDING = Pattern.compile("out: forwarding tcp 127\\.0\\.0\\.1:(\\d+) to .*");

    @TempDir
    Path dir;

    private String keygen(String file) throws Exception {
        return OverlayProcess.keygen(dir, file, LIMIT);
    }

    private static int port(OverlayProcess p, Pattern pattern, int group) throws Exception {
        return p.awaitPort(pattern, group, LIMIT);
    }

    /** A kernel TCP server that hashes everything it reads, then answers with the 32-byte SHA-256. */
    private static CompletableFuture<Void> hashingSink(ServerSocket server) {
        return CompletableFuture.runAsync(() -> {
            try (Socket s = server.accept()) {
                HashPeers.hashAndAnswer(s);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    @Test
    void twoHundredFiftySixMebibytesCrossServeAndForwardIntactWithHalfClose() throws Exception {
        String a = keygen("a.key");
        String b = keygen("b.key");
        try (ServerSocket sink = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> sinkDone = hashingSink(sink);
            try (OverlayProcess serve = OverlayProcess.start("serve", "--identity", dir.resolve("a.key").toString(),
                    "--bind", "127.0.0.1:0", "--port", "5432", "--to", "127.0.0.1:" + sink.getLocalPort())) {
                int udp = port(serve, SERVING, 2);
                try (OverlayProcess forward = OverlayProcess.start("forward", "--identity", dir.resolve("b.key").toString(),
                        "--bind", "127.0.0.1:0", "--peer", a + "@127.0.0.1:" + udp,
                        "--listen", "127.0.0.1:0", "--to", a + ":5432")) {
                    int local = port(forward, FORWARDING, 1);
                    byte[] expected;
                    byte[] answer = new byte[32];
                    long started = System.nanoTime();
                    try (Socket client = new Socket(InetAddress.getLoopbackAddress(), local)) {
                        client.setSoTimeout((int) LIMIT.toMillis());
                        MessageDigest sha = MessageDigest.getInstance("SHA-256");
                        Random random = new Random(256);
                        byte[] chunk = new byte[1 << 20];
                        OutputStream out = client.getOutputStream();
                        for (int i = 0; i < 256; i++) {
                            random.nextBytes(chunk);
                            sha.update(chunk);
                            out.write(chunk);
                        }
                        client.shutdownOutput();
                        expected = sha.digest();
                        new DataInputStream(client.getInputStream()).readFully(answer);
                        assertThat(client.getInputStream().read()).as("end of stream after the answer").isEqualTo(-1);
                    }
                    double secs = (System.nanoTime() - started) / 1e9;
                    System.out.printf("256 MiB through serve/forward in %.1f s (%.0f MB/s)%n", secs, 256 * 1.048576 / secs);
                    assertThat(answer).as("SHA-256 seen by the server").isEqualTo(expected);
                    sinkDone.get(30, TimeUnit.SECONDS);
                    // The server logs the connecting node by name.
                    assertThat(serve.lines()).anyMatch(l -> l.contains("stream from " + b + " connected to 127.0.0.1:" + sink.getLocalPort()));
                }
            }
        }
    }

    @Test
    void aKeyOutsideTheAllowListNeverReachesTheService() throws Exception {
        String a = keygen("a.key");
        keygen("b.key");
        String other = keygen("c.key");
        try (ServerSocket service = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             OverlayProcess serve = OverlayProcess.start("serve", "--identity", dir.resolve("a.key").toString(),
                     "--bind", "127.0.0.1:0", "--port", "5432", "--to", "127.0.0.1:" + service.getLocalPort(),
                     "--allow", other)) {
            int udp = port(serve, SERVING, 2);
            try (OverlayProcess forward = OverlayProcess.start("forward", "--identity", dir.resolve("b.key").toString(),
                    "--bind", "127.0.0.1:0", "--peer", a + "@127.0.0.1:" + udp,
                    "--listen", "127.0.0.1:0", "--to", a + ":5432")) {
                int local = port(forward, FORWARDING, 1);
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), local)) {
                    client.setSoTimeout((int) LIMIT.toMillis());
                    int first;
                    try {
                        first = client.getInputStream().read();
                    } catch (IOException reset) {
                        first = -1;
                    }
                    assertThat(first).as("the forwarder drops the connection").isEqualTo(-1);
                }
                forward.awaitLine(l -> l.contains("not allowed"), LIMIT);
                service.setSoTimeout(500);
                assertThat(serve.lines()).noneMatch(l -> l.contains("connected to"));
            }
        }
    }
}
