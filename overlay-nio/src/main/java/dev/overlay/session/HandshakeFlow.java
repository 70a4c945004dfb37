package dev.overlay.session;

import dev.overlay.crypto.NoiseException;
import dev.overlay.crypto.NoiseIK;
import dev.overlay.identity.Identity;
import dev.overlay.identity.NodeId;
import dev.overlay.wire.Initiation;
import dev.overlay.wire.Mac1;
import dev.overlay.wire.Response;
import dev.overlay.wire.Tai64n;
import java.nio.ByteBuffer;
import java.security.SecureRandom;

/**
 * Builds and consumes the two handshake messages. Handshakes are rare, so this path favours
 * clarity over zero allocation; the transport path in {@link Device} does not allocate.
 *
 * <p>Inbound flow, cheapest check first so garbage costs no DH work:
 * <ol>
 *   <li>exact length for the type ({@link Device} checked the header);
 *   <li>mac1: is the message addressed to our key at all? (one HMAC);
 *   <li>Noise: decrypt and authenticate (the DH operations);
 *   <li>replay and flood checks on the initiator's timestamp.
 * </ol>
 */
final class HandshakeFlow {
    /** WireGuard's rate: at most 50 initiations a second from one peer are processed. */
    static final long MIN_INITIATION_INTERVAL_NANOS = 20_000_000L;

    private final byte[] staticPrivate;
    private final byte[] staticPublic;
    private final Mac1 mac1In;
    private final SecureRandom random;
    private final long epochOffsetNanos;
    private final byte[] message = new byte[Initiation.LENGTH];
    private final byte[] payload = new byte[Initiation.PAYLOAD_LENGTH];

    HandshakeFlow(Identity identity, SecureRandom random, long epochOffsetNanos) {
        this.staticPrivate = identity.privateKey();
        this.staticPublic = identity.publicKey();
        this.mac1In = new Mac1(identity.id().key());
        this.random = random;
        this.epochOffsetNanos = epochOffsetNanos;
    }

    /** Writes an initiation to {@code peer} into {@code out}; returns the pending handshake. */
    NoiseIK writeInitiation(Peer peer, int senderIndex, long now, ByteBuffer out) {
        NoiseIK noise = NoiseIK.initiator(staticPrivate, staticPublic, peer.id.key(), Constants.PROLOGUE, random);
        Tai64n.write(epochOffsetNanos + now, payload, 0);
        noise.writeMessage(payload, 0, Initiation.PAYLOAD_LENGTH, message, 0);
        out.clear();
        Initiation.writeHeader(out, senderIndex);
        out.put(Initiation.NOISE, message, 0, Initiation.NOISE_LENGTH);
        out.putLong(Initiation.MAC2, 0).putLong(Initiation.MAC2 + 8, 0);
        peer.mac1().write(out, Initiation.MAC1);
        out.limit(Initiation.LENGTH);
        return noise;
    }

    /** True when the handshake message in {@code in} carries our mac1. */
    boolean mac1Valid(ByteBuffer in, int macOffset) {
        return mac1In.verify(in, macOffset);
    }

    /** The result of reading an initiation: the Noise state, the sender and its timestamp. */
    record ReadInitiation(NoiseIK noise, NodeId initiator, byte[] timestamp) {}

    /** Decrypts an initiation (mac1 already checked); throws on any authentication failure. */
    ReadInitiation readInitiation(ByteBuffer in) throws NoiseException {
        NoiseIK noise = NoiseIK.responder(staticPrivate, staticPublic, Constants.PROLOGUE, random);
        in.get(Initiation.NOISE, message, 0, Initiation.NOISE_LENGTH);
        int n = noise.readMessage(message, 0, Initiation.NOISE_LENGTH, payload, 0);
        if (n != Initiation.PAYLOAD_LENGTH) {
            throw new NoiseException("initiation payload is " + n + " bytes, expected "
                    + Initiation.PAYLOAD_LENGTH);
        }
        return new ReadInitiation(noise, NodeId.of(noise.remoteStatic()), payload.clone());
    }

    /** Writes the response to an initiation that was just read. */
    void writeResponse(Peer peer, NoiseIK noise, int senderIndex, int receiverIndex, ByteBuffer out) {
        int n = noise.writeMessage(payload, 0, 0, message, 0);
        if (n != Response.NOISE_LENGTH) {
            throw new IllegalStateException("Noise message 2 is " + n + " bytes");
        }
        out.clear();
        Response.writeHeader(out, senderIndex, receiverIndex);
        out.put(Response.NOISE, message, 0, Response.NOISE_LENGTH);
        out.putLong(Response.MAC2, 0).putLong(Response.MAC2 + 8, 0);
        peer.mac1().write(out, Response.MAC1);
        out.limit(Response.LENGTH);
    }

    /** Decrypts a response into the pending handshake's Noise state. */
    void readResponse(Handshake pending, ByteBuffer in) throws NoiseException {
        in.get(Response.NOISE, message, 0, Response.NOISE_LENGTH);
        int n = pending.noise.readMessage(message, 0, Response.NOISE_LENGTH, payload, 0);
        if (n != 0) {
            throw new NoiseException("response payload is " + n + " bytes, expected 0");
        }
    }
}
