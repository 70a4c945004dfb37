package dev.overlay.cli;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The two-NAT lab of {@code src/test/natlab/nat.sh} for integration tests: one per test class,
 * under a prefix made of the class' short tag and the working directory, so the same class in two
 * worktrees builds two labs and a crashed run's lab is rebuilt (and so cleaned) by the next run.
 */
final class NatLab implements AutoCloseable {
    static final Path SCRIPT = Path.of("src/test/natlab/nat.sh");
    private static final long SCRIPT_LIMIT_S = 60;

    final String prefix;

    private NatLab(String prefix) {
        this.prefix = prefix;
    }

    /** Why the lab cannot run here, or null when it can (root, and ip, nft, conntrack on the PATH). */
    static String unavailable() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "the NAT lab needs root (network namespaces, nftables); CI runs as root";
        }
        List<String> missing = new ArrayList<>();
        for (String tool : List.of("ip", "nft", "conntrack")) {
            if (!onPath(tool)) {
                missing.add(tool);
            }
        }
        return missing.isEmpty() ? null : "the NAT lab needs " + missing + " (CI installs iproute2, nftables, conntrack)";
    }

    private static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/sbin" + File.pathSeparator + "/sbin";
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Skips the calling test class (assumption) unless {@code ok}, saying why in the build log too. */
    static void assume(Class<?> test, boolean ok, String reason) {
        if (!ok) {
            System.out.println(test.getSimpleName() + " skipped: " + reason);
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(ok, reason);
    }

    /**
     * Skips the calling test class unless the lab can run here; where the lab is required
     * (environment OVERLAY_NATLAB_REQUIRED=1, which .ci/run sets) it fails instead, so CI can never
     * pass by skipping it.
     */
    static void assumeAvailable(Class<?> test) {
        String why = unavailable();
        if (why != null && "1".equals(System.getenv("OVERLAY_NATLAB_REQUIRED"))) {
            throw new AssertionError(test.getSimpleName() + ": the NAT lab is required here but cannot run: " + why);
        }
        assume(test, why == null, why);
    }

    /** Builds the lab (both NATs eim). {@code tag}: a few letters naming the test class. */
    static NatLab up(String tag) throws Exception {
        String dir = Path.of("").toAbsolutePath().toString();
        NatLab lab = new NatLab(tag + String.format("%04x", dir.hashCode() & 0xffff));
        try {
            lab.script("up");
        } catch (Exception | AssertionError e) {
            try {
                lab.close();
            } catch (Exception | AssertionError again) {
                e.addSuppressed(again);
            }
            throw e;
        }
        return lab;
    }

    /** The namespace of lab node {@code node}: a, a2, natA, b, natB, inet or pub. */
    String ns(String node) {
        return prefix + "-" + node;
    }

    /** {@code nat.sh type}: eim, sym or fullcone; existing flows keep their mapping until {@link #flush}. */
    void type(String nat, String type) throws Exception {
        script("type", nat, type);
    }

    /** {@code nat.sh flush}: the NAT forgets its UDP mappings. */
    void flush(String nat) throws Exception {
        script("flush", nat);
    }

    /** {@code nat.sh flush NAT --except ADDR}: the NAT forgets every UDP flow but those to {@code address}. */
    void flushExcept(String nat, String address) throws Exception {
        script("flush", nat, "--except", address);
    }

    /** {@code nat.sh type} then {@code flush}: the NAT behaves as {@code type} for every flow from now on. */
    void reset(String nat, String type) throws Exception {
        type(nat, type);
        flush(nat);
    }

    /** {@code nat.sh renumber}: moves the NAT's WAN address to {@code address}. */
    void renumber(String nat, String address) throws Exception {
        script("renumber", nat, address);
    }

    /** {@code nat.sh show}: "TYPE WANADDR". */
    String show(String nat) throws Exception {
        return script("show", nat).trim();
    }

    /** Runs nat.sh with this lab's prefix; returns its stdout; fails with its output if it fails. */
    String script(String command, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", SCRIPT.toString(), command, prefix));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("natlab", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(SCRIPT_LIMIT_S, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(String.join(" ", cmd) + " did not finish within " + SCRIPT_LIMIT_S + " s");
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", cmd) + " failed (" + p.exitValue() + "):\n" + text);
            }
            return text;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Tears the lab down (also stops any process a test left in it). */
    @Override
    public void close() throws Exception {
        script("down");
    }

    /** Closes everything, in order, even when one throws; rethrows the first failure. */
    static void closeAll(AutoCloseable... things) throws Exception {
        Exception first = null;
        for (AutoCloseable c : things) {
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
