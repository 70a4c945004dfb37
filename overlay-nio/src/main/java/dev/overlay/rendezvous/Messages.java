package dev.overlay.rendezvous;

import dev.overlay.identity.NodeId;
import dev.overlay.wire.Control;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Encoders and decoders of the rendezvous payloads (sealed transport payloads whose first byte is
 * a {@link Control} kind); docs/nat-traversal.md has the layouts.
 *
 * <pre>
 * 0x05 CANDIDATES      count u8 (&lt;=16) | addr*
 * 0x06 REGISTER        seq u32 | count u8 (&lt;=16) | addr*
 * 0x07 REGISTERED      seq u32 | refresh s u16 | ttl s u16 | reflexive addr
 * 0x08 LOOKUP          req u32 | 0 | key(32)   or   req u32 | 1 | handle(16)
 * 0x09 LOOKUP_RESULT   req u32 | status u8 | key(32) | count u8 | addr*
 * 0x0a RELAY           destination key(32) | sealed datagram
 * 0x0b RELAYED         source key(32) | sealed datagram
 * 0x0c RELAY_FAILED    destination key(32)
 * addr = family u8 (4 or 6) | address (4 or 16 bytes) | port u16
 * </pre>
 *
 * <p>Writers put the whole message, kind byte first, at the buffer's position and advance it; they
 * throw {@link IllegalArgumentException} on arguments that cannot be encoded (more than
 * {@link #MAX_ADDRESSES} addresses, an unresolved address, a value out of range) and
 * {@link java.nio.BufferOverflowException} when the buffer is too small.
 *
 * <p>Readers take the whole payload (position..limit, starting at the kind byte), never move its
 * position, and return null when it is malformed: wrong kind, short, trailing bytes, a count over
 * {@link #MAX_ADDRESSES}, a family other than 4 or 6, an unknown lookup kind or status. They never
 * throw on untrusted input.
 */
public final class Messages {
    /** Most addresses in one CANDIDATES, REGISTER or LOOKUP_RESULT. */
    public static final int MAX_ADDRESSES = 16;
    /** Bytes RELAY and RELAYED add in front of the sealed datagram: kind + key. */
    public static final int RELAY_OVERHEAD = 1 + NodeId.KEY_LENGTH;
    /** LOOKUP_RESULT status: registered here; the addresses follow, reflexive first. */
    public static final int FOUND = 0;
    /** LOOKUP_RESULT status: not registered here (key zeros, no addresses). */
    public static final int NOT_FOUND = 1;
    /** LOOKUP_RESULT status: the asker sent too many lookups (key zeros, no addresses). */
    public static final int RATE_LIMITED = 2;

    /** LOOKUP by key. */
    static final int LOOKUP_BY_KEY = 0;
    /** LOOKUP by handle. */
    static final int LOOKUP_BY_HANDLE = 1;
    static final int HANDLE_LENGTH = 16;

    private static final int FAMILY_4 = 4;
    private static final int FAMILY_6 = 6;
    /** Bytes of an encoded IPv4 address: family, 4 bytes, port. */
    static final int ADDR4_LENGTH = 1 + 4 + 2;
    /** Bytes of an encoded IPv6 address: family, 16 bytes, port. */
    static final int ADDR6_LENGTH = 1 + 16 + 2;
    /** The largest CANDIDATES, REGISTER or LOOKUP_RESULT. */
    public static final int MAX_LENGTH = 1 + 4 + 1 + NodeId.KEY_LENGTH + 1 + MAX_ADDRESSES * ADDR6_LENGTH;

    private static final byte[] ZERO_KEY = new byte[NodeId.KEY_LENGTH];

    private Messages() {}

    /** Decoded CANDIDATES. */
    public record Candidates(List<InetSocketAddress> addresses) {}

    /** Decoded REGISTER. */
    public record Register(int seq, List<InetSocketAddress> locals) {}

    /** Decoded REGISTERED. */
    public record Registered(int seq, int refreshSeconds, int ttlSeconds, InetSocketAddress reflexive) {}

    /** Decoded LOOKUP: exactly one of {@code key} and {@code handle} is non-null. */
    public record Lookup(int req, NodeId key, Inet6Address handle) {}

    /** Decoded LOOKUP_RESULT: {@code key} is null and {@code addresses} empty unless FOUND. */
    public record LookupResult(int req, int status, NodeId key, List<InetSocketAddress> addresses) {}

    /**
     * Decoded RELAY or RELAYED: the destination (RELAY) or source (RELAYED) key and the sealed
     * datagram, a slice of the payload that is valid only as long as the payload's bytes are.
     */
    public record Relay(NodeId key, ByteBuffer datagram) {}

    /** Decoded RELAY_FAILED. */
    public record RelayFailed(NodeId key) {}

    // ---- writers ----

    public static void writeCandidates(ByteBuffer b, List<InetSocketAddress> addresses) {
        checkAddresses(addresses);
        b.put(Control.CANDIDATES);
        putAddresses(b, addresses);
    }

    public static void writeRegister(ByteBuffer b, int seq, List<InetSocketAddress> locals) {
        checkAddresses(locals);
        b.put(Control.REGISTER).putInt(seq);
        putAddresses(b, locals);
    }

    public static void writeRegistered(ByteBuffer b, int seq, int refreshSeconds, int ttlSeconds,
            InetSocketAddress reflexive) {
        checkU16(refreshSeconds, "refreshSeconds");
        checkU16(ttlSeconds, "ttlSeconds");
        checkAddress(reflexive);
        b.put(Control.REGISTERED).putInt(seq).putShort((short) refreshSeconds).putShort((short) ttlSeconds);
        putAddress(b, reflexive);
    }

    public static void writeLookup(ByteBuffer b, int req, NodeId key) {
        Objects.requireNonNull(key, "key");
        b.put(Control.LOOKUP).putInt(req).put((byte) LOOKUP_BY_KEY);
        putKey(b, key);
    }

    /** A lookup by node handle (an address in {@code fd6f::/16}, see {@link NodeId#handle()}). */
    public static void writeLookup(ByteBuffer b, int req, Inet6Address handle) {
        if (!NodeId.isHandle(handle)) {
            throw new IllegalArgumentException("not a node handle: " + handle);
        }
        b.put(Control.LOOKUP).putInt(req).put((byte) LOOKUP_BY_HANDLE).put(handle.getAddress());
    }

    /**
     * A lookup answer. For {@link #FOUND}, {@code keyOrNull} is the key found and {@code addresses}
     * its addresses (reflexive first); for the other statuses the key is written as zeros and
     * {@code addresses} must be empty (or null).
     */
    public static void writeLookupResult(ByteBuffer b, int req, int status, NodeId keyOrNull,
            List<InetSocketAddress> addresses) {
        List<InetSocketAddress> addrs = addresses == null ? List.of() : addresses;
        if (status == FOUND) {
            Objects.requireNonNull(keyOrNull, "key of a FOUND result");
        } else if (status == NOT_FOUND || status == RATE_LIMITED) {
            if (!addrs.isEmpty()) {
                throw new IllegalArgumentException("only a FOUND result carries addresses");
            }
        } else {
            throw new IllegalArgumentException("unknown lookup status " + status);
        }
        checkAddresses(addrs);
        b.put(Control.LOOKUP_RESULT).putInt(req).put((byte) status);
        if (status == FOUND) {
            putKey(b, keyOrNull);
        } else {
            b.put(ZERO_KEY);
        }
        putAddresses(b, addrs);
    }

    /**
     * RELAY ({@code key} = destination) or RELAYED ({@code key} = source) around the sealed
     * {@code datagram} (position..limit, consumed: its position ends at its limit).
     */
    public static void writeRelay(ByteBuffer b, byte kind, NodeId key, ByteBuffer datagram) {
        if (kind != Control.RELAY && kind != Control.RELAYED) {
            throw new IllegalArgumentException("not a relay kind: " + kind);
        }
        Objects.requireNonNull(key, "key");
        if (!datagram.hasRemaining()) {
            throw new IllegalArgumentException("empty datagram");
        }
        b.put(kind);
        putKey(b, key);
        b.put(datagram);
    }

    public static void writeRelayFailed(ByteBuffer b, NodeId destination) {
        Objects.requireNonNull(destination, "destination");
        b.put(Control.RELAY_FAILED);
        putKey(b, destination);
    }

    // ---- readers ----

    public static Candidates readCandidates(ByteBuffer p) {
        Reader r = Reader.of(p, Control.CANDIDATES);
        if (r == null) {
            return null;
        }
        List<InetSocketAddress> addresses = r.addresses();
        return addresses != null && r.atEnd() ? new Candidates(addresses) : null;
    }

    public static Register readRegister(ByteBuffer p) {
        Reader r = Reader.of(p, Control.REGISTER);
        if (r == null || !r.has(4)) {
            return null;
        }
        int seq = r.u32();
        List<InetSocketAddress> locals = r.addresses();
        return locals != null && r.atEnd() ? new Register(seq, locals) : null;
    }

    public static Registered readRegistered(ByteBuffer p) {
        Reader r = Reader.of(p, Control.REGISTERED);
        if (r == null || !r.has(8)) {
            return null;
        }
        int seq = r.u32();
        int refresh = r.u16();
        int ttl = r.u16();
        InetSocketAddress reflexive = r.address();
        return reflexive != null && r.atEnd() ? new Registered(seq, refresh, ttl, reflexive) : null;
    }

    public static Lookup readLookup(ByteBuffer p) {
        Reader r = Reader.of(p, Control.LOOKUP);
        if (r == null || !r.has(5)) {
            return null;
        }
        int req = r.u32();
        int kind = r.u8();
        if (kind == LOOKUP_BY_KEY) {
            NodeId key = r.key();
            return key != null && r.atEnd() ? new Lookup(req, key, null) : null;
        }
        if (kind == LOOKUP_BY_HANDLE) {
            if (!r.has(HANDLE_LENGTH)) {
                return null;
            }
            Inet6Address handle = r.handle();
            return handle != null && r.atEnd() ? new Lookup(req, null, handle) : null;
        }
        return null;
    }

    public static LookupResult readLookupResult(ByteBuffer p) {
        Reader r = Reader.of(p, Control.LOOKUP_RESULT);
        if (r == null || !r.has(5 + NodeId.KEY_LENGTH)) {
            return null;
        }
        int req = r.u32();
        int status = r.u8();
        if (status == FOUND) {
            NodeId key = r.key();
            List<InetSocketAddress> addresses = r.addresses();
            return addresses != null && r.atEnd() ? new LookupResult(req, status, key, addresses) : null;
        }
        if (status != NOT_FOUND && status != RATE_LIMITED) {
            return null;
        }
        if (!r.zeroKey() || !r.has(1) || r.u8() != 0 || !r.atEnd()) {
            return null;
        }
        return new LookupResult(req, status, null, List.of());
    }

    /** Reads RELAY or RELAYED (the kind is the payload's first byte); the datagram is non-empty. */
    public static Relay readRelay(ByteBuffer p) {
        if (!p.hasRemaining()) {
            return null;
        }
        byte kind = p.get(p.position());
        if (kind != Control.RELAY && kind != Control.RELAYED) {
            return null;
        }
        if (p.remaining() <= RELAY_OVERHEAD) {
            return null;
        }
        Reader r = Reader.of(p, kind);
        NodeId key = r.key();
        ByteBuffer datagram = p.slice(p.position() + RELAY_OVERHEAD, p.remaining() - RELAY_OVERHEAD);
        return new Relay(key, datagram);
    }

    public static RelayFailed readRelayFailed(ByteBuffer p) {
        Reader r = Reader.of(p, Control.RELAY_FAILED);
        if (r == null) {
            return null;
        }
        NodeId key = r.key();
        return key != null && r.atEnd() ? new RelayFailed(key) : null;
    }

    // ---- encoding helpers ----

    private static void checkAddresses(List<InetSocketAddress> addresses) {
        Objects.requireNonNull(addresses, "addresses");
        if (addresses.size() > MAX_ADDRESSES) {
            throw new IllegalArgumentException(addresses.size() + " addresses, at most " + MAX_ADDRESSES);
        }
        for (InetSocketAddress a : addresses) {
            checkAddress(a);
        }
    }

    private static void checkAddress(InetSocketAddress a) {
        Objects.requireNonNull(a, "address");
        if (a.getAddress() == null) {
            throw new IllegalArgumentException("unresolved address " + a);
        }
    }

    private static void checkU16(int v, String name) {
        if (v < 0 || v > 0xffff) {
            throw new IllegalArgumentException(name + " out of range 0..65535: " + v);
        }
    }

    private static void putAddresses(ByteBuffer b, List<InetSocketAddress> addresses) {
        b.put((byte) addresses.size());
        for (InetSocketAddress a : addresses) {
            putAddress(b, a);
        }
    }

    private static void putAddress(ByteBuffer b, InetSocketAddress a) {
        InetAddress ip = a.getAddress();
        b.put((byte) (ip instanceof Inet4Address ? FAMILY_4 : FAMILY_6));
        b.put(ip.getAddress());
        b.putShort((short) a.getPort());
    }

    private static void putKey(ByteBuffer b, NodeId key) {
        byte[] k = new byte[NodeId.KEY_LENGTH];
        key.copyKey(k, 0);
        b.put(k);
    }

    /** Bounds-checked absolute reads over {@code p[position..limit)}; every read is checked first. */
    private static final class Reader {
        private final ByteBuffer p;
        private int at;
        private final int end;

        private Reader(ByteBuffer p, int at, int end) {
            this.p = p;
            this.at = at;
            this.end = end;
        }

        /** A reader after the kind byte, or null if the payload is empty or of another kind. */
        static Reader of(ByteBuffer p, byte kind) {
            if (!p.hasRemaining() || p.get(p.position()) != kind) {
                return null;
            }
            return new Reader(p, p.position() + 1, p.limit());
        }

        boolean has(int n) {
            return end - at >= n;
        }

        boolean atEnd() {
            return at == end;
        }

        int u8() {
            return p.get(at++) & 0xff;
        }

        int u16() {
            int v = p.getShort(at) & 0xffff;
            at += 2;
            return v;
        }

        int u32() {
            int v = p.getInt(at);
            at += 4;
            return v;
        }

        NodeId key() {
            if (!has(NodeId.KEY_LENGTH)) {
                return null;
            }
            byte[] k = new byte[NodeId.KEY_LENGTH];
            p.get(at, k);
            at += NodeId.KEY_LENGTH;
            return NodeId.of(k);
        }

        boolean zeroKey() {
            if (!has(NodeId.KEY_LENGTH)) {
                return false;
            }
            for (int i = 0; i < NodeId.KEY_LENGTH; i++) {
                if (p.get(at + i) != 0) {
                    return false;
                }
            }
            at += NodeId.KEY_LENGTH;
            return true;
        }

        /** A node handle (16 bytes in fd6f::/16), or null. */
        Inet6Address handle() {
            byte[] h = new byte[HANDLE_LENGTH];
            p.get(at, h);
            at += HANDLE_LENGTH;
            try {
                Inet6Address a = Inet6Address.getByAddress(null, h, -1);
                return NodeId.isHandle(a) ? a : null;
            } catch (UnknownHostException e) {
                return null;
            }
        }

        /** count u8 then that many addresses, or null when malformed. */
        List<InetSocketAddress> addresses() {
            if (!has(1)) {
                return null;
            }
            int count = u8();
            if (count > MAX_ADDRESSES) {
                return null;
            }
            List<InetSocketAddress> list = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                InetSocketAddress a = address();
                if (a == null) {
                    return null;
                }
                list.add(a);
            }
            return List.copyOf(list);
        }

        InetSocketAddress address() {
            if (!has(1)) {
                return null;
            }
            int family = u8();
            int len;
            if (family == FAMILY_4) {
                len = 4;
            } else if (family == FAMILY_6) {
                len = 16;
            } else {
                return null;
            }
            if (!has(len + 2)) {
                return null;
            }
            byte[] ip = new byte[len];
            p.get(at, ip);
            at += len;
            int port = u16();
            try {
                InetAddress address = len == 4
                        ? InetAddress.getByAddress(ip)
                        : Inet6Address.getByAddress(null, ip, -1);
                return new InetSocketAddress(address, port);
            } catch (UnknownHostException e) {
                return null;
            }
        }
    }
}
