package dev.overlay.bench;

import dev.overlay.crypto.AeadKey;
import dev.overlay.crypto.NoiseException;
import dev.overlay.crypto.NoiseIK;
import dev.overlay.crypto.SessionKeys;
import dev.overlay.crypto.X25519;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Cost of the session crypto: sealing and opening one 1400-byte packet in place in a direct buffer
 * (AES-256-GCM via the JDK), and one complete {@code Noise_IK_25519_AESGCM_SHA256} handshake
 * (both sides, fresh ephemerals: four X25519 DHs and two key generations per side).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar CryptoBench -f 1 -wi 3 -w 2s -i 5 -r 2s}.
 */
@State(Scope.Thread)
public class CryptoBench {
    /** A typical tunnel packet payload under a 1500-byte MTU (tuning constant, not a spec value). */
    private static final int PAYLOAD = 1400;
    private static final byte[] PROLOGUE = "overlay-bench".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final SecureRandom random = new SecureRandom();

    private AeadKey sealKey;
    private AeadKey openKey;
    private ByteBuffer sealBuf;
    private ByteBuffer openBuf;
    private ByteBuffer sealedPacket;
    private long counter;

    private byte[] initiatorStatic;
    private byte[] responderStatic;
    private byte[] responderPublic;
    private byte[] initiatorPublic;
    private final byte[] msg1 = new byte[NoiseIK.message1Length(0)];
    private final byte[] msg2 = new byte[NoiseIK.message2Length(0)];
    private final byte[] empty = new byte[0];

    @Setup
    public void setUp() {
        byte[] key = new byte[32];
        random.nextBytes(key);
        sealKey = new AeadKey(key);
        openKey = new AeadKey(key);
        sealBuf = ByteBuffer.allocateDirect(PAYLOAD + AeadKey.TAG_LENGTH);
        openBuf = ByteBuffer.allocateDirect(PAYLOAD + AeadKey.TAG_LENGTH);

        // One packet sealed once with a fixed counter; each open() starts from a fresh copy of it.
        byte[] plain = new byte[PAYLOAD];
        random.nextBytes(plain);
        sealedPacket = ByteBuffer.allocateDirect(PAYLOAD + AeadKey.TAG_LENGTH);
        sealedPacket.put(0, plain);
        new AeadKey(key).seal(7, sealedPacket, 0, PAYLOAD);

        initiatorStatic = X25519.generatePrivateKey(random);
        responderStatic = X25519.generatePrivateKey(random);
        responderPublic = X25519.publicKey(responderStatic);
        initiatorPublic = X25519.publicKey(initiatorStatic);
    }

    /** Seals 1400 bytes in place; the counter advances per op as it would per packet. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public int sealPacket1400() {
        return sealKey.seal(counter++, sealBuf, 0, PAYLOAD);
    }

    /**
     * Opens the pre-sealed packet in place (always counter 7: decrypt re-init with the same nonce is
     * allowed). The ciphertext is restored by a 1416-byte direct-to-direct copy before each open,
     * which is included in the figure (a few tens of ns).
     */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public int openPacket1400() throws NoiseException {
        openBuf.put(0, sealedPacket, 0, PAYLOAD + AeadKey.TAG_LENGTH);
        return openKey.open(7, openBuf, 0, PAYLOAD + AeadKey.TAG_LENGTH);
    }

    /**
     * One complete IK handshake, both sides, in one thread: msg1, msg2, both split. Reported as
     * handshakes per second (one thread doing both sides' work); time per handshake is 1/score.
     */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public SessionKeys fullHandshake() throws NoiseException {
        NoiseIK initiator = NoiseIK.initiator(initiatorStatic, initiatorPublic, responderPublic, PROLOGUE, random);
        NoiseIK responder = NoiseIK.responder(responderStatic, responderPublic, PROLOGUE, random);
        initiator.writeMessage(empty, 0, 0, msg1, 0);
        responder.readMessage(msg1, 0, msg1.length, empty, 0);
        responder.writeMessage(empty, 0, 0, msg2, 0);
        initiator.readMessage(msg2, 0, msg2.length, empty, 0);
        responder.split();
        return initiator.split();
    }
}
