package dev.overlay.identity;

/**
 * RFC 4648 base32 (alphabet {@code a-z2-7}), written in lower case and without padding.
 *
 * <p>Node names are base32 so they survive DNS: the alphabet has no characters DNS treats
 * specially, and DNS compares names case-insensitively, so {@link #decode} accepts either case.
 * Decoding is otherwise strict: every accepted string is exactly what {@link #encode} produces
 * for some byte string (apart from letter case), so one key has exactly one name.
 */
public final class Base32 {
    // RFC 4648 section 6, "Table 3: The Base 32 Alphabet": A-Z are values 0-25, 2-7 are 26-31.
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private static final int BITS_PER_CHAR = 5;

    private Base32() {}

    /** Encodes {@code data}: lower case, no '=' padding. */
    public static String encode(byte[] data) {
        if (data == null) {
            throw new IllegalArgumentException("data to base32-encode must not be null");
        }
        StringBuilder out = new StringBuilder(encodedLength(data.length));
        int buffer = 0;
        int bits = 0;
        for (byte b : data) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= BITS_PER_CHAR) {
                bits -= BITS_PER_CHAR;
                out.append(ALPHABET[(buffer >>> bits) & 31]);
            }
            buffer &= (1 << bits) - 1;
        }
        if (bits > 0) {
            // RFC 4648 section 6: "bits with value zero are added (on the right) to form an
            // integral number of 5-bit groups".
            out.append(ALPHABET[(buffer << (BITS_PER_CHAR - bits)) & 31]);
        }
        return out.toString();
    }

    /**
     * Decodes unpadded base32 in either letter case.
     *
     * @throws IllegalArgumentException naming the problem and, where there is one, its position:
     *     a character outside the alphabet (including '=' padding), a length no byte string encodes
     *     to, or non-zero unused bits in the last character
     */
    public static byte[] decode(String text) {
        if (text == null) {
            throw new IllegalArgumentException("base32 text must not be null");
        }
        int[] values = values(text);
        checkLength(text.length());
        byte[] out = new byte[text.length() * BITS_PER_CHAR / 8];
        int buffer = 0;
        int bits = 0;
        int written = 0;
        for (int value : values) {
            buffer = (buffer << BITS_PER_CHAR) | value;
            bits += BITS_PER_CHAR;
            if (bits >= 8) {
                bits -= 8;
                out[written++] = (byte) (buffer >>> bits);
                buffer &= (1 << bits) - 1;
            }
        }
        checkCanonical(text, buffer, bits);
        return out;
    }

    private static int encodedLength(int bytes) {
        return (bytes * 8 + BITS_PER_CHAR - 1) / BITS_PER_CHAR;
    }

    private static int[] values(String text) {
        int[] values = new int[text.length()];
        for (int i = 0; i < text.length(); i++) {
            values[i] = value(text.charAt(i), i);
        }
        return values;
    }

    private static int value(char c, int position) {
        if (c >= 'a' && c <= 'z') {
            return c - 'a';
        }
        if (c >= 'A' && c <= 'Z') {
            return c - 'A';
        }
        if (c >= '2' && c <= '7') {
            return c - '2' + 26;
        }
        if (c == '=') {
            // RFC 4648 section 3.2 allows omitting padding when "the specification referring to
            // this document explicitly states otherwise"; ours does, so '=' never appears.
            throw new IllegalArgumentException(
                    "base32 padding '=' at position " + position + " is not accepted (unpadded encoding)");
        }
        // RFC 4648 section 3.3: "Implementations MUST reject the encoded data if it contains
        // characters outside the base alphabet".
        throw new IllegalArgumentException(
                "invalid base32 character " + describe(c) + " at position " + position);
    }

    private static void checkLength(int length) {
        // RFC 4648 section 6: a final quantum of 8, 16, 24 or 32 bits encodes to 2, 4, 5 or 7
        // characters; no input leaves 1, 3 or 6 characters after the last full group of 8.
        int rest = length % 8;
        if (rest == 1 || rest == 3 || rest == 6) {
            throw new IllegalArgumentException("base32 length " + length
                    + " cannot come from an encoding (length % 8 is " + rest + ")");
        }
    }

    private static void checkCanonical(String text, int leftover, int unusedBits) {
        // RFC 4648 section 3.5: "the pad bits MUST be set to zero by conforming encoders" and
        // "decoders MAY chose to reject an encoding if the pad bits have not been set to zero".
        // We reject, so that each byte string has exactly one encoding.
        if (leftover != 0) {
            int last = text.length() - 1;
            throw new IllegalArgumentException("non-canonical base32: the unused low " + unusedBits
                    + " bits of the last character " + describe(text.charAt(last))
                    + " at position " + last + " must be zero");
        }
    }

    /** The character quoted when printable ASCII, otherwise as U+XXXX, so messages stay readable. */
    static String describe(char c) {
        if (c >= 0x20 && c < 0x7f) {
            return "'" + c + "'";
        }
        return String.format("U+%04X", (int) c);
    }
}
