package dev.overlay.nio;

import dev.overlay.identity.Identity;
import dev.overlay.identity.KeyFile;
import dev.overlay.identity.NodeId;
import dev.overlay.node.Endpoints;
import dev.overlay.node.NodeConfig;
import dev.overlay.node.PeerSpec;
import dev.overlay.node.RendezvousSpec;
import java.io.IOException;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The NIO drop-in's configuration: the same keys whether they come from system properties
 * ({@code -Doverlay.<key>=...}), from a properties file named by {@code -Doverlay.config=FILE}, or
 * (through {@link #parse}) from agent options. Read once, when the process-wide
 * {@link OverlayRuntime} starts. docs/nio.md, "Configuration", lists every key.
 *
 * <p>Every value is checked here: an unknown key, an empty or malformed value, a file that cannot be
 * read or a key that contradicts another throws an {@link IllegalArgumentException} whose message
 * names the key, where the value came from and what is wrong. Nothing is silently ignored.
 *
 * @param identityFile the node's key file (created, mode 0600, when it did not exist)
 * @param identity the keypair read from (or written to) {@code identityFile}
 * @param bind the local UDP address of the node
 * @param rendezvous rendezvous servers (empty: none)
 * @param peers static peers (empty: none)
 * @param serve overlay-only server ports, in the order given (empty: none)
 * @param allow the keys admitted on {@code serve} ports, or null to admit any key
 * @param hostsFile the alias file, or null
 * @param hosts aliases ({@code db.overlay}, lower case, no trailing dot) to keys (empty: none)
 * @param udpOffload whether the node batches datagrams with Linux UDP segmentation offload
 *     ({@code udp-offload=on}, the default) or sends each with its own system call ({@code off})
 * @param source where the configuration came from, for logs
 */
public record OverlayConfig(Path identityFile, Identity identity, InetSocketAddress bind,
                            List<RendezvousSpec> rendezvous, List<PeerSpec> peers, List<Integer> serve,
                            Set<NodeId> allow, Path hostsFile, Map<String, NodeId> hosts, boolean udpOffload,
                            String source) {

    /** Prefix of the system properties: {@code overlay.identity} sets {@code identity}. */
    public static final String PROPERTY_PREFIX = "overlay.";
    public static final String IDENTITY = "identity";
    public static final String BIND = "bind";
    public static final String RENDEZVOUS = "rendezvous";
    public static final String PEERS = "peers";
    public static final String SERVE = "serve";
    public static final String ALLOW = "allow";
    public static final String HOSTS = "hosts";
    public static final String UDP_OFFLOAD = "udp-offload";
    public static final String CONFIG = "config";
    /** Every key, in the order the documentation lists them. */
    public static final List<String> KEYS = List.of(IDENTITY, BIND, RENDEZVOUS, PEERS, SERVE, ALLOW, HOSTS,
            UDP_OFFLOAD, CONFIG);

    /** The default {@code bind}: every interface, a port the kernel picks. */
    public static final InetSocketAddress DEFAULT_BIND = new InetSocketAddress("0.0.0.0", 0);
    /** Key, alias and configuration files larger than this are refused unread. */
    static final long MAX_FILE_SIZE = 1 << 20;
    /** Whitespace then '#' in a value of the configuration file: an inline comment, which properties files lack. */
    private static final java.util.regex.Pattern INLINE_COMMENT = java.util.regex.Pattern.compile("\\s#");
    private static final int MAX_NAME_LENGTH = 253;
    private static final int MAX_LABEL_LENGTH = 63;

    public OverlayConfig {
        Objects.requireNonNull(identityFile, "identityFile");
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(bind, "bind");
        rendezvous = List.copyOf(rendezvous);
        peers = List.copyOf(peers);
        serve = List.copyOf(serve);
        allow = allow == null ? null : Collections.unmodifiableSet(new LinkedHashSet<>(allow));
        hosts = Collections.unmodifiableMap(new LinkedHashMap<>(hosts));
        Objects.requireNonNull(source, "source");
    }

    /** Whether {@code peer} may open streams to a {@code serve} port. */
    public boolean admits(NodeId peer) {
        return allow == null || allow.contains(peer);
    }

    /** The node configuration: identity, bind, peers and rendezvous servers, default tuning. */
    public NodeConfig nodeConfig() {
        return NodeConfig.of(identity, bind, peers).withRendezvous(rendezvous).withUdpOffload(udpOffload);
    }

    /**
     * Reads the configuration from the system properties {@code overlay.<key>}, on top of the
     * properties file named by {@code overlay.config} (whose keys have no prefix). A system
     * property overrides the file's value for the same key.
     *
     * @throws IllegalArgumentException for an unknown {@code overlay.*} property, an unknown key in
     *     the file, a bad value or a missing {@code identity}, naming the key and its source
     */
    public static OverlayConfig fromSystemProperties() {
        return fromProperties(System.getProperties());
    }

    /** {@link #fromSystemProperties()} reading {@code properties} instead of the system's. */
    static OverlayConfig fromProperties(Properties properties) {
        Map<String, String> values = new TreeMap<>();
        for (String name : properties.stringPropertyNames()) {
            if (!name.startsWith(PROPERTY_PREFIX)) {
                continue;
            }
            String key = name.substring(PROPERTY_PREFIX.length());
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("overlay configuration: unknown system property " + name
                        + "; the overlay.* properties are " + knownKeys(PROPERTY_PREFIX));
            }
            values.put(key, properties.getProperty(name));
        }
        return parse(values, key -> "system property " + PROPERTY_PREFIX + key, "system properties");
    }

    /**
     * Reads the configuration from {@code values}, keys without a prefix (e.g. agent options). If
     * {@code config} is among them, that properties file is read first and the other values
     * override it. Relative paths inside the file are resolved against the file's directory,
     * others against the working directory.
     *
     * @param sourceDescription where {@code values} came from, for messages ("agent options")
     * @throws IllegalArgumentException naming the key, its source and what is wrong
     */
    public static OverlayConfig parse(Map<String, String> values, String sourceDescription) {
        Objects.requireNonNull(sourceDescription, "sourceDescription");
        for (String key : values.keySet()) {
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("overlay configuration: unknown key '" + key + "' in "
                        + sourceDescription + "; the keys are " + knownKeys(""));
            }
        }
        return parse(values, key -> sourceDescription, sourceDescription);
    }

    /**
     * As {@link #parse(Map, String)}, with each key's own source for messages: the java agent
     * merges its options, {@code overlay.*} system properties and {@code OVERLAY_*} environment
     * variables, and an error names where the faulty value came from.
     *
     * @param sources where each key of {@code values} came from ("agent option", "environment
     *     variable OVERLAY_SERVE"); a key without an entry is described by {@code overall}
     * @param overall all the sources together, for a missing {@code identity}
     */
    public static OverlayConfig parse(Map<String, String> values, Map<String, String> sources, String overall) {
        Objects.requireNonNull(sources, "sources");
        Objects.requireNonNull(overall, "overall");
        for (String key : values.keySet()) {
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("overlay configuration: unknown key '" + key + "' in "
                        + sources.getOrDefault(key, overall) + "; the keys are " + knownKeys(""));
            }
        }
        return parse(values, key -> sources.getOrDefault(key, overall), overall);
    }

    private static String knownKeys(String prefix) {
        StringBuilder b = new StringBuilder();
        for (String k : KEYS) {
            b.append(b.length() == 0 ? "" : ", ").append(prefix).append(k);
        }
        return b.toString();
    }

    /** A value and where it came from. {@code base} resolves relative paths (null: working directory). */
    private record Value(String key, String text, String source, Path base) {
        IllegalArgumentException bad(String problem) {
            return new IllegalArgumentException("overlay configuration: " + key + "=" + text
                    + " (" + source + "): " + problem);
        }

        IllegalArgumentException bad(String problem, Throwable cause) {
            IllegalArgumentException e = bad(problem);
            e.initCause(cause);
            return e;
        }

        Path path(String text) {
            Path p;
            try {
                p = Path.of(text);
            } catch (InvalidPathException e) {
                throw bad("not a valid path: " + e.getReason());
            }
            return base == null || p.isAbsolute() ? p : base.resolve(p);
        }
    }

    private static OverlayConfig parse(Map<String, String> raw, Function<String, String> sourceOf, String overall) {
        Map<String, Value> values = new HashMap<>();
        String source = overall;
        String configText = raw.get(CONFIG);
        if (configText != null) {
            Value config = value(CONFIG, configText, sourceOf.apply(CONFIG), null);
            Path file = config.path(config.text()).toAbsolutePath().normalize();
            Map<String, String> fromFile = readProperties(config, file);
            String fileSource = "file " + file;
            for (Map.Entry<String, String> e : fromFile.entrySet()) {
                if (e.getKey().equals(CONFIG)) {
                    throw new IllegalArgumentException("overlay configuration: key 'config' in " + fileSource
                            + ": a configuration file cannot name another one");
                }
                if (!KEYS.contains(e.getKey())) {
                    throw new IllegalArgumentException("overlay configuration: unknown key '" + e.getKey() + "' in "
                            + fileSource + "; the keys are " + knownKeys(""));
                }
                values.put(e.getKey(), value(e.getKey(), e.getValue(), fileSource, file.getParent()));
            }
            source = overall + " and " + fileSource;
        }
        for (Map.Entry<String, String> e : raw.entrySet()) {
            if (!e.getKey().equals(CONFIG)) {
                values.put(e.getKey(), value(e.getKey(), e.getValue(), sourceOf.apply(e.getKey()), null));
            }
        }

        Value identityValue = values.get(IDENTITY);
        if (identityValue == null) {
            throw new IllegalArgumentException("overlay configuration: 'identity' is not set (read " + source
                    + "): name the node's key file with -Doverlay.identity=FILE, identity=FILE in the"
                    + " overlay.config file, or the identity agent option (or OVERLAY_IDENTITY); a missing file is created"
                    + " (mode 0600) with a new key, or make one with 'overlay keygen --out FILE'");
        }
        Path identityFile = identityValue.path(identityValue.text());
        Identity identity;
        boolean existed = java.nio.file.Files.exists(identityFile);
        try {
            identity = KeyFile.loadOrCreate(identityFile, new SecureRandom());
        } catch (IOException e) {
            throw identityValue.bad("cannot use the key file: " + e.getMessage(), e);
        }
        if (!existed) {
            // A typo in the path would otherwise give the node a new address without a word.
            System.getLogger("dev.overlay.nio").log(System.Logger.Level.WARNING, "overlay configuration: " + identityFile
                    + " did not exist: created it with a new identity, " + identity.id().name()
                    + " (if the node should keep an address it had, the path is wrong)");
        }
        NodeId self = identity.id();

        InetSocketAddress bind = DEFAULT_BIND;
        Value v = values.get(BIND);
        if (v != null) {
            try {
                bind = Endpoints.parse(v.text(), true);
            } catch (IllegalArgumentException e) {
                throw v.bad(e.getMessage() + " (expected the node's UDP HOST:PORT, e.g. 0.0.0.0:7000; port 0 picks one)");
            }
        }

        List<RendezvousSpec> rendezvous = List.of();
        v = values.get(RENDEZVOUS);
        if (v != null) {
            try {
                rendezvous = RendezvousSpec.parseList(v.text());
            } catch (IllegalArgumentException e) {
                throw v.bad(e.getMessage());
            }
            for (RendezvousSpec r : rendezvous) {
                if (self.equals(r.key())) {
                    throw v.bad("rendezvous " + r + " is this node itself (" + identityFile + ")");
                }
            }
        }

        List<PeerSpec> peers = new ArrayList<>();
        v = values.get(PEERS);
        if (v != null) {
            for (String part : entries(v, "KEY@HOST:PORT")) {
                PeerSpec p;
                try {
                    p = PeerSpec.parse(part);
                } catch (IllegalArgumentException e) {
                    throw v.bad(e.getMessage());
                }
                if (p.id().equals(self)) {
                    throw v.bad("peer " + p.id() + " is this node itself (" + identityFile + ")");
                }
                for (PeerSpec other : peers) {
                    if (other.id().equals(p.id())) {
                        throw v.bad("peer " + p.id() + " is listed twice");
                    }
                }
                peers.add(p);
            }
        }

        List<Integer> serve = serveList(values.get(SERVE));

        Set<NodeId> allow = null;
        v = values.get(ALLOW);
        if (v != null) {
            allow = v.text().startsWith("@") ? readKeyFile(v) : keyList(v);
            if (serve.isEmpty()) {
                throw v.bad("'allow' restricts who may connect to the 'serve' ports, but 'serve' is not set");
            }
        }

        Path hostsFile = null;
        Map<String, NodeId> hosts = Map.of();
        v = values.get(HOSTS);
        if (v != null) {
            hostsFile = v.path(v.text());
            hosts = readHosts(v, hostsFile);
        }
        boolean udpOffload = true;
        v = values.get(UDP_OFFLOAD);
        if (v != null) {
            switch (v.text()) {
                case "on" -> udpOffload = true;
                case "off" -> udpOffload = false;
                default -> throw v.bad("'" + v.text() + "' is neither on nor off");
            }
        }
        return new OverlayConfig(identityFile, identity, bind, rendezvous, peers, serve, allow, hostsFile,
                hosts, udpOffload, source);
    }

    /** The {@code serve} ports {@code v} lists (null: none). */
    private static List<Integer> serveList(Value v) {
        List<Integer> serve = new ArrayList<>();
        if (v != null) {
            for (String part : entries(v, "PORT")) {
                int port;
                try {
                    port = Integer.parseInt(part);
                } catch (NumberFormatException e) {
                    throw v.bad("'" + part + "' is not a port number");
                }
                if (port < 1 || port > 65535) {
                    throw v.bad("port " + port + " is outside 1..65535");
                }
                if (serve.contains(port)) {
                    throw v.bad("port " + port + " is listed twice");
                }
                serve.add(port);
            }
        }
        return serve;
    }

    /**
     * The {@code serve} ports of the system properties' configuration ({@code overlay.serve}, else
     * {@code serve} in the {@code overlay.config} file), read without loading the identity or
     * starting anything, so that a kernel server can tell its port is not served without the
     * runtime.
     *
     * @throws IllegalArgumentException when {@code serve} or the configuration file is wrong
     */
    public static List<Integer> servedPortsFromSystemProperties() {
        return servedPorts(System.getProperties());
    }

    /** {@link #servedPortsFromSystemProperties()} reading {@code properties}. */
    static List<Integer> servedPorts(Properties properties) {
        String serveText = properties.getProperty(PROPERTY_PREFIX + SERVE);
        if (serveText != null) {
            return List.copyOf(serveList(value(SERVE, serveText, "system property " + PROPERTY_PREFIX + SERVE, null)));
        }
        String configText = properties.getProperty(PROPERTY_PREFIX + CONFIG);
        if (configText == null) {
            return List.of();
        }
        Value config = value(CONFIG, configText, "system property " + PROPERTY_PREFIX + CONFIG, null);
        Path file = config.path(config.text()).toAbsolutePath().normalize();
        String fromFile = readProperties(config, file).get(SERVE);
        return fromFile == null ? List.of()
                : List.copyOf(serveList(value(SERVE, fromFile, "file " + file, file.getParent())));
    }

    private static Value value(String key, String text, String source, Path base) {
        Value v = new Value(key, text, source, base);
        if (text == null || text.isBlank()) {
            throw v.bad("the value is empty; leave the key out to use its default");
        }
        return new Value(key, text.strip(), source, base);
    }

    /** {@code A;B;C}: no empty entries. */
    private static List<String> entries(Value v, String form) {
        List<String> list = new ArrayList<>();
        for (String part : v.text().split(";", -1)) {
            if (part.isBlank()) {
                throw v.bad("empty entry in the list (expected " + form + "[;" + form + "...])");
            }
            list.add(part.strip());
        }
        return list;
    }

    private static Set<NodeId> keyList(Value v) {
        Set<NodeId> keys = new LinkedHashSet<>();
        for (String part : entries(v, "KEY")) {
            NodeId id;
            try {
                id = NodeId.parse(part);
            } catch (IllegalArgumentException e) {
                throw v.bad("'" + part + "' is not a node key: " + e.getMessage());
            }
            if (!keys.add(id)) {
                throw v.bad("key " + id + " is listed twice");
            }
        }
        return keys;
    }

    /** {@code @FILE}: one key per line; '#' starts a comment; blank lines are skipped. */
    private static Set<NodeId> readKeyFile(Value v) {
        String name = v.text().substring(1).strip();
        if (name.isEmpty()) {
            throw v.bad("'@' must be followed by the name of a file with one key per line");
        }
        Path file = v.path(name);
        List<String> lines = readLines(v, file);
        Map<NodeId, Integer> keys = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = withoutComment(lines.get(i));
            if (line.isEmpty()) {
                continue;
            }
            NodeId id;
            try {
                id = NodeId.parse(line);
            } catch (IllegalArgumentException e) {
                throw v.bad(file + " line " + (i + 1) + ": '" + line + "' is not a node key: " + e.getMessage());
            }
            Integer before = keys.putIfAbsent(id, i + 1);
            if (before != null) {
                throw v.bad(file + " line " + (i + 1) + ": key " + id + " is already on line " + before);
            }
        }
        if (keys.isEmpty()) {
            throw v.bad(file + " lists no keys; to admit any key, leave 'allow' out");
        }
        return keys.keySet();
    }

    /** Lines of {@code alias KEY}; '#' starts a comment; blank lines are skipped. */
    private static Map<String, NodeId> readHosts(Value v, Path file) {
        List<String> lines = readLines(v, file);
        Map<String, NodeId> hosts = new LinkedHashMap<>();
        Map<String, Integer> lineOf = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = withoutComment(lines.get(i));
            if (line.isEmpty()) {
                continue;
            }
            String where = file + " line " + (i + 1) + ": ";
            String[] fields = line.split("\\s+");
            if (fields.length != 2) {
                throw v.bad(where + "expected 'ALIAS KEY' (two fields), got '" + line + "'");
            }
            String alias;
            try {
                alias = normalizeAlias(fields[0]);
            } catch (IllegalArgumentException e) {
                throw v.bad(where + e.getMessage());
            }
            NodeId key;
            try {
                key = NodeId.parse(fields[1]);
            } catch (IllegalArgumentException e) {
                throw v.bad(where + "'" + fields[1] + "' is not a node key: " + e.getMessage());
            }
            Integer before = lineOf.putIfAbsent(alias, i + 1);
            if (before != null) {
                throw v.bad(where + "alias " + alias + " is already defined on line " + before);
            }
            hosts.put(alias, key);
        }
        return hosts;
    }

    /**
     * Checks an alias and returns its lookup form: lower case, no trailing dot. An alias is a DNS
     * name ending in {@code .overlay} (so it never shadows a real DNS name and the resolver can tell
     * overlay names by their suffix alone), made of labels of letters, digits and hyphens, and not
     * itself a {@code <key>.overlay} name.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    static String normalizeAlias(String text) {
        String name = text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
        name = asciiLowerCase(name);
        if (!name.endsWith(NodeId.SUFFIX)) {
            throw new IllegalArgumentException("alias '" + text + "' must end with " + NodeId.SUFFIX
                    + " (for example db" + NodeId.SUFFIX + ")");
        }
        if (name.length() == NodeId.SUFFIX.length()) {
            throw new IllegalArgumentException("alias '" + text + "' has nothing before " + NodeId.SUFFIX);
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("alias '" + text + "' is longer than " + MAX_NAME_LENGTH + " characters");
        }
        for (String label : name.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > MAX_LABEL_LENGTH) {
                throw new IllegalArgumentException("alias '" + text + "' has an empty or over-long ("
                        + MAX_LABEL_LENGTH + "+) label");
            }
            if (label.startsWith("-") || label.endsWith("-")) {
                throw new IllegalArgumentException("alias '" + text + "' has a label starting or ending with '-'");
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '-') {
                    throw new IllegalArgumentException("alias '" + text + "' contains '" + c
                            + "' (letters, digits, '-' and '.' only)");
                }
            }
        }
        boolean isKeyName;
        try {
            NodeId.parse(name);
            isKeyName = true;
        } catch (IllegalArgumentException e) {
            isKeyName = false;
        }
        if (isKeyName) {
            throw new IllegalArgumentException("alias '" + text + "' is a node name itself; an alias must not look like a key");
        }
        return name;
    }

    static String asciiLowerCase(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                if (b == null) {
                    b = new StringBuilder(s);
                }
                b.setCharAt(i, (char) (c + ('a' - 'A')));
            }
        }
        return b == null ? s : b.toString();
    }

    private static String withoutComment(String line) {
        int hash = line.indexOf('#');
        return (hash < 0 ? line : line.substring(0, hash)).strip();
    }

    private static List<String> readLines(Value v, Path file) {
        return List.of(readText(v, file).split("\r?\n", -1));
    }

    private static String readText(Value v, Path file) {
        try {
            if (Files.isDirectory(file)) {
                throw v.bad(file + " is a directory, not a file");
            }
            long size = Files.size(file);
            if (size > MAX_FILE_SIZE) {
                throw v.bad(file + " is too large (" + size + " bytes; at most " + MAX_FILE_SIZE + ")");
            }
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(readAtMost(v, file)))
                    .toString();
        } catch (NoSuchFileException e) {
            throw v.bad(file + " does not exist", e);
        } catch (CharacterCodingException e) {
            throw v.bad(file + " is not UTF-8 text", e);
        } catch (IOException e) {
            throw v.bad(file + " cannot be read: " + e, e);
        }
    }

    /** The file's bytes, refusing more than MAX_FILE_SIZE even when its size says less (a device, a pipe). */
    private static byte[] readAtMost(Value v, Path file) throws IOException {
        try (java.io.InputStream in = Files.newInputStream(file)) {
            byte[] b = in.readNBytes((int) MAX_FILE_SIZE + 1);
            if (b.length > MAX_FILE_SIZE) {
                throw v.bad(file + " is too large (more than " + MAX_FILE_SIZE + " bytes)");
            }
            return b;
        }
    }

    /** A properties file (UTF-8); a key given twice is an error rather than the last one winning. */
    private static Map<String, String> readProperties(Value v, Path file) {
        String text = readText(v, file);
        Map<String, String> values = new LinkedHashMap<>();
        Properties p = new Properties() {
            private static final long serialVersionUID = 1L;

            @Override
            public synchronized Object put(Object key, Object value) {
                if (values.putIfAbsent((String) key, (String) value) != null) {
                    throw v.bad("key '" + key + "' is set twice in " + file);
                }
                return super.put(key, value);
            }
        };
        try (Reader r = new java.io.StringReader(text)) {
            p.load(r);
        } catch (IOException | IllegalArgumentException e) {
            if (e instanceof IllegalArgumentException iae && iae.getMessage() != null
                    && iae.getMessage().startsWith("overlay configuration:")) {
                throw iae;
            }
            throw v.bad(file + " is not a valid properties file: " + e.getMessage(), e);
        }
        for (Map.Entry<String, String> e : values.entrySet()) {
            if (INLINE_COMMENT.matcher(e.getValue()).find()) {
                throw new IllegalArgumentException("overlay configuration: key '" + e.getKey() + "' in file " + file
                        + ": the value '" + e.getValue() + "' holds an inline comment, which a properties file does"
                        + " not have (the '#' and what follows would be part of the value): put comments on"
                        + " their own line");
            }
        }
        return values;
    }
}
