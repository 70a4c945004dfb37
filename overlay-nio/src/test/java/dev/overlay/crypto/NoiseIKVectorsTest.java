package dev.overlay.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Replays the published {@code Noise_IK_25519_AESGCM_SHA256} vectors from cacophony and snow (see
 * {@code noise-vectors/NOTICE.md}): handshake messages, handshake hash, and transport messages
 * sealed with {@link AeadKey} using explicit counters 0, 1, 2... per direction.
 */
class NoiseIKVectorsTest {
    private static final HexFormat HEX = HexFormat.of();

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"cacophony-IK_25519_AESGCM_SHA256.json", "snow-IK_25519_AESGCM_SHA256.json"})
    void the_published_vectors_are_reproduced_byte_for_byte(String file) throws Exception {
        List<Map<String, Object>> vectors = load(file);
        assertThat(vectors).hasSize(1);
        for (Map<String, Object> v : vectors) {
            replay(v, false);
            replay(v, true); // the overloads a node uses, with its static public key precomputed
        }
    }

    private static void replay(Map<String, Object> v, boolean givenPublic) throws NoiseException {
        assertThat(v.get("protocol_name")).isEqualTo("Noise_IK_25519_AESGCM_SHA256");
        assertThat(hex(v, "init_remote_static")).isEqualTo(X25519.publicKey(hex(v, "resp_static")));
        SecureRandom unused = new SecureRandom();
        byte[] initPublic = givenPublic ? X25519.publicKey(hex(v, "init_static")) : null;
        byte[] respPublic = givenPublic ? X25519.publicKey(hex(v, "resp_static")) : null;
        NoiseIK initiator = NoiseIK.initiator(hex(v, "init_static"), initPublic, hex(v, "init_remote_static"),
                        hex(v, "init_prologue"), unused)
                .withEphemeral(hex(v, "init_ephemeral"));
        NoiseIK responder = NoiseIK.responder(hex(v, "resp_static"), respPublic, hex(v, "resp_prologue"), unused)
                .withEphemeral(hex(v, "resp_ephemeral"));
        List<Map<String, Object>> messages = messages(v);

        handshakeMessage(initiator, responder, messages.get(0), NoiseIK.message1Length(payload(messages.get(0)).length));
        assertThat(responder.remoteStatic()).isEqualTo(X25519.publicKey(hex(v, "init_static")));
        handshakeMessage(responder, initiator, messages.get(1), NoiseIK.message2Length(payload(messages.get(1)).length));

        assertThat(initiator.isComplete()).isTrue();
        assertThat(responder.isComplete()).isTrue();
        assertThat(initiator.handshakeHash()).isEqualTo(responder.handshakeHash());
        if (v.containsKey("handshake_hash")) {
            assertThat(initiator.handshakeHash()).isEqualTo(hex(v, "handshake_hash"));
        }
        transport(initiator.split(), responder.split(), messages.subList(2, messages.size()));
    }

    /** One handshake message: the writer's bytes equal the vector; the reader recovers the payload. */
    private static void handshakeMessage(NoiseIK writer, NoiseIK reader, Map<String, Object> m, int expectedLength)
            throws NoiseException {
        byte[] payload = payload(m);
        byte[] expected = HEX.parseHex((String) m.get("ciphertext"));
        byte[] out = new byte[expected.length + 5];
        int written = writer.writeMessage(payload, 0, payload.length, out, 3);
        assertThat(written).isEqualTo(expectedLength).isEqualTo(expected.length);
        assertThat(Arrays.copyOfRange(out, 3, 3 + written)).isEqualTo(expected);

        byte[] received = new byte[payload.length + 2];
        int n = reader.readMessage(expected, 0, expected.length, received, 2);
        assertThat(n).isEqualTo(payload.length);
        assertThat(Arrays.copyOfRange(received, 2, 2 + n)).isEqualTo(payload);
    }

    /**
     * Transport messages alternate initiator to responder, responder to initiator, ..., starting
     * with the initiator; each direction counts from 0. Sealed in a direct buffer at an offset.
     */
    private static void transport(SessionKeys init, SessionKeys resp, List<Map<String, Object>> messages)
            throws NoiseException {
        assertThat(init.sendKey()).isEqualTo(resp.receiveKey());
        assertThat(init.receiveKey()).isEqualTo(resp.sendKey());
        AeadKey[] send = {new AeadKey(init.sendKey()), new AeadKey(resp.sendKey())};
        AeadKey[] receive = {new AeadKey(resp.receiveKey()), new AeadKey(init.receiveKey())};
        long[] counters = new long[2];
        ByteBuffer buf = ByteBuffer.allocateDirect(1024);
        for (int i = 0; i < messages.size(); i++) {
            int dir = i % 2;
            byte[] payload = payload(messages.get(i));
            byte[] expected = HEX.parseHex((String) messages.get(i).get("ciphertext"));
            buf.put(9, payload);
            int sealed = send[dir].seal(counters[dir], buf, 9, payload.length);
            byte[] actual = new byte[sealed];
            buf.get(9, actual);
            assertThat(actual).as("transport message %d", i + 3).isEqualTo(expected);

            int opened = receive[dir].open(counters[dir], buf, 9, sealed);
            byte[] plain = new byte[opened];
            buf.get(9, plain);
            assertThat(plain).isEqualTo(payload);
            counters[dir]++;
        }
    }

    private static byte[] payload(Map<String, Object> m) {
        return HEX.parseHex((String) m.get("payload"));
    }

    private static byte[] hex(Map<String, Object> v, String key) {
        Object value = v.get(key);
        assertThat(value).as(key).isInstanceOf(String.class);
        return HEX.parseHex((String) value);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> messages(Map<String, Object> v) {
        return (List<Map<String, Object>>) v.get("messages");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> load(String file) throws IOException {
        try (InputStream in = NoiseIKVectorsTest.class.getResourceAsStream("/noise-vectors/" + file)) {
            assertThat(in).as(file).isNotNull();
            Map<String, Object> root =
                    (Map<String, Object>) MiniJson.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            return (List<Map<String, Object>>) root.get("vectors");
        }
    }
}
