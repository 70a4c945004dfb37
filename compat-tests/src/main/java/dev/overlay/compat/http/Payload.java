package dev.overlay.compat.http;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Deterministic pseudo-random bytes: the same {@code (seed, n)} gives the same bytes in every JVM
 * (SplitMix64, eight bytes per step, little-endian), so a client checks what a server generated
 * without the bytes ever being shipped twice.
 */
public final class Payload {
    private Payload() {}

    /** {@code n} bytes from {@code seed}. */
    public static byte[] bytes(long seed, int n) {
        byte[] out = new byte[n];
        long state = seed;
        int i = 0;
        while (i < n) {
            state += 0x9E3779B97F4A7C15L;
            long z = state;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            for (int k = 0; k < 8 && i < n; k++, i++) {
                out[i] = (byte) (z >>> (8 * k));
            }
        }
        return out;
    }

    /** The lowercase hex SHA-256 of {@code data}. */
    public static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The query parameter {@code name} of {@code query} (a raw {@code a=1&b=2} string), or null. */
    public static String param(String query, String name) {
        if (query == null) {
            return null;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                return pair.substring(eq + 1);
            }
        }
        return null;
    }
}
