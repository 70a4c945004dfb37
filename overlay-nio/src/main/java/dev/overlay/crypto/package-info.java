/**
 * Session cryptography: the {@code Noise_IK_25519_AESGCM_SHA256} handshake (Noise Protocol
 * Framework, revision 34) and AES-256-GCM transport sealing with explicit 64-bit counters,
 * WireGuard-style.
 *
 * <p>{@link dev.overlay.crypto.NoiseIK} runs the two-message handshake and {@linkplain
 * dev.overlay.crypto.NoiseIK#split() splits} into {@link dev.overlay.crypto.SessionKeys}; each
 * direction then gets an {@link dev.overlay.crypto.AeadKey}, which seals and opens packets in place
 * in heap or direct {@link java.nio.ByteBuffer}s. A packet sealed with counter {@code c} equals
 * Noise transport output with nonce {@code n = c}, which the published test vectors check.
 *
 * <p>Failures caused by the network (forged, corrupted or malformed input) are the checked
 * {@link dev.overlay.crypto.NoiseException}; misuse of an object (wrong state, use after destroy)
 * is {@link java.lang.IllegalStateException}. SHA-256, HMAC and AES-GCM come from the JDK (AES-NI
 * intrinsics); X25519 from BouncyCastle via {@link dev.overlay.crypto.X25519}. Nothing here is
 * thread-safe: each object belongs to one thread.
 */
package dev.overlay.crypto;
