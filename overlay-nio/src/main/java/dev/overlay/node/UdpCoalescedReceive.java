package dev.overlay.node;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jnr.ffi.Pointer;

/**
 * UDP generic receive offload (Linux {@code UDP_GRO}, kernel 5.0 and later) on the node's socket:
 * the kernel may hand over several datagrams from one sender, all of one size but a shorter last
 * one, in a single {@code recvmsg}, and says their size in a {@code UDP_GRO} control message. This
 * class makes that call (through JNR-FFI; the JDK's {@code DatagramChannel.receive} cannot read
 * control messages) and gives the datagrams back one at a time, each exactly as sent.
 *
 * <p>It matters most where the sender batches with {@link UdpSegmentation} on the same host or
 * over a path that keeps the batch whole (loopback, veth): without {@code UDP_GRO} the kernel cuts
 * each batch into datagrams before the socket and the receiver makes one system call per datagram.
 *
 * <p>Once {@code UDP_GRO} is on, every receive on the socket must go through here: a coalesced
 * buffer read by the JDK's {@code receive} could not be split again.
 *
 * <p>The {@code msghdr}, {@code iovec}, address and control buffers are laid out for 64-bit Linux
 * (LP64); {@link #attach} refuses anything else. Not thread-safe: the node's event loop owns it;
 * {@link UdpSocket} keeps a close on another thread from racing a call in flight.
 */
final class UdpCoalescedReceive {
    private static final System.Logger LOG = System.getLogger(UdpCoalescedReceive.class.getName());
    /** {@code UDP_GRO} from {@code linux/udp.h}; as an option and as the control message type. */
    private static final int UDP_GRO = 104;
    private static final int SOL_UDP = 17;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int MSG_TRUNC = 0x20;
    private static final int MSG_CTRUNC = 0x08;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final int ECONNREFUSED = 111;
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;

    // struct msghdr (LP64): name, namelen, (pad), iov, iovlen, control, controllen, flags
    private static final int MSG_NAME = 0;
    private static final int MSG_NAMELEN = 8;
    private static final int MSG_IOV = 16;
    private static final int MSG_IOVLEN = 24;
    private static final int MSG_CONTROL = 32;
    private static final int MSG_CONTROLLEN = 40;
    private static final int MSG_FLAGS = 48;
    // struct iovec: base, len
    private static final int IOV = 56;
    // struct sockaddr_storage
    private static final int NAME = 72;
    private static final int NAME_BYTES = 128;
    // control messages: cmsghdr {size_t len; int level; int type;} then data, 8-byte aligned
    private static final int CONTROL = NAME + NAME_BYTES;
    private static final int CONTROL_BYTES = 64;
    private static final int HEADER_BYTES = CONTROL + CONTROL_BYTES;
    private static final int CMSG_HEADER = 16;

    /** The most one receive can carry: a whole UDP payload over IPv4, or a coalesced 64 KiB. */
    static final int MAX_RECEIVE_BYTES = 65_535;

    private final UdpSegmentation.LibC libc;
    private final jnr.ffi.Runtime runtime;
    private final int fd;
    private final ByteBuffer header;
    private final Pointer headerPointer;
    private final ByteBuffer data;

    /** Raw bytes of the last sender's sockaddr, to reuse {@link #from} while it does not change. */
    private final byte[] lastName = new byte[NAME_BYTES];
    private int lastNameLength = -1;

    /** What the last {@code recvmsg} returned that is not yet handed out. */
    private InetSocketAddress from;
    private int segment;
    private int next;
    private int end;
    /** Datagrams of the last receive not yet handed out. */
    private int left;

    private long receiveCalls;
    /** A cut receive was logged (it should never happen: the buffers hold the most the kernel gives). */
    private boolean cutLogged;

