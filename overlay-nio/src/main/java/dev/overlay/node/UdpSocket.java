package dev.overlay.node;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.SelectorProvider;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The node's one UDP socket, non-blocking, registered with the event loop's selector.
 *
 * <p>It is opened from the platform's {@link SelectorProvider}: once the overlay's own provider is
 * installed (the NIO drop-in), a plain {@code DatagramChannel.open()} must still reach the kernel
 * or the node would loop into itself; {@link #platformProvider()} is the one place that decides.
 *
 * <p><b>Send batching.</b> With segmentation offload ({@link UdpSegmentation}, Linux
 * {@code UDP_SEGMENT}), {@link #send} copies each datagram into a batch instead of making a
 * system call per datagram; {@link #flush} hands the batch to the kernel in one {@code sendto},
 * which leaves as the same separate datagrams. A batch holds datagrams to one destination, all of
 * one size except a shorter last one (what the kernel splits by), at most
 * {@value UdpSegmentation#MAX_SEGMENTS} of them and {@value #MAX_BATCH_BYTES} bytes; a datagram
 * that does not fit flushes the batch first, so datagrams leave in the order they were sent. The
 * event loop flushes before it waits, so batching delays nothing past the loop's turn. A failed
 * batch send is retried one datagram at a time; after {@value #MAX_OFFLOAD_FAILURES} failed
 * batches in a row the offload is switched off for good (logged). {@code EMSGSIZE} (segments larger
 * than the route's MTU, which the kernel checks for segmented sends only) does not count towards
 * that: it says something about one path, not about the offload.
 *
 * <p><b>Receive offload.</b> Where segmentation offload works, the socket also asks for Linux
 * {@code UDP_GRO} ({@link UdpCoalescedReceive}): the kernel may then hand over a batch from one
 * sender in one {@code recvmsg}, which {@link #receive} gives back one datagram at a time, each as
 * sent. Both offloads are switched on and off together by the node's {@code udp-offload} setting.
 *
 * <p>The native calls (through JNR-FFI, on the descriptor the JDK's channel owns) and
 * {@link #close} exclude each other, so a close on another thread never leaves the event loop
 * calling into a descriptor number the process may already have given to another file.
 */
final class UdpSocket implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(UdpSocket.class.getName());
    /** Socket buffers sized for bursts of a few thousand full datagrams. */
    private static final int SOCKET_BUFFER_BYTES = 4 << 20;
    /** The largest UDP payload over IPv4, so also the most one segmented send may carry. */
    static final int MAX_BATCH_BYTES = 65_507;
    /** Datagrams larger than this are never batched (two would not fit a batch). */
    private static final int MAX_BATCHED_DATAGRAM = MAX_BATCH_BYTES / 2;
    /** Failed batch sends in a row that switch the offload off. */
    static final int MAX_OFFLOAD_FAILURES = 8;
    /** strerror(EMSGSIZE), as the JDK puts it in the exception. */
    private static final String MESSAGE_TOO_LONG = "Message too long";

    /** The system call under {@link #send}; tests replace it to inject failures. */
    interface Sender {
        int send(DatagramChannel channel, ByteBuffer datagram, InetSocketAddress to) throws IOException;
    }

    private final DatagramChannel channel;
    private final Sender sender;
    private UdpSegmentation offload;
    private volatile String offloadStatus;
    /** Receive offload ({@code UDP_GRO}), or null: the JDK's {@code receive}, one datagram per call. */
    private UdpCoalescedReceive coalesced;
    private volatile String receiveOffloadStatus;
    /** The C library while it loads (the offloads are attached once it has), else null. */
    private CompletableFuture<UdpSegmentation.LibC> loading;
    private long receiveCalls;
    /** Guards the descriptor against {@link #close} while a native call uses it. */
    private final Object fdLock = new Object();
    private boolean closed;
    private ByteBuffer batch;
    private InetSocketAddress batchTo;
    private int batchSegment;
    private int batchCount;
    /** The batch ends with a datagram shorter than its segment size: nothing may follow it. */
    private boolean batchClosed;
    private int offloadFailuresInARow;
    private long sendErrors;
    private long sendsDropped;
    private long sendCalls;
    private long datagramsSent;
    private long offloadFailures;

    /** A socket bound to {@code bind}, batching sends with segmentation offload where the kernel has it. */
    UdpSocket(InetSocketAddress bind) throws IOException {
        this(bind, true, DatagramChannel::send);
    }

    /**
     * @param segmentation false to never batch (every datagram its own system call)
     * @param sender the send system call (tests inject failures here)
     */
    UdpSocket(InetSocketAddress bind, boolean segmentation, Sender sender) throws IOException {
        this(bind, segmentation, sender,
                segmentation && UdpSegmentation.unavailable() == null ? UdpSegmentation.libcLoading() : null);
    }

    /**
     * @param libc the C library, loading or loaded (tests pass their own future); null when
     *     {@code segmentation} is off or {@link UdpSegmentation#unavailable()} says why not
     */
    UdpSocket(InetSocketAddress bind, boolean segmentation, Sender sender,
              CompletableFuture<UdpSegmentation.LibC> libc) throws IOException {
        SelectorProvider provider = platformProvider();
        DatagramChannel ch = provider.openDatagramChannel();
        try {
            ch.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER_BYTES);
            ch.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER_BYTES);
            ch.bind(bind);
            ch.configureBlocking(false);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw new IOException("cannot bind UDP " + bind.getHostString() + ":" + bind.getPort()
                    + ": " + e.getMessage(), e);
        }
        this.channel = ch;
        this.sender = sender;
        if (!segmentation) {
            offloadStatus = "off: disabled by configuration";
        } else if (libc == null) {
            String why = UdpSegmentation.unavailable();
            offloadStatus = "off: " + (why != null ? why : "no native support given");
        } else {
            offloadStatus = LOADING;
            loading = libc;
        }
        receiveOffloadStatus = offloadStatus;
        attachOffloadIfReady(); // at once when the library has loaded already
    }

    /** The offloads' status until JNR-FFI has loaded; datagrams move one per call meanwhile. */
    static final String LOADING = "loading: native support (JNR-FFI) is still loading";

    /**
     * Attaches the offloads once the C library has loaded (the event loop calls it each turn; a
     * volatile read until then). Until it has, datagrams move one per system call.
     *
     * @return true when this call changed the offloads' status
     */
    boolean attachOffloadIfReady() {
        CompletableFuture<UdpSegmentation.LibC> f = loading;
        if (f == null || !f.isDone()) {
            return false;
        }
        loading = null;
        UdpSegmentation.LibC libc;
        try {
            libc = f.join();
        } catch (CompletionException | CancellationException e) {
            offloadStatus = "off: cannot load libc through JNR-FFI: " + (e.getCause() != null ? e.getCause() : e);
            receiveOffloadStatus = offloadStatus;
            return true;
        }
        synchronized (fdLock) {
            if (closed) {
                offloadStatus = "off: the socket is closed";
                receiveOffloadStatus = offloadStatus;
                return true;
            }
            UdpSegmentation.Probe p = UdpSegmentation.attach(channel, libc);
            if (p.offload() == null) {
                offloadStatus = "off: " + p.unavailable();
                receiveOffloadStatus = offloadStatus;
                return true;
            }
            ByteBuffer b;
            UdpCoalescedReceive.Probe r;
            try {
                b = ByteBuffer.allocateDirect(MAX_BATCH_BYTES);
                r = UdpCoalescedReceive.attach(p.offload());
            } catch (OutOfMemoryError e) {
                // Direct memory exhausted (-XX:MaxDirectMemorySize): run without, never end the loop.
                // The probe left no segment size set, and UDP_GRO is set only after its buffer exists.
                offloadStatus = "off: no direct memory for the batch buffers: " + e.getMessage();
                receiveOffloadStatus = offloadStatus;
                return true;
            }
            // Receive status first: a reader that sees the send status "on" sees both settled.
            receiveOffloadStatus = r.offload() != null ? "on" : "off: " + r.unavailable();
            coalesced = r.offload();
            batch = b;
            offload = p.offload();
            offloadStatus = "on";
        }
        return true;
    }

    /** Runs {@code wake} (on another thread) once the C library has loaded, if it is loading. */
    void whenOffloadLoaded(Runnable wake) {
        CompletableFuture<UdpSegmentation.LibC> f = loading;
        if (f != null) {
            f.whenComplete((libc, e) -> wake.run());
        }
    }

    /**
     * The platform's own provider, never the overlay's (see
     * {@link dev.overlay.nio.OverlaySelectorProvider#platform()}): with the NIO drop-in installed,
     * {@code SelectorProvider.provider()} is the overlay provider.
     */
    static SelectorProvider platformProvider() {
        return dev.overlay.nio.OverlaySelectorProvider.platform();
    }

    Selector openSelector() throws IOException {
        return platformProvider().openSelector();
    }

    void register(Selector selector) throws IOException {
        channel.register(selector, SelectionKey.OP_READ);
    }

    InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    /**
     * Reads one datagram into {@code buf} (cleared first, then flipped); null when none is waiting.
     * With receive offload it may be one of a batch the kernel handed over in one call.
     */
    InetSocketAddress receive(ByteBuffer buf) throws IOException {
        if (coalesced != null) {
            if (coalesced.hasPending()) {
                return coalesced.next(buf); // from our buffer: no system call, no lock
            }
            synchronized (fdLock) {
                if (closed) {
                    throw new ClosedChannelException();
                }
                return coalesced.receive(buf);
            }
        }
        buf.clear();
        SocketAddress from = channel.receive(buf);
        buf.flip();
        if (from != null) {
            receiveCalls++;
        }
        return (InetSocketAddress) from;
    }

    /**
     * Sends {@code datagram} (position..limit; read before this returns, the caller may reuse it).
     * With offload on it may wait in the batch until {@link #flush}. A full socket buffer or an
     * unreachable host drops it (UDP), counted.
     */
    void send(ByteBuffer datagram, InetSocketAddress to) {
        int len = datagram.remaining();
        if (offload == null || len == 0 || len > MAX_BATCHED_DATAGRAM) {
            // An empty datagram cannot be a segment: at the end of a batch the kernel would send nothing for it.
            flush();
            sendOne(datagram, to);
            return;
        }
        if (batchCount > 0 && (batchClosed || len > batchSegment || batchCount == UdpSegmentation.MAX_SEGMENTS
                || batch.position() + len > MAX_BATCH_BYTES || (to != batchTo && !to.equals(batchTo)))) {
            flush();
        }
        if (batchCount == 0) {
            batchTo = to;
            batchSegment = len;
        }
        batch.put(datagram);
        batchCount++;
        batchClosed = len < batchSegment;
    }

    /** Sends what {@link #send} batched; the event loop calls it before it waits. */
    void flush() {
        if (batchCount == 0) {
            return;
        }
        batch.flip();
        try {
            if (batchCount == 1) {
                sendOne(batch, batchTo);
            } else {
                sendBatch();
            }
        } finally {
            batch.clear();
            batchCount = 0;
            batchClosed = false;
            batchTo = null;
        }
    }

    /** Sets the socket's segment size unless the socket is closed; null, or why not. */
    private String setSegment(int size) {
        synchronized (fdLock) {
            return closed ? "the socket is closed" : offload.set(size);
        }
    }

    private void sendBatch() {
        String refused = setSegment(batchSegment);
        if (refused == null) {
            try {
                sendCalls++;
                if (sender.send(channel, batch, batchTo) == 0) {
                    sendsDropped += batchCount;
                } else {
                    datagramsSent += batchCount;
                }
                offloadFailuresInARow = 0;
                return;
            } catch (IOException | RuntimeException e) {
                refused = e.toString();
                if (String.valueOf(e.getMessage()).contains(MESSAGE_TOO_LONG)) {
                    // EMSGSIZE: this batch's segments exceed the route's MTU (a size found through
                    // fragmented probes). A property of one path, not of the offload: resend, keep it on.
                    offloadFailures++;
                    resendOneByOne();
                    return;
                }
            }
        }
        offloadFailed(refused);
        resendOneByOne();
    }

    private void resendOneByOne() {
        // One datagram at a time: the same bytes, each its own system call.
        int end = batch.limit();
        for (int at = 0; at < end; at += batchSegment) {
            batch.limit(Math.min(end, at + batchSegment)).position(at);
            sendOne(batch, batchTo);
        }
    }

    private void offloadFailed(String why) {
        offloadFailures++;
        if (++offloadFailuresInARow < MAX_OFFLOAD_FAILURES) {
            return;
        }
        offloadStatus = "off: " + MAX_OFFLOAD_FAILURES + " segmented sends failed in a row, the last: " + why;
        LOG.log(System.Logger.Level.WARNING, "UDP send offload switched off: " + offloadStatus.substring(5));
        String cleared = setSegment(0);
        if (cleared != null) {
            LOG.log(System.Logger.Level.WARNING, "UDP send offload: " + cleared);
        }
        offload = null;
    }

    /** One datagram, one system call; the socket's segment size must not split it. */
    private void sendOne(ByteBuffer datagram, InetSocketAddress to) {
        if (offload != null && offload.segment() != 0 && datagram.remaining() > offload.segment()) {
            String cleared = setSegment(0);
            if (cleared != null) {
                offloadFailed(cleared);
                if (offload != null) {
                    sendErrors++; // would leave split in two: dropped, counted
                    return;
                }
            }
        }
        try {
            sendCalls++;
            if (sender.send(channel, datagram, to) == 0) {
                sendsDropped++;
            } else {
                datagramsSent++;
            }
        } catch (IOException | RuntimeException e) {
            // UnsupportedAddressTypeException and friends: a peer-supplied address this socket
            // cannot reach (an IPv6 candidate on an IPv4 socket) is one lost datagram, never the loop.
            sendErrors++;
        }
    }

    /** "on", or "off: " and why. */
    String offloadStatus() {
        return offloadStatus;
    }

    /**
     * Datagrams of a batch already taken from the kernel and not yet handed out by
     * {@link #receive}: the selector does not see them, so the event loop must not wait first.
     */
    boolean hasPendingReceive() {
        return coalesced != null && coalesced.hasPending();
    }

    /** "on" when the kernel may hand over batches ({@code UDP_GRO}), or "off: " and why. */
    String receiveOffloadStatus() {
        return receiveOffloadStatus;
    }

    /** System calls that received datagrams (one per batch with receive offload). */
    long receiveCalls() {
        return receiveCalls + (coalesced != null ? coalesced.receiveCalls() : 0);
    }

    /** System calls that sent datagrams (one per batch with offload). */
    long sendCalls() {
        return sendCalls;
    }

    /** Datagrams the kernel took. */
    long datagramsSent() {
        return datagramsSent;
    }

    /** Segmented sends that failed and were sent again one datagram at a time. */
    long offloadFailures() {
        return offloadFailures;
    }

    long sendErrors() {
        return sendErrors;
    }

    long sendsDropped() {
        return sendsDropped;
    }

    @Override
    public void close() throws IOException {
        // The event loop flushed on its way out; this may run on another thread.
        synchronized (fdLock) {
            closed = true;
            channel.close();
        }
    }
}
