package dev.overlay.identity;

import dev.overlay.crypto.X25519;
import java.security.SecureRandom;

/**
 * A node's static X25519 keypair. The public half is the node's address ({@link #id()}); the
 * private half proves ownership of that address in every handshake, so it never appears in
 * {@link #toString()}.
 */
public final class Identity {
    private final byte[] privateKey;
    private final NodeId id;

    private Identity(byte[] privateKey) {
        this.privateKey = privateKey;
        this.id = NodeId.of(X25519.publicKey(privateKey));
    }

    /** A new identity with a fresh private key from {@code random}. */
    public static Identity generate(SecureRandom random) {
        if (random == null) {
            throw new IllegalArgumentException("random must not be null");
        }
        return new Identity(X25519.generatePrivateKey(random));
    }

    /**
     * The identity whose private key is {@code privateKey} (copied). Any 32 bytes are accepted:
     * RFC 7748 section 5 clamps the scalar when it is used.
     */
    public static Identity fromPrivateKey(byte[] privateKey) {
        if (privateKey == null || privateKey.length != X25519.KEY_LENGTH) {
            throw new IllegalArgumentException("private key must be " + X25519.KEY_LENGTH
                    + " bytes, got " + (privateKey == null ? "null" : privateKey.length));
        }
        return new Identity(privateKey.clone());
    }

    /** This node's address. */
    public NodeId id() {
        return id;
    }

    /** A copy of the 32-byte private key. */
    public byte[] privateKey() {
        return privateKey.clone();
    }

    /** A copy of the 32-byte public key, the same bytes as {@code id().key()}. */
    public byte[] publicKey() {
        return id.key();
    }

    /** The node's name only; never the private key. */
    @Override
    public String toString() {
        return id.name();
    }
}
