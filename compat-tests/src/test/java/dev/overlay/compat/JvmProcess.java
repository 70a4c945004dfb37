package dev.overlay.compat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A program in its own JVM (or any command): its stdout and stderr lines are collected as they
 * come ("out: ..." and "err: ..."), so a test waits for one with a deadline and every failure
 * message carries the whole output.
 */
final class JvmProcess implements AutoCloseable {
    private final String label;
    private final Process process;
    private final List<String> lines = new ArrayList<>();
    /** Output streams read to their end (0..2); guarded by {@code lines}. */
    private int ended;

    private JvmProcess(String label, Process process) {
        this.label = label;
        this.process = process;
        pump(process.getInputStream(), "out: ");
        pump(process.getErrorStream(), "err: ");
    }

    static JvmProcess start(String label, List<String> command) throws IOException {
        return new JvmProcess(label, new ProcessBuilder(command).start());
    }

    static JvmProcess start(String label, ProcessBuilder builder) throws IOException {
        return new JvmProcess(label, builder.start());
    }

    private void pump(InputStream in, String prefix) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (lines) {
                        lines.add(prefix + line);
                        lines.notifyAll();
                    }
                }
            } catch (IOException e) {
                // the process is gone
            }
            synchronized (lines) {
                ended++;
                lines.notifyAll();
            }
        }, "pump " + label);
        t.setDaemon(true);
        t.start();
    }

    String label() {
        return label;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Waits until a line matching {@code p} has been printed and returns it; fails after
     * {@code limit}, or as soon as the process has closed its output without printing one.
     */
    String awaitLine(Predicate<String> p, Duration limit) throws InterruptedException {
        long end = System.nanoTime() + limit.toNanos();
        synchronized (lines) {
            while (true) {
                for (String l : lines) {
                    if (p.test(l)) {
                        return l;
                    }
                }
                if (ended == 2) {
                    throw new AssertionError(label + " ended its output without a matching line" + exitCode()
                            + "; output:\n" + String.join("\n", lines));
                }
                long left = end - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError(label + ": no matching line within " + limit + "; output:\n"
                            + String.join("\n", lines));
                }
                TimeUnit.NANOSECONDS.timedWait(lines, left);
            }
        }
    }

    /** Waits for a stdout line matching {@code regex} in full and returns its match. */
    Matcher awaitOut(String regex, Duration limit) throws InterruptedException {
        Pattern pattern = Pattern.compile("out: " + regex);
        Matcher m = pattern.matcher(awaitLine(l -> pattern.matcher(l).matches(), limit));
        if (!m.matches()) {
            throw new IllegalStateException("line stopped matching " + pattern);
        }
        return m;
    }

    /** Writes {@code line} and a newline to the process' standard input. */
    void tell(String line) throws IOException {
        OutputStream in = process.getOutputStream();
        in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    private String exitCode() {
        try {
            return process.waitFor(2, TimeUnit.SECONDS) ? " (exit code " + process.exitValue() + ")" : "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    List<String> lines() {
        synchronized (lines) {
            return new ArrayList<>(lines);
        }
    }

    String output() {
        return String.join("\n", lines());
    }

    /** Waits for the process to exit and returns its exit code; kills it and fails after {@code limit}. */
    int awaitExit(Duration limit) throws InterruptedException {
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(label + " did not exit within " + limit + "; output:\n" + output());
        }
        // Let the pumps drain what the process printed last.
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        synchronized (lines) {
            while (ended < 2 && System.nanoTime() < end) {
                TimeUnit.NANOSECONDS.timedWait(lines, Math.max(1, end - System.nanoTime()));
            }
        }
        return process.exitValue();
    }

    /** Waits for exit status 0, failing with the whole output otherwise. */
    void awaitSuccess(Duration limit) throws InterruptedException {
        int code = awaitExit(limit);
        if (code != 0) {
            throw new AssertionError(label + " exited with " + code + "; output:\n" + output());
        }
    }

    /** Kills the process at once (SIGKILL, as a crash) and waits for it. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    /** Stops the process (SIGTERM, then SIGKILL after 10 s) and waits for it. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
