package dev.overlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.tools.attach.VirtualMachine;
import dev.overlay.identity.Identity;
import dev.overlay.identity.KeyFile;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The java agent in real JVMs ({@code -javaagent:overlay-agent.jar=...} and a late attach):
 * what it installs, and that every bad configuration stops the JVM before {@code main} with one
 * line naming what is wrong. The program under the agent is {@link AgentProbe}, JDK classes only.
 */
class AgentIT {
    private static final Duration LIMIT = Duration.ofSeconds(60);

    @TempDir
    static Path dir;
    static Path key;
    static Identity identity;

    @BeforeAll
    static void identity() throws Exception {
        key = dir.resolve("node.key");
        identity = KeyFile.loadOrCreate(key, new SecureRandom());
    }

    static String jar() {
        return System.getProperty("overlaytest.jar");
    }

    /** The probe's class path: the test classes alone, so the overlay classes come from the agent jar only. */
    static String probeClassPath() {
        return Path.of(AgentProbe.class.getProtectionDomain().getCodeSource().getLocation().getPath()).toString();
    }

    static OverlayProcess probe(List<String> jvmFlags, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(jvmFlags);
        cmd.addAll(List.of("-cp", probeClassPath(), AgentProbe.class.getName()));
        cmd.addAll(List.of(args));
        return OverlayProcess.java(cmd, env);
    }

    @Test
    void premainInstallsEverythingAndServesPortsOnTheOverlayOnly() throws Exception {
        String name = identity.id().name();
        String handle = identity.id().handle().getHostAddress();
        try (OverlayProcess p = probe(List.of("-javaagent:" + jar() + "=identity=" + key + ",serve=7311"), Map.of(),
                name, "7311")) {
            assertThat(p.awaitExit(LIMIT)).as(String.join("\n", p.lines())).isZero();
            List<String> lines = p.lines();
            assertThat(lines).contains(
                    "out: before provider=dev.overlay.nio.OverlaySelectorProvider selector=dev.overlay.nio.OverlaySelector",
                    "out: resolved " + handle,
                    "out: server " + handle + " 7311",
                    "out: done");
            assertThat(lines).anyMatch(l -> l.contains("overlay agent: node " + name + " (" + handle + ")")
                    && l.contains("overlay-only ports [7311]")
                    && l.endsWith("installed: selector provider, socket hook, .overlay name resolution"));
            assertThat(lines).noneMatch(l -> l.contains("WARNING"));
        }
    }

    @Test
    void environmentVariablesAreTheFallback() throws Exception {
        String handle = identity.id().handle().getHostAddress();
        try (OverlayProcess p = probe(List.of("-javaagent:" + jar()),
                Map.of("OVERLAY_IDENTITY", key.toString(), "OVERLAY_SERVE", "7312", "OVERLAY_SERVEE", "1"),
                identity.id().name(), "7312")) {
            assertThat(p.awaitExit(LIMIT)).as(String.join("\n", p.lines())).isZero();
            assertThat(p.lines()).contains("out: server " + handle + " 7312");
            assertThat(p.lines()).anyMatch(l -> l.contains("OVERLAY_SERVEE is not an overlay setting and is ignored;"
                    + " did you mean OVERLAY_SERVE?"));
        }
    }

    @Test
    void anOptionOverridesTheEnvironment() throws Exception {
        String handle = identity.id().handle().getHostAddress();
        try (OverlayProcess p = probe(List.of("-javaagent:" + jar() + "=serve=7313"),
                Map.of("OVERLAY_IDENTITY", key.toString(), "OVERLAY_SERVE", "7314"), identity.id().name(), "7313")) {
            assertThat(p.awaitExit(LIMIT)).as(String.join("\n", p.lines())).isZero();
            assertThat(p.lines()).contains("out: server " + handle + " 7313");
        }
    }

