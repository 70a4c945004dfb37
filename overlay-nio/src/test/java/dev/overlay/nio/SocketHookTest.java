package dev.overlay.nio;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The global socket hook, in JVMs of its own (a SocketImplFactory is global and cannot be removed),
 * on the JDK running the tests (CI runs them on 17 and on 25): {@link SocketHookScenario}.
 */
class SocketHookTest {
    private static final String OPENS = "--add-opens=java.base/java.net=ALL-UNNAMED";

    private record Run(int exit, String output) {}

    private static Run run(String... jvmArgsThenScenarioArgs) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-ea");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        List<String> scenarioArgs = new ArrayList<>();
        for (String a : jvmArgsThenScenarioArgs) {
            if (a.startsWith("-")) {
                cmd.add(a);
            } else {
                scenarioArgs.add(a);
            }
        }
        cmd.add(SocketHookScenario.class.getName());
        cmd.addAll(scenarioArgs);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "cannot read the output: " + e;
            }
        });
        if (!p.waitFor(150, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("the scenario did not finish in 150 s:\n" + out.get(10, TimeUnit.SECONDS));
        }
        String output = out.get(10, TimeUnit.SECONDS);
        System.out.println(output);
        return new Run(p.exitValue(), output);
    }

    @Test
    void overlayAndUnchangedKernelSocketsInOneJvmWithTheHookInstalled() throws Exception {
        Run r = run(OPENS);
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains(
                "OK new Socket(handle, port) over the overlay",
                "OK HttpURLConnection to an overlay server",
                "OK SSLSocketFactory.createSocket(overlaySocket, ...)",
                "OK new ServerSocket(servedPort) accepts overlay streams only",
                "OK plain ServerSocket + Socket",
                "OK plain ServerSocket made before the hook + Socket",
                "OK ServerSocket subclass with implAccept(new Socket())",
                "OK ServerSocket subclass with setSoTimeout then implAccept",
                "OK implAccept(new Socket()) on a ServerSocket made before the hook",
                "OK new Socket(Proxy.NO_PROXY) to a kernel server",
                "OK SSLServerSocket HTTPS server + HttpsURLConnection",
                "OK SSLServerSocket made before the hook + HttpsURLConnection",
                "OK SSLSocket client to a kernel server",
                "OK SO_TIMEOUT and half-close on a kernel socket",
                "OK DatagramSocket",
                "OK options before connect and bind are the platform's",
                "ALL OK");
    }

    @Test
    void experimentAForeignImplBreaksKernelImplAcceptUnlessTheNoArgSocketGetsNone() throws Exception {
        Run naive = run("experiment", "every-socket");
        assertThat(naive.output())
                .contains("EXPERIMENT implAccept(new Socket()): java.io.IOException: An instance of class "
                        + "sun.nio.ch.NioSocketImpl cannot accept a connection with an instance of class "
                        + "dev.overlay.nio.OverlaySocketImpl")
                .contains("EXPERIMENT setSoTimeout then implAccept: java.io.IOException: An instance of class");
        Run nullForNoArg = run("experiment", "null-for-no-arg");
        assertThat(nullForNoArg.output())
                .contains("EXPERIMENT implAccept(new Socket()): accepted")
                // the hook's documented limit for kernel servers made before it was installed:
                .contains("EXPERIMENT setSoTimeout then implAccept: java.io.IOException: An instance of class");
    }

    @Test
    void withoutJavaNetOpenedTheHookRefusesToInstallAndNamesTheFlag() throws Exception {
        Run r = run("without-opens");
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output())
                .contains("REFUSED the overlay socket hook cannot be installed")
                .contains("--add-opens java.base/java.net=ALL-UNNAMED")
                .contains("HOOK INSTALLED: false");
    }
}
