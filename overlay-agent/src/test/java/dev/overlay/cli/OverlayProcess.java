package dev.overlay.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The real CLI, {@code java -jar overlay-agent.jar ...}, in its own JVM; its stdout and stderr
 * lines are collected as they come so a test can wait for one with a deadline.
 */
final class OverlayProcess implements AutoCloseable {
    private final Process process;
    private final List<String> lines = new ArrayList<>();
    /** Output streams read to their end (0..2); guarded by {@code lines}. */
    private int ended;

    private OverlayProcess(Process process) {
        this.process = process;
        pump(process.getInputStream(), "out: ");
        pump(process.getErrorStream(), "err: ");
    }

    static OverlayProcess start(String... args) throws IOException {
        return startIn(null, args);
    }

    /** As {@link #start}, inside network namespace {@code netns} (null: this one). */
    static OverlayProcess startIn(String netns, String... args) throws IOException {
        String jar = System.getProperty("overlaytest.jar");
        if (jar == null || !Path.of(jar).toFile().isFile()) {
            throw new IllegalStateException("system property overlaytest.jar must name the built jar, got " + jar);
        }
        List<String> cmd = new ArrayList<>(List.of(java(), "-jar", jar));
        cmd.addAll(List.of(args));
        return command(netns, cmd);
    }

    /** A test helper's {@code main} class from the test class path, inside {@code netns}. */
    static OverlayProcess mainIn(String netns, Class<?> main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(java(), "-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        return command(netns, cmd);
    }

    /** {@code java ARGS...} with this JDK (JVM flags, class path and main class are the caller's). */
    static OverlayProcess java(List<String> args) throws IOException {
        return java(args, java.util.Map.of());
    }

    /** As {@link #java(List)}, with {@code env} added to (or, for a null value, removed from) the environment. */
    static OverlayProcess java(List<String> args, java.util.Map<String, String> env) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(java()));
        cmd.addAll(args);
        ProcessBuilder b = new ProcessBuilder(cmd);
        b.environment().keySet().removeIf(k -> k.startsWith("OVERLAY_") && !k.endsWith("_REQUIRED"));
        env.forEach((k, v) -> {
            if (v == null) {
                b.environment().remove(k);
            } else {
                b.environment().put(k, v);
            }
        });
        return new OverlayProcess(b.start());
    }

    long pid() {
        return process.pid();
    }

    private static OverlayProcess command(String netns, List<String> cmd) throws IOException {
        List<String> full = new ArrayList<>();
        if (netns != null) {
            full.addAll(List.of("ip", "netns", "exec", netns));
        }
        full.addAll(cmd);
        return new OverlayProcess(new ProcessBuilder(full).start());
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
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
                // process gone
            }
            synchronized (lines) {
                ended++;
                lines.notifyAll();
            }
        });
        t.setDaemon(true);
        t.start();
    }

    /** Runs {@code keygen --out dir/file} and returns the new node's name. */
    static String keygen(Path dir, String file, Duration limit) throws Exception {
        try (OverlayProcess p = start("keygen", "--out", dir.resolve(file).toString())) {
            if (p.awaitExit(limit) != 0) {
                throw new AssertionError("keygen failed:\n" + String.join("\n", p.lines()));
            }
            return p.awaitLine(l -> l.startsWith("out: "), limit).substring(5);
        }
    }

    /** Waits for a line matching {@code pattern} and returns the integer in {@code group}. */
    int awaitPort(java.util.regex.Pattern pattern, int group, Duration limit) throws InterruptedException {
        java.util.regex.Matcher m = pattern.matcher(awaitLine(l -> pattern.matcher(l).matches(), limit));
        if (!m.matches()) {
            throw new IllegalStateException("line stopped matching " + pattern);
        }
        return Integer.parseInt(m.group(group));
    }

    /**
     * Waits until a line matching {@code p} has been printed; fails after {@code limit}, or as
     * soon as the process has closed its output without printing one.
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
                    throw new AssertionError("the process ended its output without a matching line"
                            + exitCode() + "; got:\n" + String.join("\n", lines));
                }
                long left = end - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no matching line within " + limit + "; got:\n" + String.join("\n", lines));
                }
                TimeUnit.NANOSECONDS.timedWait(lines, left);
            }
        }
    }

    /** Writes {@code line} and a newline to the process' standard input. */
    void tell(String line) throws IOException {
        java.io.OutputStream in = process.getOutputStream();
        in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    private String exitCode() {
        try {
            return process.waitFor(1, TimeUnit.SECONDS) ? " (exit code " + process.exitValue() + ")" : "";
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

    long count(Predicate<String> p) {
        return lines().stream().filter(p).count();
    }

    /** Waits for the process to exit and returns its exit code; fails after {@code limit}. */
    int awaitExit(Duration limit) throws InterruptedException {
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("process did not exit within " + limit + "; output:\n" + String.join("\n", lines()));
        }
        return process.exitValue();
    }

    /** Kills the process at once (SIGKILL: no shutdown hooks, as a crash) and waits for it. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    /** Stops the process (SIGTERM, then SIGKILL) and waits for it. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
