package dev.overlay.identity;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Objects;

/**
 * A node's address: its 32-byte X25519 public key.
 *
 * <p>Because the address is the key, a peer that completes a handshake under a name has proven it
 * owns that name; there is no registry to trust. The textual form is the key in {@link Base32}
 * followed by {@link #SUFFIX}, e.g. {@code <52 base32 chars>.overlay}, which is a valid DNS name
 * (52 characters fit the 63-character label limit of RFC 1035 section 2.3.4).
 *
 * <p>Applications that only speak IP get a {@link #handle()}: a stable IPv6 address derived from
 * the key, inside the unique-local range, that maps back to this node.
 *
 * <p>Instances are immutable. Any 32 bytes are accepted; low-order keys are rejected later, at
 * handshake time, where the X25519 result reveals them.
 */
public final class NodeId implements Comparable<NodeId> {
    /** The DNS suffix of every node name. */
    public static final String SUFFIX = ".overlay";
    /** Length in bytes of a node key (an X25519 public key, RFC 7748 section 5). */
    public static final int KEY_LENGTH = 32;

    /** Base32 characters in a key: ceil(256 / 5). */
    private static final int BASE32_LENGTH = 52;
    private static final int SHORT_NAME_LENGTH = 8;
    // fd6f::/16 lies inside fd00::/8, the locally assigned half of RFC 4193 unique-local
    // addresses, which are not routed on the public Internet.
    private static final byte HANDLE_PREFIX_0 = (byte) 0xfd;
    private static final byte HANDLE_PREFIX_1 = (byte) 0x6f;
    private static final int HANDLE_LENGTH = 16;

    private final byte[] key;
    /** Cached: NodeIds key hash maps on the packet path. */
    private final int hash;
    private volatile Inet6Address handle;

    private NodeId(byte[] key) {
        this.key = key;
        this.hash = Arrays.hashCode(key);
    }

    /** The node with {@code publicKey}; the array is copied. */
    public static NodeId of(byte[] publicKey) {
        if (publicKey == null || publicKey.length != KEY_LENGTH) {
            throw new IllegalArgumentException("public key must be " + KEY_LENGTH + " bytes, got "
                    + (publicKey == null ? "null" : publicKey.length));
        }
        return new NodeId(publicKey.clone());
    }

    /**
     * Parses {@code <key>.overlay}, {@code <key>.overlay.} (a DNS absolute name) or a bare
     * {@code <key>}, where {@code <key>} is 52 base32 characters in either case.
     *
     * @throws IllegalArgumentException naming what is wrong; the message does not repeat the
     *     input, so callers may add it when it is safe to show
     */
    public static NodeId parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("node name is " + (text == null ? "null" : "empty"));
        }
        String name = withoutTrailingDot(text);
        if (endsWithSuffix(name)) {
            return fromBase32(name.substring(0, name.length() - SUFFIX.length()), " before " + SUFFIX);
        }
        if (text.indexOf('.') >= 0) {
            // Also catches "<key>.": only the full name has a DNS absolute form.
            throw new IllegalArgumentException("node name must end with " + SUFFIX
                    + " (or be a bare " + BASE32_LENGTH + "-character base32 key)");
        }
        return fromBase32(text, "");
    }

    /**
     * Whether {@code host} is an overlay name: it ends with {@link #SUFFIX}, ignoring ASCII case
     * and one trailing dot. The key part is not validated; use {@link #parse} for that.
     */
    public static boolean isOverlayName(String host) {
        if (host == null) {
            return false;
        }
        return endsWithSuffix(withoutTrailingDot(host));
    }

    /** Whether {@code address} is a node handle: an IPv6 address in {@code fd6f::/16}. */
    public static boolean isHandle(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return false;
        }
        byte[] bytes = address.getAddress();
        return bytes[0] == HANDLE_PREFIX_0 && bytes[1] == HANDLE_PREFIX_1;
    }

    /** A copy of the 32 public-key bytes. */
    public byte[] key() {
        return key.clone();
    }

    /** Copies the 32 public-key bytes into {@code dst[off..off+32)}, without allocating. */
    public void copyKey(byte[] dst, int off) {
        Objects.checkFromIndexSize(off, KEY_LENGTH, Objects.requireNonNull(dst, "dst").length);
        System.arraycopy(key, 0, dst, off, KEY_LENGTH);
    }

    /** The key as 52 lower-case base32 characters. */
    public String base32() {
        return Base32.encode(key);
    }

    /** The DNS name: {@link #base32()} followed by {@link #SUFFIX}. */
    public String name() {
        return base32() + SUFFIX;
    }

    /** The first 8 base32 characters: enough to tell nodes apart in logs, not to identify one. */
    public String shortName() {
        return base32().substring(0, SHORT_NAME_LENGTH);
    }

    /**
     * The stable IPv6 handle: {@code fd6f} followed by the first 112 bits of SHA-256(key).
     * Computed once; no DNS lookup is involved.
     */
    public Inet6Address handle() {
        Inet6Address h = handle;
        if (h == null) {
            h = computeHandle(key);
            handle = h;
        }
        return h;
    }

    /** Unsigned lexicographic order of the key bytes. */
    @Override
    public int compareTo(NodeId other) {
        return Arrays.compareUnsigned(key, other.key);
    }

    @Override
    public boolean equals(Object o) {
        return o == this || o instanceof NodeId other && hash == other.hash && Arrays.equals(key, other.key);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /** The {@link #name()}. */
    @Override
    public String toString() {
        return name();
    }

    private static NodeId fromBase32(String keyPart, String where) {
        if (keyPart.length() != BASE32_LENGTH) {
            throw new IllegalArgumentException("expected " + BASE32_LENGTH + " base32 characters"
                    + where + ", got " + keyPart.length());
        }
        return new NodeId(Base32.decode(keyPart));
    }

    private static String withoutTrailingDot(String host) {
        return host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    }

    /** ASCII-only case folding: locale-aware folding could map other letters onto the suffix. */
    private static boolean endsWithSuffix(String name) {
        int start = name.length() - SUFFIX.length();
        if (start < 0) {
            return false;
        }
        for (int i = 0; i < SUFFIX.length(); i++) {
            char c = name.charAt(start + i);
            char lower = (c >= 'A' && c <= 'Z') ? (char) (c + ('a' - 'A')) : c;
            if (lower != SUFFIX.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static Inet6Address computeHandle(byte[] key) {
        byte[] digest = sha256(key);
        byte[] address = new byte[HANDLE_LENGTH];
        address[0] = HANDLE_PREFIX_0;
        address[1] = HANDLE_PREFIX_1;
        System.arraycopy(digest, 0, address, 2, HANDLE_LENGTH - 2);
        try {
            // A null host name and a literal address: no DNS lookup.
            return Inet6Address.getByAddress(null, address, -1);
        } catch (UnknownHostException e) {
            throw new AssertionError("16 bytes is always a valid IPv6 address", e);
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every Java platform must provide SHA-256", e);
        }
    }
}