    private UdpCoalescedReceive(UdpSegmentation.LibC libc, int fd) {
        this.libc = libc;
        this.runtime = jnr.ffi.Runtime.getRuntime(libc);
        this.fd = fd;
        this.header = ByteBuffer.allocateDirect(HEADER_BYTES).order(ByteOrder.nativeOrder());
        this.headerPointer = Pointer.wrap(runtime, header);
        this.data = ByteBuffer.allocateDirect(MAX_RECEIVE_BYTES);
        long base = headerPointer.address();
        header.putLong(MSG_NAME, base + NAME);
        header.putLong(MSG_IOV, base + IOV);
        header.putLong(MSG_IOVLEN, 1);
        header.putLong(MSG_CONTROL, base + CONTROL);
        header.putLong(IOV, Pointer.wrap(runtime, data).address());
    }

    /** What {@link #attach} found: the receive offload, or why there is none. */
    record Probe(UdpCoalescedReceive offload, String unavailable) {
    }

    /**
     * Switches {@code UDP_GRO} on for the socket {@code segmentation} drives, or says why it cannot.
     * Never throws.
     */
    static Probe attach(UdpSegmentation segmentation) {
        String arch = System.getProperty("os.arch", "");
        if (!arch.equals("amd64") && !arch.equals("x86_64") && !arch.equals("aarch64")) {
            // The msghdr layout and the errno values used here are those of x86-64 and arm64 Linux.
            return new Probe(null, "needs Linux on x86-64 or arm64 (this is " + arch + ")");
        }
        UdpCoalescedReceive r;
        try {
            r = new UdpCoalescedReceive(segmentation.libc(), segmentation.fd());
            if (r.headerPointer.address() == 0) {
                return new Probe(null, "JNR-FFI gave no address for a direct buffer");
            }
        } catch (LinkageError | RuntimeException e) {
            return new Probe(null, "cannot set up recvmsg through JNR-FFI: " + e);
        }
        String refused = segmentation.setOption(UDP_GRO, 1);
        if (refused != null) {
            return new Probe(null, "the kernel refused UDP_GRO (needs Linux 5.0+): " + refused);
        }
        return new Probe(r, null);
    }

    /**
     * Reads the next datagram into {@code buf} (cleared first, flipped after): the next of a
     * coalesced batch, or a new {@code recvmsg} when none is left. Null when none is waiting.
     */
    InetSocketAddress receive(ByteBuffer buf) throws IOException {
        while (left == 0) {
            if (!receiveBatch()) {
                buf.clear().flip();
                return null;
            }
        }
        return next(buf);
    }

    /**
     * The next datagram of the batch already received ({@link #hasPending()} must be true) into
     * {@code buf} (cleared first, flipped after): no system call.
     */
    InetSocketAddress next(ByteBuffer buf) {
        buf.clear();
        int len = Math.min(segment, end - next);
        // The node's buffer holds every datagram it accepts; a larger one is cut, as the JDK's receive would.
        int copy = Math.min(len, buf.remaining());
        data.limit(next + copy).position(next);
        buf.put(data);
        next += len;
        left--;
        buf.flip();
        return from;
    }

    /** One {@code recvmsg}; false when nothing is waiting. */
    private boolean receiveBatch() throws IOException {
        header.putInt(MSG_NAMELEN, NAME_BYTES);
        header.putLong(MSG_CONTROLLEN, CONTROL_BYTES);
        header.putInt(MSG_FLAGS, 0);
        header.putLong(IOV + 8, MAX_RECEIVE_BYTES);
        long n;
        int e;
        do {
            n = libc.recvmsg(fd, headerPointer, MSG_DONTWAIT);
            e = n < 0 ? runtime.getLastError() : 0;
            // EINTR: try again. ECONNREFUSED: an ICMP error queued on the socket (the JDK skips it too).
        } while (n < 0 && (e == EINTR || e == ECONNREFUSED));
        if (n < 0) {
            if (e == EAGAIN) {
                return false;
            }
            throw new IOException("recvmsg on the UDP socket failed: errno " + e);
        }
        receiveCalls++;
        int length = (int) n;
        int flags = header.getInt(MSG_FLAGS);
        if ((flags & (MSG_CTRUNC | MSG_TRUNC)) != 0) {
            // Control data cut: the segment size may be missing, so the batch cannot be split
            // safely. Data cut: the last datagram would be altered. Either way: dropped.
            logCut(flags);
            return true;
        }
        InetSocketAddress sender = sender(header.getInt(MSG_NAMELEN));
        if (sender == null) {
            return true; // an address family we do not speak: dropped
        }
        int seg = groSegment();
        if (seg <= 0 || seg >= length) {
            seg = length;
            left = 1; // one datagram (possibly empty)
        } else {
            left = (length + seg - 1) / seg;
        }
        from = sender;
        segment = seg;
        next = 0;
        end = length;
        return true;
    }

