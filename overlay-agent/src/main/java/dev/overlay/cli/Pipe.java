package dev.overlay.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Copies bytes both ways between two connections (a kernel socket and an overlay stream), with
 * half-close: when one side ends its output, the other side's output is shut down too, and the
 * reverse direction keeps flowing until it ends as well. An error on either side aborts both.
 */
final class Pipe {
    /** One end of the pipe. */
    interface End {
        InputStream in() throws IOException;

        OutputStream out() throws IOException;

        void shutdownOutput() throws IOException;

        /** Abortive close (connection reset), used when the other side failed. */
        void abort();

        void close();
    }

    private static final int BUFFER = 64 * 1024;

    final AtomicLong aToB = new AtomicLong();
    final AtomicLong bToA = new AtomicLong();
    private final CountDownLatch done = new CountDownLatch(2);

    /** Runs both directions on two new threads named after {@code label}; returns at once. */
    void start(End a, End b, String label) {
        thread(() -> copy(a, b, aToB), label + " >").start();
        thread(() -> copy(b, a, bToA), label + " <").start();
        thread(() -> {
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            a.close();
            b.close();
        }, label + " close").start();
    }

    /** Waits until both directions finished. */
    void await() throws InterruptedException {
        done.await();
    }

    private void copy(End from, End to, AtomicLong counter) {
        try {
            InputStream in = from.in();
            OutputStream out = to.out();
            byte[] buf = new byte[BUFFER];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                counter.addAndGet(n);
            }
            to.shutdownOutput();
        } catch (IOException e) {
            from.abort();
            to.abort();
        } finally {
            done.countDown();
        }
    }

    private static Thread thread(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
