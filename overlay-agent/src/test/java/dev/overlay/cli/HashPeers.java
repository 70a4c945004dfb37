package dev.overlay.cli;

import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

/**
 * Plain kernel-TCP programs for tests that need them in another network namespace:
 * {@code sink PORT} accepts one connection, hashes everything until end of stream and answers with
 * the SHA-256; {@code source HOST:PORT MIB SEED} sends seeded bytes, half-closes, and prints
 * "sent <hex>" and "answer <hex>".
 */
public final class HashPeers {
    private HashPeers() {}

    public static void main(String[] args) throws Exception {
        if (args[0].equals("sink")) {
            sink(Integer.parseInt(args[1]));
        } else {
            String[] hp = args[1].split(":");
            source(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), Integer.parseInt(args[2]), Long.parseLong(args[3]));
        }
    }

    private static void sink(int port) throws Exception {
        try (ServerSocket server = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            System.out.println("listening " + server.getLocalPort());
            try (Socket s = server.accept()) {
                hashAndAnswer(s);
            }
        }
    }

    /** Reads {@code s} to end of stream, then writes back the SHA-256 of what it read and half-closes. */
    static void hashAndAnswer(Socket s) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        InputStream in = s.getInputStream();
        byte[] buf = new byte[65536];
        int n;
        while ((n = in.read(buf)) >= 0) {
            sha.update(buf, 0, n);
        }
        OutputStream out = s.getOutputStream();
        out.write(sha.digest());
        s.shutdownOutput();
    }

    private static void source(InetSocketAddress to, int mib, long seed) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(to, 30_000);
            s.setSoTimeout(120_000);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            Random random = new Random(seed);
            byte[] chunk = new byte[1 << 20];
            OutputStream out = s.getOutputStream();
            for (int i = 0; i < mib; i++) {
                random.nextBytes(chunk);
                sha.update(chunk);
                out.write(chunk);
            }
            s.shutdownOutput();
            byte[] answer = new byte[32];
            new DataInputStream(s.getInputStream()).readFully(answer);
            System.out.println("sent " + HexFormat.of().formatHex(sha.digest()));
            System.out.println("answer " + HexFormat.of().formatHex(answer));
        }
    }
}
