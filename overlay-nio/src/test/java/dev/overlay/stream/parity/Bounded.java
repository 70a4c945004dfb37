package dev.overlay.stream.parity;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * Runs blocking steps with deadlines: a step that does not finish in time fails the test with the
 * stack of the thread it is stuck in (so a hang is reported, never waited out). Also keeps the
 * per-transport observations the tests record (printed at the end of each test class).
 */
final class Bounded implements AutoCloseable {
    /** What each transport did where TCP and the overlay may legitimately differ. */
    static final Map<String, String> OBSERVED = new TreeMap<>();

    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "parity-worker");
        t.setDaemon(true);
        return t;
    });

    /** A task started on a worker thread; {@link #get} waits for it with a deadline. */
    final class Task<T> {
        private final Future<T> future;
        private final AtomicReference<Thread> runner;
        private final String what;

        private Task(Future<T> future, AtomicReference<Thread> runner, String what) {
            this.future = future;
            this.runner = runner;
            this.what = what;
        }

        /** The worker running the task (null until it started). */
        Thread thread() {
            return runner.get();
        }

        /** The task's result; fails with the worker's stack when it takes longer than {@code limit}. */
        T get(Duration limit) throws Exception {
            try {
                return future.get(limit.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                String stack = stackOf(runner.get());
                future.cancel(true);
                throw new AssertionError(what + " did not finish within " + limit.toMillis() + " ms; stuck at:\n" + stack);
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof Exception ex) {
                    throw ex;
                }
                if (c instanceof Error err) {
                    throw err;
                }
                throw e;
            }
        }
    }

    <T> Task<T> start(String what, Callable<T> body) {
        AtomicReference<Thread> runner = new AtomicReference<>();
        Future<T> f = pool.submit(() -> {
            runner.set(Thread.currentThread());
            Thread.currentThread().setName("parity: " + what);
            return body.call();
        });
        return new Task<>(f, runner, what);
    }

    /** Runs {@code body} on a worker and waits at most {@code limit} for it. */
    <T> T within(Duration limit, String what, Callable<T> body) throws Exception {
        return start(what, body).get(limit);
    }

    static String stackOf(Thread t) {
        if (t == null) {
            return "  (task never started)";
        }
        return t.getState() + "\n" + Arrays.stream(t.getStackTrace()).limit(25)
                .map(f -> "  at " + f).collect(Collectors.joining("\n"));
    }

    /**
     * Waits (at most 2 s, best effort, asserting nothing) until {@code task}'s thread is blocked in a
     * read: parked on a lock (overlay) or in a native socket call (TCP). Only makes it likelier that
     * the scenario "reader already blocked" is the one exercised; the assertions hold either way.
     */
    static void awaitBlocked(Task<?> task) {
        long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (System.nanoTime() < deadline) {
            Thread t = task.thread();
            if (t != null) {
                Thread.State st = t.getState();
                StackTraceElement[] stack = t.getStackTrace();
                boolean parked = (st == Thread.State.WAITING || st == Thread.State.TIMED_WAITING)
                        && Arrays.stream(stack).anyMatch(f -> f.getMethodName().startsWith("read"));
                boolean inNative = st == Thread.State.RUNNABLE && stack.length > 0 && stack[0].isNativeMethod();
                if (parked || inNative) {
                    return;
                }
            }
            Thread.onSpinWait();
        }
    }

    /** What one blocking read ended with. */
    record ReadOutcome(int result, IOException error, long millis) {
        boolean failed() {
            return error != null;
        }

        @Override
        public String toString() {
            String what = error != null ? error.getClass().getSimpleName() + "(\"" + error.getMessage() + "\")"
                    : result < 0 ? "EOF (-1)" : result + " bytes";
            return what + " after " + millis + " ms";
        }
    }

    /** One {@code in.read(byte[])}, its result or exception and how long it took. */
    static ReadOutcome readOnce(InputStream in) {
        long t0 = System.nanoTime();
        try {
            int n = in.read(new byte[1024]);
            return new ReadOutcome(n, null, (System.nanoTime() - t0) / 1_000_000);
        } catch (IOException e) {
            return new ReadOutcome(0, e, (System.nanoTime() - t0) / 1_000_000);
        }
    }

    /** Reads exactly {@code n} bytes; EOFException when the stream ends first. */
    static byte[] readExactly(InputStream in, int n) throws IOException {
        byte[] b = new byte[n];
        int off = 0;
        while (off < n) {
            int r = in.read(b, off, n - off);
            if (r < 0) {
                throw new EOFException("stream ended after " + off + " of " + n + " bytes");
            }
            off += r;
        }
        return b;
    }

    static void observe(String transport, String what, Object value) {
        String line = value.toString();
        synchronized (OBSERVED) {
            OBSERVED.put(what + " [" + transport + "]", line);
        }
        System.out.println("OBSERVED " + what + " [" + transport + "]: " + line);
    }

    static void printObserved() {
        synchronized (OBSERVED) {
            System.out.println("---- observations ----");
            OBSERVED.forEach((k, v) -> System.out.println(k + ": " + v));
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