    /** The segment size in a {@code UDP_GRO} control message, or 0 when there is none. */
    private int groSegment() {
        long controlLength = header.getLong(MSG_CONTROLLEN);
        int at = CONTROL;
        int limit = CONTROL + (int) Math.min(controlLength, CONTROL_BYTES);
        while (at + CMSG_HEADER <= limit) {
            long len = header.getLong(at);
            if (len < CMSG_HEADER || at + len > limit) {
                return 0;
            }
            if (header.getInt(at + 8) == SOL_UDP && header.getInt(at + 12) == UDP_GRO && len >= CMSG_HEADER + 2) {
                // The kernel puts an int holding gso_size (a u16).
                return len >= CMSG_HEADER + 4 ? header.getInt(at + CMSG_HEADER) : header.getShort(at + CMSG_HEADER) & 0xffff;
            }
            at += (int) ((len + 7) & ~7L);
        }
        return 0;
    }

    private InetSocketAddress sender(int nameLength) {
        if (nameLength == lastNameLength && from != null && sameName(nameLength)) {
            return from;
        }
        int family = header.getShort(NAME) & 0xffff;
        int port = (header.get(NAME + 2) & 0xff) << 8 | header.get(NAME + 3) & 0xff;
        InetAddress address;
        try {
            if (family == AF_INET && nameLength >= 8) {
                byte[] a = new byte[4];
                header.get(NAME + 4, a);
                address = InetAddress.getByAddress(a);
            } else if (family == AF_INET6 && nameLength >= 28) {
                byte[] a = new byte[16];
                header.get(NAME + 8, a);
                int scope = header.getInt(NAME + 24);
                InetAddress plain = InetAddress.getByAddress(a); // v4-mapped becomes an Inet4Address, as with the JDK
                address = plain instanceof Inet6Address && scope != 0 ? Inet6Address.getByAddress(null, a, scope) : plain;
            } else {
                lastNameLength = -1;
                return null;
            }
        } catch (UnknownHostException e) {
            lastNameLength = -1;
            return null;
        }
        lastNameLength = nameLength;
        header.get(NAME, lastName, 0, Math.min(nameLength, NAME_BYTES));
        return new InetSocketAddress(address, port);
    }

    private boolean sameName(int nameLength) {
        for (int i = 0; i < nameLength && i < NAME_BYTES; i++) {
            if (header.get(NAME + i) != lastName[i]) {
                return false;
            }
        }
        return true;
    }

    private void logCut(int flags) {
        if (!cutLogged) {
            cutLogged = true;
            LOG.log(System.Logger.Level.WARNING, "UDP receive offload: a receive came back cut ("
                    + ((flags & MSG_CTRUNC) != 0 ? "control data" : "data") + "), dropped; further ones are dropped silently");
        }
    }

    /** Datagrams of the last receive not yet handed out. */
    boolean hasPending() {
        return left > 0;
    }

    /** {@code recvmsg} calls that returned datagrams. */
    long receiveCalls() {
        return receiveCalls;
    }

}
