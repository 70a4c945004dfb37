package dev.overlay.bench;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Shared plumbing of the transport benchmarks: connection pairs, daemon threads, clean-up. */
final class Wiring {
    /** How long set-up and tear-down wait for a background thread. */
    static final long JOIN_MS = 10_000;

    private Wiring() {}

    /** One established connection, seen from both ends. */
    record Pair(Transport.Conn client, Transport.Conn server) {}

    /** Connects to {@code listener} while a short-lived daemon thread accepts the other end. */
    static Pair connectPair(Transport transport, Transport.Listener listener, String name) throws IOException {
        FutureTask<Transport.Conn> accepting = new FutureTask<>(listener::accept);
        Thread acceptor = daemon(name + "-accept", accepting);
        Transport.Conn client = null;
        try {
            client = transport.connect(listener.endpoint());
            Transport.Conn server = accepting.get(JOIN_MS, TimeUnit.MILLISECONDS);
            return new Pair(client, server);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(client);
            throw new IOException("interrupted while connecting", e);
        } catch (ExecutionException | TimeoutException e) {
            closeQuietly(client);
            throw new IOException("accept failed", e instanceof ExecutionException ? e.getCause() : e);
        } catch (IOException | RuntimeException e) {
            accepting.cancel(true);
            throw e;
        } finally {
            join(acceptor);
        }
    }

    /** Starts a named daemon thread. */
    static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Waits at most {@link #JOIN_MS} for {@code t}; returns whether it ended. */
    static boolean join(Thread t) {
        if (t == null) {
            return true;
        }
        try {
            t.join(JOIN_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !t.isAlive();
    }

    static void closeQuietly(Closeable... resources) {
        for (Closeable c : resources) {
            if (c != null) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // tear-down: nothing useful to do
                }
            }
        }
    }

    /** Reads exactly {@code len} bytes; at most {@code len} read calls. */
    static void readFully(InputStream in, byte[] b, int off, int len) throws IOException {
        int end = off + len;
        while (off < end) {
            int n = in.read(b, off, end - off);
            if (n < 0) {
                throw new EOFException("stream ended " + (end - off) + " bytes early");
            }
            off += n;
        }
    }
}