    /** {@code options} with KEY standing for the key file; {@code property} a -D flag or '-'; the expected fragment. */
    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource(delimiter = '|', value = {
            "identty=KEY              | -                                      | - | unknown agent option 'identty' (did you mean 'identity'?)",
            "identity                 | -                                      | - | agent option 'identity' is not KEY=VALUE",
            "identity=KEY,,serve=1    | -                                      | - | empty agent option",
            "identity=KEY,identity=KEY| -                                      | - | agent option 'identity' is given twice",
            "identity=KEY,serve=0     | -                                      | - | serve=0 (agent option serve): port 0 is outside 1..65535",
            "identity=KEY,allow=nokey | -                                      | - | allow=nokey (agent option allow)",
            "serve=80                 | -                                      | - | 'identity' is not set",
            "identity=KEY             | -Doverlay.bogus=1                      | - | unknown system property overlay.bogus",
            "identity=KEY             | -Djava.nio.channels.spi.SelectorProvider=x.Y | - | java.nio.channels.spi.SelectorProvider is set to x.Y",
            "identity=KEY             | -                                      | OVERLAY_BIND=nowhere | bind=nowhere (environment variable OVERLAY_BIND)",
            "identity=OPEN            | -                                      | - | open.key",
            "identity=KEY,config=/dev/zero | -                                 | - | /dev/zero is too large",
    })
    void aBadConfigurationStopsTheJvmWithOneLine(String options, String property, String env, String expected)
            throws Exception {
        Path open = dir.resolve("open.key");
        if (!Files.exists(open)) {
            Files.copy(key, open);
            Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
        }
        List<String> flags = new ArrayList<>();
        flags.add("-javaagent:" + jar() + "=" + options.replace("KEY", key.toString()).replace("OPEN", open.toString()));
        if (!property.equals("-")) {
            flags.add(property);
        }
        Map<String, String> environment = env.equals("-") ? Map.of()
                : Map.of(env.substring(0, env.indexOf('=')), env.substring(env.indexOf('=') + 1));
        try (OverlayProcess p = probe(flags, environment, "x", "1")) {
            int code = p.awaitExit(LIMIT);
            List<String> lines = p.lines();
            assertThat(code).as(String.join("\n", lines)).isEqualTo(78);
            assertThat(lines).as("one line on stderr, and main never ran").hasSize(1);
            assertThat(lines.get(0)).startsWith("err: overlay agent: ").contains(expected);
        }
    }

    @Test
    void aTakenUdpPortStopsTheJvmWithOneLine() throws Exception {
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            int port = taken.getLocalPort();
            try (OverlayProcess p = probe(List.of("-javaagent:" + jar() + "=identity=" + key + ",bind=127.0.0.1:" + port),
                    Map.of(), "x", "1")) {
                assertThat(p.awaitExit(LIMIT)).isEqualTo(78);
                List<String> errors = p.lines().stream().filter(l -> l.startsWith("err: overlay agent:")).toList();
                assertThat(errors).as(String.join("\n", p.lines())).hasSize(1);
                assertThat(errors.get(0)).contains("did not start").contains(String.valueOf(port));
                assertThat(p.lines()).noneMatch(l -> l.startsWith("out: "));
            }
        }
    }

    @Test
    void aLateAttachPatchesTheProviderTheJdkAlreadyChose() throws Exception {
        String handle = identity.id().handle().getHostAddress();
        try (OverlayProcess p = probe(List.of("-XX:+IgnoreUnrecognizedVMOptions", "-XX:+EnableDynamicAgentLoading"),
                Map.of(), identity.id().name(), "7315", "wait")) {
            String before = p.awaitLine(l -> l.startsWith("out: before"), LIMIT);
            assertThat(before).contains("provider=sun.nio.ch.");
            // A failed attach is reported to the attaching tool, and the application goes on.
            VirtualMachine bad = VirtualMachine.attach(String.valueOf(p.pid()));
            try {
                assertThatThrownBy(() -> bad.loadAgent(jar(), "identity=" + key + ",serve=0"))
                        .isInstanceOf(com.sun.tools.attach.AgentInitializationException.class);
            } finally {
                bad.detach();
            }
            // A second attach may try again.
            VirtualMachine vm = VirtualMachine.attach(String.valueOf(p.pid()));
            try {
                vm.loadAgent(jar(), "identity=" + key + ",serve=7315");
            } finally {
                vm.detach();
            }
            p.tell("go");
            assertThat(p.awaitExit(LIMIT)).as(String.join("\n", p.lines())).isZero();
            assertThat(p.lines()).contains(
                    "out: after provider=dev.overlay.nio.OverlaySelectorProvider selector=dev.overlay.nio.OverlaySelector",
                    "out: resolved " + handle,
                    "out: server " + handle + " 7315");
            assertThat(p.lines()).anyMatch(l -> l.contains("overlay agent: overlay configuration: serve=0")
                    && l.contains("(the application goes on without the overlay)"));
            assertThat(p.lines()).anyMatch(l -> l.contains("SelectorProvider.provider() was patched to return the"
                    + " overlay provider, but channels and selectors opened before now stay on the kernel network"));
        }
    }
}
