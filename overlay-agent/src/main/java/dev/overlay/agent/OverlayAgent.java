package dev.overlay.agent;

import dev.overlay.identity.NodeId;
import dev.overlay.node.Endpoints;
import dev.overlay.nio.OverlayConfig;
import dev.overlay.nio.OverlayResolver;
import dev.overlay.nio.OverlayRuntime;
import dev.overlay.nio.OverlaySelectorProvider;
import dev.overlay.nio.OverlaySocketHook;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.instrument.Instrumentation;
import java.nio.channels.spi.SelectorProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The java agent: {@code -javaagent:overlay-agent.jar=identity=FILE,rendezvous=HOST:PORT,serve=5432}.
 *
 * <p>At start ({@link #premain}) it reads its configuration ({@link AgentOptions}: agent options,
 * then {@code overlay.*} system properties, then {@code OVERLAY_*} environment variables), opens
 * what the hooks need in {@code java.base} to the class path ({@code java.net}, and the export of
 * {@code sun.nio.ch}, through {@link Instrumentation#redefineModule}, because an agent jar's
 * {@code Add-Opens} manifest attribute is ignored), starts the node, and installs
 * <ul>
 *   <li>the overlay {@link SelectorProvider}: through the system property
 *       {@code java.nio.channels.spi.SelectorProvider} when nothing has asked the JDK for its
 *       provider yet, else by retransforming {@link SelectorProvider#provider()}
 *       ({@link ProviderPatch});
 *   <li>the blocking {@code Socket}/{@code ServerSocket} hook ({@link OverlaySocketHook});
 *   <li>the {@code .overlay} name resolution ({@link OverlayResolver}, installed with the runtime).
 * </ul>
 * A configuration error or a node that cannot start stops the JVM with one line on stderr naming
 * what is wrong, and exit status {@value #EXIT_CONFIG}: an application must not run half-connected
 * believing it is on the overlay. It logs through {@code System.Logger} ({@code dev.overlay.agent})
 * only.
 *
 * <p>{@link #agentmain} (attach to a running JVM) does the same, except that it never stops the
 * JVM (it logs the error instead), and that whatever already exists stays on the kernel network:
 * open channels, selectors and sockets, and an already-chosen provider if it cannot be patched.
 * It logs each such limit as a warning. A failed attach is logged and rethrown, so the attaching
 * tool's {@code loadAgent} fails with the reason.
 */
public final class OverlayAgent {
    private static final System.Logger LOG = System.getLogger("dev.overlay.agent");
    /** The exit status of a JVM the agent stopped at start. */
    public static final int EXIT_CONFIG = 78;
    static final String PROVIDER_PROPERTY = "java.nio.channels.spi.SelectorProvider";
    private static final AtomicBoolean LOADED = new AtomicBoolean();

    private OverlayAgent() {}

    /** Entry point for {@code -javaagent:overlay-agent.jar[=OPTIONS]}. */
    public static void premain(String args, Instrumentation inst) {
        load(args, inst, false);
    }

    /** Entry point for a late attach ({@code VirtualMachine.loadAgent(jar, OPTIONS)}). */
    public static void agentmain(String args, Instrumentation inst) {
        load(args, inst, true);
    }

    private static void load(String args, Instrumentation inst, boolean late) {
        if (!LOADED.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.WARNING, "overlay agent: loaded a second time; the first one stays in charge,"
                    + " these options are ignored: " + args);
            return;
        }
        try {
            Report report = install(args, inst, late, System.getProperties(), System.getenv());
            for (String w : report.warnings()) {
                LOG.log(System.Logger.Level.WARNING, "overlay agent: " + w);
            }
            LOG.log(System.Logger.Level.INFO, "overlay agent: " + report.summary());
        } catch (RuntimeException | IOException | Error e) {
            // Anything, expected (a bad option) or not (an OutOfMemoryError reading /dev/zero as a
            // config file): one line, never a JVM abort with a stack trace.
            String what = e instanceof IllegalArgumentException || e instanceof IllegalStateException
                    || e instanceof IOException || e instanceof SecurityException ? ""
                    : e.getClass().getName() + ": ";
            String line = "overlay agent: " + what + oneLine(e.getMessage() == null ? e.toString() : e.getMessage());
            if (late) {
                LOG.log(System.Logger.Level.ERROR, line + " (the application goes on without the overlay)");
                LOADED.set(false); // a later attach may try again
                // The attaching tool sees the failure too: loadAgent throws AgentInitializationException.
                throw new IllegalStateException(line, e);
            }
            stop(line, System.err);
        }
    }

    /** What the agent installed, and what it could not. */
    record Report(String summary, List<String> warnings) {}

    static Report install(String args, Instrumentation inst, boolean late, Properties properties,
            Map<String, String> env) throws IOException {
        AgentOptions options = AgentOptions.parse(args, properties, env);
        List<String> warnings = new ArrayList<>(options.warnings());
        openJavaBase(inst);

        String wanted = OverlaySelectorProvider.class.getName();
        String set = properties.getProperty(PROVIDER_PROPERTY);
        if (set != null && !set.equals(wanted)) {
            throw new IllegalStateException("the system property " + PROVIDER_PROPERTY + " is set to " + set
                    + "; the overlay agent installs its own provider there (" + wanted + "): remove the property");
        }
        // Read by the JDK when something first asks for SelectorProvider.provider() (possibly still
        // ahead even in a late attach).
        properties.setProperty(PROVIDER_PROPERTY, wanted);

        OverlayConfig config = options.config();
        OverlayRuntime runtime;
        try {
            runtime = OverlayRuntime.start(config);
        } catch (IOException e) {
            throw new IllegalStateException("the node did not start on udp " + Endpoints.format(config.bind()) + ": "
                    + (e.getMessage() == null ? e.toString() : e.getMessage()), e);
        }
        List<String> done = new ArrayList<>();

        SelectorProvider provider = SelectorProvider.provider();
        if (provider instanceof OverlaySelectorProvider) {
            done.add("selector provider");
        } else {
            String why = (late ? "the JVM was already running" : "something asked for the selector provider before the agent")
                    + " and the JDK chose " + provider.getClass().getName();
            String patched = ProviderPatch.apply(inst);
            if (patched == null && SelectorProvider.provider() instanceof OverlaySelectorProvider) {
                done.add("selector provider (by instrumentation: " + why + ")");
                warnings.add(why + "; SelectorProvider.provider() was patched to return the overlay provider, but"
                        + " channels and selectors opened before now stay on the kernel network");
            } else {
                warnings.add(why + ", and it could not be replaced (" + patched + "): NIO clients and servers"
                        + " (HttpClient, Netty, Jetty) stay on the kernel network; blocking sockets still use the overlay");
            }
        }

        try {
            OverlaySocketHook.install();
            done.add("socket hook");
        } catch (IllegalStateException e) {
            warnings.add("the blocking Socket/ServerSocket hook is not installed: " + e.getMessage()
                    + "; new Socket() and ServerSocket stay on the kernel network");
        }

        if (OverlayResolver.isInstalled()) {
            done.add(".overlay name resolution");
        } else {
            warnings.add("the .overlay name resolution is not installed (see the runtime's log line above);"
                    + " connect to IPv6 handles or use the hosts key");
        }
        if (late) {
            warnings.add("attached to a running JVM: sockets and channels opened before now stay on the kernel network");
        }

        NodeId id = runtime.id();
        String summary = "node " + id.name() + " (" + id.handle().getHostAddress() + ") on udp "
                + Endpoints.format(runtime.node().localAddress()) + (runtime.config().serve().isEmpty() ? ""
                : "; overlay-only ports " + runtime.config().serve()
                + (runtime.config().allow() == null ? " (any key)" : " (" + runtime.config().allow().size() + " allowed keys)"))
                + "; installed: " + String.join(", ", done);
        return new Report(summary, warnings);
    }

    /**
     * Opens {@code java.net} and exports {@code sun.nio.ch} of {@code java.base} to this jar's
     * module (the socket and resolver hooks; the platform selector provider). That module is the
     * class path's unnamed module, so this equals {@code --add-opens java.base/java.net=ALL-UNNAMED
     * --add-exports java.base/sun.nio.ch=ALL-UNNAMED}: the application's own classes get the same
     * access.
     */
    static void openJavaBase(Instrumentation inst) {
        Module base = Object.class.getModule();
        Module ours = OverlaySocketHook.class.getModule();
        if (!inst.isModifiableModule(base)) {
            throw new IllegalStateException("the JVM does not let agents modify java.base");
        }
        inst.redefineModule(base, Set.of(), Map.of("sun.nio.ch", Set.of(ours)), Map.of("java.net", Set.of(ours)),
                Set.of(), Map.of());
    }

    private static void stop(String line, PrintStream err) {
        err.println(line);
        err.flush();
        System.exit(EXIT_CONFIG);
    }

    static String oneLine(String s) {
        return s.replace("\r\n", " ").replace('\n', ' ').replace('\r', ' ');
    }
}
