package dev.overlay.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.overlay.identity.Identity;
import dev.overlay.identity.KeyFile;
import dev.overlay.identity.NodeId;
import dev.overlay.node.PeerSpec;
import dev.overlay.node.RendezvousSpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every configuration key, every source, every error: the message names the key, the source and the problem. */
class OverlayConfigTest {
    private static final String SOURCE = "test options";

    @TempDir
    Path dir;
    Path identity;
    NodeId self;
    NodeId a;
    NodeId b;

    @BeforeEach
    void keys() throws IOException {
        identity = dir.resolve("node.key");
        self = KeyFile.loadOrCreate(identity, new SecureRandom()).id();
        a = Identity.generate(new SecureRandom()).id();
        b = Identity.generate(new SecureRandom()).id();
    }

    private Map<String, String> with(String... keyValues) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("identity", identity.toString());
        for (int i = 0; i < keyValues.length; i += 2) {
            if (keyValues[i + 1] == null) {
                m.remove(keyValues[i]);
            } else {
                m.put(keyValues[i], keyValues[i + 1]);
            }
        }
        return m;
    }

    private OverlayConfig parse(String... keyValues) {
        return OverlayConfig.parse(with(keyValues), SOURCE);
    }

    private AbstractThrowableAssert<?, ? extends Throwable> rejects(String key, String... keyValues) {
        return assertThatThrownBy(() -> parse(keyValues))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("overlay configuration: " + key + "=")
                .hasMessageContaining("(" + SOURCE + ")");
    }

    private Path write(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text, StandardCharsets.UTF_8);
        return f;
    }

    @Nested
    class Identity_ {
        @Test
        void anExistingKeyFileIsReadAndTheDefaultsApply() {
            OverlayConfig c = parse();
            assertThat(c.identity().id()).isEqualTo(self);
            assertThat(c.identityFile()).isEqualTo(identity);
            assertThat(c.bind()).isEqualTo(new InetSocketAddress("0.0.0.0", 0));
            assertThat(c.rendezvous()).isEmpty();
            assertThat(c.peers()).isEmpty();
            assertThat(c.serve()).isEmpty();
            assertThat(c.allow()).isNull();
            assertThat(c.admits(a)).isTrue();
            assertThat(c.hosts()).isEmpty();
            assertThat(c.hostsFile()).isNull();
            assertThat(c.source()).isEqualTo(SOURCE);
        }

        @Test
        void aMissingKeyFileIsCreatedOwnerOnlyAndReadBackTheNextTime() throws IOException {
            Path file = dir.resolve("sub/new.key");
            OverlayConfig c = parse("identity", file.toString());
            assertThat(file).exists();
            if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            }
            assertThat(parse("identity", file.toString()).identity().id()).isEqualTo(c.identity().id());
        }

        @Test
        void isRequiredAndTheMessageSaysHowToMakeOne() {
            assertThatThrownBy(() -> parse("identity", null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'identity' is not set")
                    .hasMessageContaining(SOURCE)
                    .hasMessageContaining("-Doverlay.identity=FILE")
                    .hasMessageContaining("overlay keygen --out FILE");
        }

        @Test
        void aKeyFileOthersCanReadIsRefused() throws IOException {
            assumeTrue(identity.getFileSystem().supportedFileAttributeViews().contains("posix"));
            Files.setPosixFilePermissions(identity, PosixFilePermissions.fromString("rw-r--r--"));
            rejects("identity").hasMessageContaining("cannot use the key file").hasMessageContaining("chmod 600");
        }

        @Test
        void aDirectoryOrAGarbageFileIsRefused() throws IOException {
            rejects("identity", "identity", dir.toString()).hasMessageContaining("is not a regular file");
            Path garbage = write("garbage.key", "hello\n");
            Files.setPosixFilePermissions(garbage, PosixFilePermissions.fromString("rw-------"));
            rejects("identity", "identity", garbage.toString()).hasMessageContaining(garbage.toString());
        }

        @Test
        void anEmptyValueIsRefused() {
            rejects("identity", "identity", "  ").hasMessageContaining("the value is empty");
        }
    }

    @Nested
    class Bind {
        @Test
        void takesHostAndPortIncludingPortZero() {
            assertThat(parse("bind", "127.0.0.1:7000").bind()).isEqualTo(new InetSocketAddress("127.0.0.1", 7000));
            assertThat(parse("bind", "[::1]:0").bind()).isEqualTo(new InetSocketAddress("::1", 0));
        }

        @Test
        void refusesAMissingPortAPortOutOfRangeAndAnUnknownHost() {
            rejects("bind", "bind", "127.0.0.1").hasMessageContaining("expected HOST:PORT");
            rejects("bind", "bind", "127.0.0.1:70000").hasMessageContaining("outside 0..65535");
            rejects("bind", "bind", "no-such-host.invalid:7000").hasMessageContaining("cannot resolve host");
            rejects("bind", "bind", "").hasMessageContaining("the value is empty");
        }
    }

    @Nested
    class UdpOffload {
        @Test
        void isOnByDefaultAndReachesTheNodeConfiguration() {
            OverlayConfig c = parse();
            assertThat(c.udpOffload()).isTrue();
            assertThat(c.nodeConfig().udpOffload()).isTrue();
            OverlayConfig off = parse("udp-offload", "off");
            assertThat(off.udpOffload()).isFalse();
            assertThat(off.nodeConfig().udpOffload()).isFalse();
            assertThat(parse("udp-offload", " on ").udpOffload()).isTrue();
        }

        @Test
        void refusesAnythingButOnAndOff() {
            rejects("udp-offload", "udp-offload", "yes").hasMessageContaining("'yes' is neither on nor off");
            rejects("udp-offload", "udp-offload", "OFF").hasMessageContaining("neither on nor off");
            rejects("udp-offload", "udp-offload", "").hasMessageContaining("the value is empty");
        }
    }

    @Nested
    class Rendezvous {
        @Test
        void takesPinnedAndUnpinnedServers() {
            OverlayConfig c = parse("rendezvous", a.name() + "@127.0.0.1:7000; 127.0.0.1:7001");
            assertThat(c.rendezvous()).containsExactly(
                    new RendezvousSpec(new InetSocketAddress("127.0.0.1", 7000), a),
                    new RendezvousSpec(new InetSocketAddress("127.0.0.1", 7001), null));
            assertThat(c.nodeConfig().rendezvous()).isEqualTo(c.rendezvous());
        }

        @Test
        void refusesBadEntriesDuplicatesAndThisNodeItself() {
            rejects("rendezvous", "rendezvous", "127.0.0.1:7000;;127.0.0.1:7001").hasMessageContaining("empty entry");
            rejects("rendezvous", "rendezvous", "127.0.0.1:7000;127.0.0.1:7000").hasMessageContaining("listed twice");
            rejects("rendezvous", "rendezvous", "nokey@127.0.0.1:7000").hasMessageContaining("bad key");
            rejects("rendezvous", "rendezvous", "127.0.0.1:0").hasMessageContaining("outside 1..65535");
            rejects("rendezvous", "rendezvous", self.name() + "@127.0.0.1:7000").hasMessageContaining("is this node itself");
        }
    }

    @Nested
    class Peers {
        @Test
        void takesKeyAtHostPortEntries() {
            OverlayConfig c = parse("peers", a.name() + "@127.0.0.1:7000;" + b.base32() + "@[::1]:7001");
            assertThat(c.peers()).containsExactly(
                    new PeerSpec(a, new InetSocketAddress("127.0.0.1", 7000)),
                    new PeerSpec(b, new InetSocketAddress("::1", 7001)));
            assertThat(c.nodeConfig().peers()).isEqualTo(c.peers());
        }

        @Test
        void refusesMalformedEntriesDuplicatesAndThisNodeItself() {
            rejects("peers", "peers", "127.0.0.1:7000").hasMessageContaining("no '@'");
            rejects("peers", "peers", "short@127.0.0.1:7000").hasMessageContaining("bad key");
            rejects("peers", "peers", a.name() + "@127.0.0.1:7000;").hasMessageContaining("empty entry");
            rejects("peers", "peers", a.name() + "@127.0.0.1:7000;" + a.name() + "@127.0.0.1:7001")
                    .hasMessageContaining("listed twice");
            rejects("peers", "peers", self.name() + "@127.0.0.1:7000").hasMessageContaining("is this node itself");
        }
    }

    @Nested
    class Serve {
        @Test
        void takesPortsInOrder() {
            assertThat(parse("serve", "5432; 80;65535;1").serve()).containsExactly(5432, 80, 65535, 1);
        }

        @Test
        void refusesNonNumbersPortsOutOfRangeDuplicatesAndEmptyEntries() {
            rejects("serve", "serve", "http").hasMessageContaining("'http' is not a port number");
            rejects("serve", "serve", "0").hasMessageContaining("port 0 is outside 1..65535");
            rejects("serve", "serve", "65536").hasMessageContaining("port 65536 is outside 1..65535");
            rejects("serve", "serve", "80;80").hasMessageContaining("port 80 is listed twice");
            rejects("serve", "serve", "80;;81").hasMessageContaining("empty entry");
        }
    }

    @Nested
    class Allow {
        @Test
        void aListAdmitsExactlyThoseKeys() {
            OverlayConfig c = parse("serve", "80", "allow", a.name() + ";" + b.base32().toUpperCase());
            assertThat(c.allow()).containsExactly(a, b);
            assertThat(c.admits(a)).isTrue();
            assertThat(c.admits(self)).isFalse();
        }

        @Test
        void aFileListsOneKeyPerLineWithComments() throws IOException {
            Path f = write("allow.txt", "# who may connect\n" + a.name() + "   # alice\n\n  " + b.base32() + "\n");
            assertThat(parse("serve", "80", "allow", "@" + f).allow()).containsExactly(a, b);
        }

        @Test
        void refusesBadKeysDuplicatesAndLists() throws IOException {
            rejects("allow", "serve", "80", "allow", "nonsense").hasMessageContaining("'nonsense' is not a node key");
            rejects("allow", "serve", "80", "allow", a.name() + ";" + a.base32()).hasMessageContaining("listed twice");
            rejects("allow", "serve", "80", "allow", a.name() + ";").hasMessageContaining("empty entry");
            Path f = write("allow.txt", a.name() + "\nfoo\n");
            rejects("allow", "serve", "80", "allow", "@" + f).hasMessageContaining(f + " line 2: 'foo' is not a node key");
            Path dup = write("dup.txt", a.name() + "\n" + a.name() + "\n");
            rejects("allow", "serve", "80", "allow", "@" + dup).hasMessageContaining("line 2: key " + a + " is already on line 1");
        }

        @Test
        void refusesMissingAndEmptyFilesAndABareAt() throws IOException {
            rejects("allow", "serve", "80", "allow", "@" + dir.resolve("nope.txt")).hasMessageContaining("does not exist");
            Path empty = write("empty.txt", "# nobody yet\n\n");
            rejects("allow", "serve", "80", "allow", "@" + empty).hasMessageContaining("lists no keys");
            rejects("allow", "serve", "80", "allow", "@").hasMessageContaining("'@' must be followed by");
        }

        @Test
        void withoutServeThereIsNothingToAllow() {
            rejects("allow", "allow", a.name()).hasMessageContaining("'serve' is not set");
        }
    }

    @Nested
    class Hosts {
        @Test
        void mapsAliasesToKeysCaseInsensitively() throws IOException {
            Path f = write("hosts", "# aliases\ndb.overlay " + a.name() + "\n\tCache.Prod.OVERLAY.\t" + b.base32()
                    + "  # redis\r\n");
            OverlayConfig c = parse("hosts", f.toString());
            assertThat(c.hosts()).containsExactly(Map.entry("db.overlay", a), Map.entry("cache.prod.overlay", b));
            assertThat(c.hostsFile()).isEqualTo(f);
        }

        @Test
        void refusesAliasesOutsideDotOverlayAndMalformedLines() throws IOException {
            Path noSuffix = write("h1", "db " + a.name() + "\n");
            rejects("hosts", "hosts", noSuffix.toString()).hasMessageContaining(noSuffix + " line 1: alias 'db' must end with .overlay");
            Path three = write("h2", "db.overlay " + a.name() + " extra\n");
            rejects("hosts", "hosts", three.toString()).hasMessageContaining("expected 'ALIAS KEY' (two fields)");
            Path badKey = write("h3", "\ndb.overlay 1234\n");
            rejects("hosts", "hosts", badKey.toString()).hasMessageContaining("line 2: '1234' is not a node key");
            Path dup = write("h4", "db.overlay " + a.name() + "\nDB.overlay " + b.name() + "\n");
            rejects("hosts", "hosts", dup.toString()).hasMessageContaining("alias db.overlay is already defined on line 1");
            Path keyLike = write("h5", a.name() + " " + b.name() + "\n");
            rejects("hosts", "hosts", keyLike.toString()).hasMessageContaining("is a node name itself");
            Path chars = write("h6", "d_b.overlay " + a.name() + "\n");
            rejects("hosts", "hosts", chars.toString()).hasMessageContaining("contains '_'");
            Path bare = write("h7", ".overlay " + a.name() + "\n");
            rejects("hosts", "hosts", bare.toString()).hasMessageContaining("nothing before .overlay");
            Path emptyLabel = write("h8", "a..overlay " + a.name() + "\n");
            rejects("hosts", "hosts", emptyLabel.toString()).hasMessageContaining("empty or over-long");
            Path hyphen = write("h9", "-db.overlay " + a.name() + "\n");
            rejects("hosts", "hosts", hyphen.toString()).hasMessageContaining("starting or ending with '-'");
        }

        @Test
        void refusesAMissingFileADirectoryAndNonUtf8() throws IOException {
            rejects("hosts", "hosts", dir.resolve("nope").toString()).hasMessageContaining("does not exist");
            rejects("hosts", "hosts", dir.toString()).hasMessageContaining("is a directory");
            Path latin1 = dir.resolve("latin1");
            Files.write(latin1, new byte[] {'d', (byte) 0xe9, '\n'});
            rejects("hosts", "hosts", latin1.toString()).hasMessageContaining("is not UTF-8 text");
        }
    }

    @Nested
    class Sources {
        @Test
        void anUnknownKeyNamesItTheSourceAndTheKnownKeys() {
            assertThatThrownBy(() -> OverlayConfig.parse(with("bnid", "1"), SOURCE))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("unknown key 'bnid' in " + SOURCE)
                    .hasMessageContaining("identity, bind, rendezvous, peers, serve, allow, hosts, udp-offload, config");
        }

        @Test
        void systemPropertiesUseThePrefixAndAnUnknownOneIsAnError() {
            Properties p = new Properties();
            p.setProperty("java.home", "/elsewhere");
            p.setProperty("overlayish", "ignored: not an overlay.* property");
            p.setProperty("overlay.identity", identity.toString());
            p.setProperty("overlay.serve", "80");
            OverlayConfig c = OverlayConfig.fromProperties(p);
            assertThat(c.serve()).containsExactly(80);
            assertThat(c.source()).isEqualTo("system properties");

            p.setProperty("overlay.serv", "80");
            assertThatThrownBy(() -> OverlayConfig.fromProperties(p))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("unknown system property overlay.serv")
                    .hasMessageContaining("overlay.serve");
        }

        @Test
        void aBadSystemPropertyIsNamedWithItsPrefix() {
            Properties p = new Properties();
            p.setProperty("overlay.identity", identity.toString());
            p.setProperty("overlay.serve", "0");
            assertThatThrownBy(() -> OverlayConfig.fromProperties(p))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("overlay configuration: serve=0 (system property overlay.serve): port 0 is outside 1..65535");
        }

        @Test
        void aConfigFileIsReadAndSystemPropertiesOverrideIt() throws IOException {
            Path hosts = write("hosts", "db.overlay " + a.name() + "\n");
            Path conf = write("overlay.properties", "# the overlay\nidentity = node2.key\nserve=80;81\nhosts: hosts\n"
                    + "bind=127.0.0.1:0\n");
            Properties p = new Properties();
            p.setProperty("overlay.config", conf.toString());
            p.setProperty("overlay.serve", "5432");
            OverlayConfig c = OverlayConfig.fromProperties(p);
            // Relative paths in the file are resolved against the file's directory.
            assertThat(c.identityFile()).isEqualTo(dir.resolve("node2.key"));
            assertThat(dir.resolve("node2.key")).exists();
            assertThat(c.hostsFile()).isEqualTo(hosts);
            assertThat(c.serve()).containsExactly(5432);
            assertThat(c.bind()).isEqualTo(new InetSocketAddress("127.0.0.1", 0));
            assertThat(c.source()).isEqualTo("system properties and file " + conf.toAbsolutePath().normalize());
        }

        @Test
        void aBadValueInTheFileNamesTheFile() throws IOException {
            Path conf = write("overlay.properties", "identity=" + identity + "\nserve=99999\n");
            assertThatThrownBy(() -> OverlayConfig.parse(Map.of("config", conf.toString()), "agent options"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("overlay configuration: serve=99999 (file " + conf.toAbsolutePath().normalize()
                            + "): port 99999 is outside 1..65535");
        }

        @Test
        void theFileMayNotHoldUnknownKeysDuplicatesOrAnotherConfig() throws IOException {
            Path unknown = write("u.properties", "identity=" + identity + "\nidentiy=x\n");
            assertThatThrownBy(() -> OverlayConfig.parse(Map.of("config", unknown.toString()), SOURCE))
                    .hasMessageContaining("unknown key 'identiy' in file " + unknown.toAbsolutePath().normalize());
            Path twice = write("t.properties", "serve=80\nidentity=" + identity + "\nserve=81\n");
            assertThatThrownBy(() -> OverlayConfig.parse(Map.of("config", twice.toString()), SOURCE))
                    .hasMessageContaining("config=" + twice)
                    .hasMessageContaining("key 'serve' is set twice");
            Path nested = write("n.properties", "identity=" + identity + "\nconfig=other.properties\n");
            assertThatThrownBy(() -> OverlayConfig.parse(Map.of("config", nested.toString()), SOURCE))
                    .hasMessageContaining("key 'config' in file")
                    .hasMessageContaining("cannot name another one");
        }

        @Test
        void anInlineCommentInTheFileIsAnErrorNamingTheKey() throws IOException {
            Path conf = write("inline.properties", "# comments on their own line are fine\n"
                    + "identity = node.key   # the node's key\nserve=80\n");
            assertThatThrownBy(() -> OverlayConfig.parse(Map.of("config", conf.toString()), SOURCE))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("key 'identity' in file " + conf.toAbsolutePath().normalize())
                    .hasMessageContaining("inline comment")
                    .hasMessageContaining("comments on their own line");
            assertThat(dir.resolve("node.key   # the node's key")).doesNotExist();
            Properties p = new Properties();
            p.setProperty("overlay.config", conf.toString());
            assertThatThrownBy(() -> OverlayConfig.servedPorts(p)).hasMessageContaining("inline comment");
        }

        @Test
        void theDocumentedConfigFileHasNoInlineComments() throws IOException {
            Path doc = Path.of("..", "docs", "nio.md");
            assumeTrue(Files.exists(doc), "run from the module directory");
            for (String line : Files.readAllLines(doc)) {
                for (String key : OverlayConfig.KEYS) {
                    if (line.startsWith(key + " =") || line.startsWith(key + "=")) {
                        assertThat(line).as("docs/nio.md: " + line).doesNotContainPattern("\\s#");
                    }
                }
            }
        }

        @Test
        void aMissingOrMalformedConfigFileIsNamed() throws IOException {
            Path missing = dir.resolve("missing.properties");
            assertThatThrownBy(() -> OverlayConfig.parse(Map.of("config", missing.toString()), SOURCE))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("overlay configuration: config=" + missing + " (" + SOURCE + ")")
                    .hasMessageContaining("does not exist");
            Path bad = write("bad.properties", "identity=\\uZZZZ\n");
            assertThatThrownBy(() -> OverlayConfig.parse(Map.of("config", bad.toString()), SOURCE))
                    .hasMessageContaining("is not a valid properties file");
        }

        @Test
        void theIdentityMissingFromEverySourceSaysWhereItLooked() throws IOException {
            Path conf = write("c.properties", "serve=80\n");
            assertThatThrownBy(() -> OverlayConfig.parse(Map.of("config", conf.toString()), "agent options"))
                    .hasMessageContaining("'identity' is not set (read agent options and file "
                            + conf.toAbsolutePath().normalize() + ")");
        }

        @Test
        void valuesAreTrimmedButBlankOnesAreErrors() {
            assertThat(parse("serve", " 80 ").serve()).containsExactly(80);
            rejects("peers", "peers", " ").hasMessageContaining("the value is empty");
        }

        @Test
        void everyKeyIsDocumented() throws IOException {
            Path doc = Path.of("..", "docs", "nio.md");
            assumeTrue(Files.exists(doc), "run from the module directory");
            String text = Files.readString(doc);
            for (String key : OverlayConfig.KEYS) {
                assertThat(text).as("docs/nio.md documents " + key).contains("`" + key + "`");
            }
            assertThat(List.copyOf(OverlayConfig.KEYS)).hasSize(9);
        }
    }
}
