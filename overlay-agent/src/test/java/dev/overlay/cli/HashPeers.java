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
 * the SHA-256; {@code source HOST:PORT MIB SEED [MIB_PER_S]} sends seeded bytes (paced when a rate
 * is given), half-closes, and prints "connected MILLIS" when connected, then "sent <hex>" and
 * "answer <hex>".
 *
 * <p>{@code sinks PORT COUNT PROGRESS_KIB} is the sink for timing: it serves up to COUNT
 * connections at once, numbered 1.. in accept order, and prints, with wall-clock milliseconds
 * (comparable across the lab's processes, which share the clock), "first I MILLIS" on the first
 * byte, "progress I BYTES MILLIS" every PROGRESS_KIB and "done I BYTES HEX MILLIS" at end of stream.
 */
public final class HashPeers {
    private HashPeers() {}

    public static void main(String[] args) throws Exception {
        if (args[0].equals("sink")) {
            sink(Integer.parseInt(args[1]));
        } else if (args[0].equals("sinks")) {
            sinks(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]) * 1024L);
        } else {
            String[] hp = args[1].split(":");
            source(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), Integer.parseInt(args[2]), Long.parseLong(args[3]),
                    args.length > 4 ? Double.parseDouble(args[4]) : 0);
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

    /** No connection of {@code sinks} may take longer than this. */
    private static final int SINKS_LIFETIME_MS = 300_000;

    private static void sinks(int port, int count, long progressEvery) throws Exception {
        try (ServerSocket server = new ServerSocket(port, count, InetAddress.getLoopbackAddress())) {
            server.setSoTimeout(SINKS_LIFETIME_MS);
            System.out.println("listening " + server.getLocalPort());
            Thread[] threads = new Thread[count];
            for (int i = 0; i < count; i++) {
                Socket s = server.accept();
                int index = i + 1;
                threads[i] = new Thread(() -> {
                    try (s) {
                        s.setSoTimeout(SINKS_LIFETIME_MS);
                        timedHashAndAnswer(s, index, progressEvery);
                    } catch (Exception e) {
                        System.out.println("failed " + index + " " + e);
                    }
                }, "sink " + index);
                threads[i].start();
            }
            for (Thread t : threads) {
                t.join(SINKS_LIFETIME_MS);
            }
        }
    }

    private static void timedHashAndAnswer(Socket s, int index, long progressEvery) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        InputStream in = s.getInputStream();
        byte[] buf = new byte[65536];
        long total = 0;
        long nextProgress = progressEvery;
        int n;
        while ((n = in.read(buf)) >= 0) {
            if (total == 0 && n > 0) {
                System.out.println("first " + index + " " + System.currentTimeMillis());
            }
            sha.update(buf, 0, n);
            total += n;
            if (total >= nextProgress) {
                System.out.println("progress " + index + " " + total + " " + System.currentTimeMillis());
                nextProgress = (total / progressEvery + 1) * progressEvery;
            }
        }
        byte[] digest = sha.digest();
        System.out.println("done " + index + " " + total + " " + HexFormat.of().formatHex(digest) + " "
                + System.currentTimeMillis());
        OutputStream out = s.getOutputStream();
        out.write(digest);
        s.shutdownOutput();
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

    /** Bytes written at once when pacing: 1/16 MiB. */
    private static final int PACED_WRITE = 1 << 16;

    private static void source(InetSocketAddress to, int mib, long seed, double mibPerSecond) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(to, 30_000);
            s.setSoTimeout(120_000);
            System.out.println("connected " + System.currentTimeMillis());
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            Random random = new Random(seed);
            byte[] chunk = new byte[1 << 20];
            OutputStream out = s.getOutputStream();
            long start = System.nanoTime();
            long written = 0;
            for (int i = 0; i < mib; i++) {
                random.nextBytes(chunk);
                sha.update(chunk);
                if (mibPerSecond <= 0) {
                    out.write(chunk);
                    continue;
                }
                // A traffic shape, not a wait for a condition: each 64 KiB goes out on its schedule.
                for (int off = 0; off < chunk.length; off += PACED_WRITE) {
                    long due = start + (long) (written / (mibPerSecond * (1 << 20)) * 1e9);
                    for (long left = due - System.nanoTime(); left > 0; left = due - System.nanoTime()) {
                        java.util.concurrent.locks.LockSupport.parkNanos(left);
                    }
                    out.write(chunk, off, PACED_WRITE);
                    written += PACED_WRITE;
                }
            }
            s.shutdownOutput();
            byte[] answer = new byte[32];
            new DataInputStream(s.getInputStream()).readFully(answer);
            System.out.println("sent " + HexFormat.of().formatHex(sha.digest()));
            System.out.println("answer " + HexFormat.of().formatHex(answer));
        }
    }
}
