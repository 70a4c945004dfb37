package dev.overlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every wrong input exits non-zero with one line that says what was wrong. */
class CliErrorsTest {
    @TempDir
    Path dir;

    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    private String keygen(String file) {
        Result r = run("keygen", "--out", dir.resolve(file).toString());
        assertThat(r.code()).as(r.err()).isZero();
        return r.out().trim();
    }

    @Test
    void keygenPrintsANameAndIdPrintsTheSameNameAndItsHandle() {
        String name = keygen("a.key");
        assertThat(name).matches("[a-z2-7]{52}\\.overlay");

        Result id = run("id", "--identity", dir.resolve("a.key").toString());

        assertThat(id.code()).isZero();
        assertThat(id.out()).contains("name:   " + name).containsPattern("handle: fd6f:[0-9a-f:]+");
    }

    @Test
    void keygenRefusesToOverwriteAnExistingIdentity() {
        keygen("a.key");
        Result r = run("keygen", "--out", dir.resolve("a.key").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().lines()).singleElement().asString().contains("a.key").contains("refusing to overwrite");
    }

    @Test
    void anUnknownFlagExitsWithUsageCode2AndOneLine() {
        keygen("a.key");
        Result r = run("ping", "--identity", dir.resolve("a.key").toString(), "--bogus", keygen("b.key"));
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().lines()).singleElement().asString().contains("--bogus");
    }

    @Test
    void aMissingIdentityFileIsNamedWithTheFixInOneLine() {
        Result r = run("serve", "--identity", dir.resolve("nope.key").toString(), "--bind", "127.0.0.1:0");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().lines()).singleElement().asString()
                .contains("nope.key").contains("does not exist").contains("overlay keygen");
    }

    @Test
    void aMalformedNameIsRejectedWithUsageCode2() {
        keygen("a.key");
        Result r = run("ping", "--identity", dir.resolve("a.key").toString(), "--peer",
                keygen("b.key") + "@127.0.0.1:9", "not-a-name.example.com");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().lines()).singleElement().asString().contains("not-a-name.example.com");
    }

    @Test
    void aMalformedPeerIsRejectedWithUsageCode2() {
        keygen("a.key");
        String b = keygen("b.key");
        for (String bad : new String[] {b, b + "@127.0.0.1", b + "@127.0.0.1:99999", "xyz@127.0.0.1:9"}) {
            Result r = run("ping", "--identity", dir.resolve("a.key").toString(), "--peer", bad, b);
            assertThat(r.code()).as(bad).isEqualTo(2);
            assertThat(r.err().lines()).as(bad).singleElement().asString().startsWith("overlay ping: --peer");
        }
    }

    @Test
    void aBadTimerIsRejectedWithUsageCode2() {
        keygen("a.key");
        Result r = run("serve", "--identity", dir.resolve("a.key").toString(), "--bind", "127.0.0.1:0",
                "--timer", "rekey-after=soon");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("bad duration 'soon'");
    }

    @Test
    void aGroupReadableKeyFileIsRefused() throws Exception {
        keygen("a.key");
        Path f = dir.resolve("a.key");
        Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
        Result r = run("id", "--identity", f.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().lines()).singleElement().asString().contains("a.key").contains("chmod 600");
    }

    @Test
    void pingingAPeerThatDoesNotAnswerFailsWithAClearTimeoutMessage() throws Exception {
        keygen("a.key");
        String b = keygen("b.key");
        int silentPort;
        try (DatagramSocket silent = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            silentPort = silent.getLocalPort();
            // The socket stays open and never answers: packets to it vanish, as to a dead host.
            Result r = run("ping", "--identity", dir.resolve("a.key").toString(), "--bind", "127.0.0.1:0",
                    "--peer", b + "@127.0.0.1:" + silentPort, "--count", "1", "--timeout", "300ms", b);

            assertThat(r.code()).isEqualTo(1);
            assertThat(r.out()).contains("no reply for seq=1 within 300 ms").contains("1 sent, 0 received, 100% loss");
            assertThat(r.err().lines()).singleElement().asString()
                    .contains("no handshake with").contains("127.0.0.1:" + silentPort);
        }
    }

    @Test
    void aMalformedRendezvousListIsRejectedWithUsageCode2NamingTheEntry() {
        keygen("a.key");
        String b = keygen("b.key");
        for (String bad : new String[] {"127.0.0.1", "127.0.0.1:7000;", "127.0.0.1:7000;127.0.0.1:7000",
                "xyz@127.0.0.1:7000", "127.0.0.1:0"}) {
            Result r = run("ping", "--identity", dir.resolve("a.key").toString(), "--rendezvous", bad, b);
            assertThat(r.code()).as(bad).isEqualTo(2);
            assertThat(r.err().lines()).as(bad).singleElement().asString().startsWith("overlay ping: --rendezvous");
        }
    }

    @Test
    void aTargetWithNeitherPeerNorRendezvousIsRejectedSayingBoth() {
        keygen("a.key");
        String b = keygen("b.key");
        Result r = run("forward", "--identity", dir.resolve("a.key").toString(), "--listen", "127.0.0.1:0",
                "--to", b + ":80");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().lines()).singleElement().asString().contains("--peer").contains("--rendezvous");
    }

    @Test
    void aRendezvousWithAMissingIdentityFileSaysSo() {
        Result r = run("rendezvous", "--bind", "127.0.0.1:0", "--identity", dir.resolve("nope.key").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().lines()).singleElement().asString().contains("nope.key").contains("does not exist");
    }

    @Test
    void pingThroughARendezvousThatNeverAnswersFailsWithinTheTimeoutSayingWhy() throws Exception {
        keygen("a.key");
        String b = keygen("b.key");
        try (DatagramSocket silent = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            Result r = run("ping", "--identity", dir.resolve("a.key").toString(), "--bind", "127.0.0.1:0",
                    "--rendezvous", "127.0.0.1:" + silent.getLocalPort(), "--count", "1", "--timeout", "2s", b);
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.out()).contains("1 sent, 0 received");
            assertThat(r.err().lines()).singleElement().asString().contains("no rendezvous server answered");
        }
    }
}
