package dev.overlay.cli;

import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import com.sun.tools.attach.VirtualMachineDescriptor;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.JMException;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code overlay status [PID]}: the nodes running in JVMs on this machine and their peers, read
 * from their {@code dev.overlay} MBeans over the JVM's local JMX connector (attach API; loopback
 * only, the operating system's user permissions apply). See docs/observability.md.
 */
@Command(name = "status", description = {
    "Show the overlay nodes running in JVMs on this machine and their peers: path, remote address, RTT, "
            + "bytes, retransmissions, streams.",
    "Attaches to the JVM (same user) and reads its dev.overlay MBeans over its local JMX connector; "
            + "nothing is opened to the network."})
final class StatusCommand implements Callable<Integer> {
    /** Set by the node library when it registers MBeans (NodeManagement.MARKER_PROPERTY). */
    static final String MARKER_PROPERTY = "dev.overlay.management";
    static final String[] NODE_ATTRIBUTES = {"Name", "Handle", "UdpAddress", "RendezvousServer", "RendezvousServers",
        "PeerCount", "SessionCount", "OpenStreams", "StreamsOpened", "HandshakesCompleted", "BytesIn", "BytesOut",
        "DatagramsIn", "DatagramsOut", "StreamBytesSent", "StreamBytesReceived", "BytesRetransmitted", "PacketsLost",
        "RelayedIn", "RelayedOut", "TotalDrops", "Drops", "UptimeSeconds"};
    static final String[] PEER_ATTRIBUTES = {"Name", "Handle", "PathKind", "RemoteAddress", "RelayAddress",
        "Validated", "Established", "RttMillis", "MinRttMillis", "RttSource", "BytesReceived", "BytesSent",
        "StreamBytesReceived", "StreamBytesSent", "BytesRetransmitted", "PacketsLost", "OpenStreams",
        "StreamsOpened", "HandshakesCompleted", "SessionAgeSeconds", "LastReceivedAgeSeconds"};

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "PID",
            description = "The JVM to show; default: every JVM of this user that runs an overlay node.")
    Long pid;

    @Option(names = "--json", description = "Print JSON instead of tables.")
    boolean json;

    /** What one JVM said: its nodes, each with its attributes and its peers'. */
    record Jvm(long pid, String command, List<NodeView> nodes) {}

    record NodeView(ObjectName name, Map<String, Object> attributes, List<Map<String, Object>> peers, String error) {}

    @Override
    public Integer call() throws Exception {
        List<Jvm> found = new ArrayList<>();
        if (pid != null) {
            if (pid == ProcessHandle.current().pid()) {
                throw new IllegalArgumentException("PID " + pid + " is this command itself");
            }
            if (ProcessHandle.of(pid).isEmpty()) {
                throw new Failure("no process with PID " + pid);
            }
            Jvm jvm = read(pid, null);
            if (jvm.nodes().isEmpty()) {
                throw new Failure("JVM " + pid + " runs no overlay node (no dev.overlay MBeans)");
            }
            found.add(jvm);
        } else {
            long self = ProcessHandle.current().pid();
            List<String> skipped = new ArrayList<>();
            for (VirtualMachineDescriptor d : VirtualMachine.list()) {
                long p;
                try {
                    p = Long.parseLong(d.id());
                } catch (NumberFormatException e) {
                    continue;
                }
                if (p == self) {
                    continue;
                }
                try {
                    Jvm jvm = read(p, d);
                    if (jvm != null && !jvm.nodes().isEmpty()) {
                        found.add(jvm);
                    }
                } catch (Failure e) {
                    // A JVM we may not attach to (another user's, attach disabled) or that just
                    // ended: said on stderr, so a node there is not silently missing from the list.
                    skipped.add(e.getMessage());
                }
            }
            PrintWriter err = spec.commandLine().getErr();
            for (String s : skipped) {
                err.println("overlay status: skipped: " + s);
            }
            err.flush();
            if (found.isEmpty()) {
                throw new Failure("no JVM of this user on this machine runs an overlay node "
                        + "(nodes register MBeans unless started with management off)"
                        + (skipped.isEmpty() ? "" : "; " + skipped.size() + " JVM(s) could not be read, see above"));
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(StatusFormat.json(found));
        } else {
            out.print(StatusFormat.tables(found));
        }
        out.flush();
        return 0;
    }

    /**
     * Attaches to {@code pid} and reads its overlay MBeans. With a descriptor (listing every JVM),
     * a JVM without the marker property is skipped (null) without starting its management agent.
     */
    private static Jvm read(long pid, VirtualMachineDescriptor listed) {
        VirtualMachine vm;
        try {
            vm = listed != null ? VirtualMachine.attach(listed) : VirtualMachine.attach(Long.toString(pid));
        } catch (AttachNotSupportedException | IOException e) {
            throw new Failure("cannot attach to JVM " + pid + ": " + reason(e));
        }
        try {
            Properties props = vm.getSystemProperties();
            if (listed != null && props.getProperty(MARKER_PROPERTY) == null) {
                return null;
            }
            String command = props.getProperty("sun.java.command", "");
            String address = vm.startLocalManagementAgent();
            try (JMXConnector c = JMXConnectorFactory.connect(new JMXServiceURL(address))) {
                return new Jvm(pid, command, nodes(c.getMBeanServerConnection()));
            }
        } catch (IOException e) {
            throw new Failure("cannot read the MBeans of JVM " + pid + ": " + reason(e));
        } finally {
            try {
                vm.detach();
            } catch (IOException e) {
                // detached anyway when this process ends
            }
        }
    }

    private static String reason(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    private static List<NodeView> nodes(MBeanServerConnection c) throws IOException {
        List<NodeView> nodes = new ArrayList<>();
        for (ObjectName n : sorted(c.queryNames(pattern("dev.overlay:type=Node,*"), null))) {
            String key = n.getKeyProperty("name");
            Map<String, Object> attributes;
            try {
                attributes = attributes(c, n, NODE_ATTRIBUTES);
            } catch (JMException | RuntimeException e) {
                nodes.add(new NodeView(n, Map.of("Name", key), List.of(), "unavailable: " + rootMessage(e)));
                continue;
            }
            List<Map<String, Object>> peers = new ArrayList<>();
            for (ObjectName p : sorted(c.queryNames(pattern("dev.overlay:type=Peer,node=" + key + ",*"), null))) {
                try {
                    peers.add(attributes(c, p, PEER_ATTRIBUTES));
                } catch (JMException | RuntimeException e) {
                    // forgotten between the query and the read
                }
            }
            nodes.add(new NodeView(n, attributes, peers, null));
        }
        return nodes;
    }

    private static ObjectName pattern(String s) {
        try {
            return new ObjectName(s);
        } catch (JMException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<ObjectName> sorted(Set<ObjectName> names) {
        Set<ObjectName> s = new TreeSet<>(names);
        return new ArrayList<>(s);
    }

    /**
     * The attributes, in the order asked; a read that failed on the node's side (a stuck event
     * loop answers with an error after 2 s) fails the whole MBean.
     */
    private static Map<String, Object> attributes(MBeanServerConnection c, ObjectName n, String[] names)
            throws IOException, JMException {
        AttributeList list = c.getAttributes(n, names);
        Map<String, Object> m = new LinkedHashMap<>();
        for (Attribute a : list.asList()) {
            m.put(a.getName(), plain(a.getValue()));
        }
        if (m.size() < names.length) {
            // getAttributes leaves out what failed: read one of them alone for its error.
            for (String name : names) {
                if (!m.containsKey(name)) {
                    c.getAttribute(n, name);
                }
            }
        }
        return m;
    }

    /** Open-type values as plain Java: TabularData of (key, value) rows becomes a map. */
    private static Object plain(Object v) {
        if (v instanceof TabularData t) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (Object row : t.values()) {
                CompositeData cd = (CompositeData) row;
                m.put(String.valueOf(cd.get("key")), cd.get("value"));
            }
            return m;
        }
        if (v instanceof String[] a) {
            return Arrays.asList(a);
        }
        return v;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return reason(t);
    }
}
