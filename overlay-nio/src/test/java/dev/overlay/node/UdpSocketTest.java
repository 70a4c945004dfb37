package dev.overlay.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The node's socket: a bad destination never escapes into the event loop, and send batching with
 * UDP segmentation offload delivers exactly the datagrams sent (sizes, bytes, order) in fewer
 * system calls, falling back to one call per datagram when a batch send fails; receive offload
 * hands a batch over in one system call and gives back the same datagrams, senders and order.
 */
class UdpSocketTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);
    /** The overlay's 1400-byte stream packets plus header and tag. */
    private static final int SEGMENT = 1432;
    private final List<DatagramChannel> receivers = new ArrayList<>();

    /** Sockets made after JNR-FFI has loaded attach their offloads at once: what these tests check. */
    @BeforeAll
    static void loadNativeSupport() {
        if (UdpSegmentation.unavailable() == null) {
            UdpSegmentation.libcLoading().join();
        }
    }

    @AfterEach
    void closeReceivers() throws IOException {
        for (DatagramChannel r : receivers) {
            r.close();
        }
    }

    @Test
    void aDestinationTheSocketCannotUseIsOneCountedErrorNotAnException() throws Exception {
        try (UdpSocket udp = new UdpSocket(LOOPBACK)) {
            // The JDK throws unchecked exceptions for these (UnresolvedAddressException here,
            // UnsupportedAddressTypeException for IPv6 under -Djava.net.preferIPv4Stack=true).
            udp.send(ByteBuffer.wrap(new byte[] {1, 2, 3}), InetSocketAddress.createUnresolved("nowhere.invalid", 9));
            udp.flush();
            assertThat(udp.sendErrors()).isEqualTo(1);
        }
    }

    @Test
    void offloadsAreOnWhereLinuxHasThemAndSayWhyNotElsewhere() throws Exception {
        try (UdpSocket udp = new UdpSocket(LOOPBACK)) {
            if (linuxAtLeast(4, 18) && UdpSegmentation.nativeAccessDenied() == null) {
                assertThat(udp.offloadStatus()).isEqualTo("on");
            } else if (UdpSegmentation.nativeAccessDenied() != null) {
                assertThat(udp.offloadStatus()).isEqualTo("off: " + UdpSegmentation.nativeAccessDenied())
                        .contains("--enable-native-access=ALL-UNNAMED");
            } else {
                assertThat(udp.offloadStatus()).startsWith("off: ").hasSizeGreaterThan(10);
            }
            // Receive offload (UDP_GRO, Linux 5.0+) comes with the send offload, or says why not.
            if (udp.offloadStatus().equals("on") && linuxAtLeast(5, 0)) {
                assertThat(udp.receiveOffloadStatus()).isEqualTo("on");
            } else {
                assertThat(udp.receiveOffloadStatus()).startsWith("off: ").hasSizeGreaterThan(10);
            }
        }
        try (UdpSocket off = new UdpSocket(LOOPBACK, false, DatagramChannel::send)) {
            assertThat(off.offloadStatus()).isEqualTo("off: disabled by configuration");
            assertThat(off.receiveOffloadStatus()).isEqualTo("off: disabled by configuration");
        }
    }

    @Test
    void fullSizeDatagramsToOnePeerLeaveInBatchesOfFortyFiveAndArriveUnchanged() throws Exception {
        requireOffload();
        DatagramChannel rx = receiver();
        InetSocketAddress to = (InetSocketAddress) rx.getLocalAddress();
        List<byte[]> sent = datagrams(100, SEGMENT, SEGMENT, 1);
        try (UdpSocket udp = new UdpSocket(LOOPBACK)) {
            for (byte[] d : sent) {
                udp.send(ByteBuffer.wrap(d), to);
            }
            udp.flush();
            // 65507 / 1432 = 45 datagrams fit one send: 45 + 45 + 10.
            assertThat(udp.sendCalls()).isEqualTo(3);
            assertThat(udp.datagramsSent()).isEqualTo(100);
        }
        assertReceived(rx, sent);
    }

    @Test
    void mixedSizesAndDestinationsArriveAsSentInOrderPerDestination() throws Exception {
        requireOffload();
        DatagramChannel a = receiver();
        DatagramChannel b = receiver();
        InetSocketAddress toA = (InetSocketAddress) a.getLocalAddress();
        InetSocketAddress toB = (InetSocketAddress) b.getLocalAddress();
        Random random = new Random(7);
        List<byte[]> forA = new ArrayList<>();
        List<byte[]> forB = new ArrayList<>();
        try (UdpSocket udp = new UdpSocket(LOOPBACK)) {
            for (int i = 0; i < 600; i++) {
                // Mostly full segments, with short ACK-sized ones, a few larger ones (a probe or a
                // loopback-sized packet), and the destination switching now and then.
                int r = random.nextInt(100);
                int size = r < 70 ? SEGMENT : r < 90 ? 20 + random.nextInt(200) : r < 97 ? SEGMENT + 1 + random.nextInt(8000)
                        : 40_000 + random.nextInt(25_000);
                byte[] d = datagram(i, size);
                boolean toFirst = random.nextInt(10) < 8;
                (toFirst ? forA : forB).add(d);
                udp.send(ByteBuffer.wrap(d), toFirst ? toA : toB);
                if (i % 50 == 49) {
                    udp.flush();
                    assertReceived(a, forA);
                    assertReceived(b, forB);
                    forA.clear();
                    forB.clear();
                }
            }
            assertThat(udp.datagramsSent()).isEqualTo(600);
            assertThat(udp.sendCalls()).isLessThan(600);
            assertThat(udp.offloadFailures()).isZero();
        }
    }

    @Test
    void aLargeDatagramAfterABatchIsNotSplitByTheSocketsSegmentSize() throws Exception {
        requireOffload();
        DatagramChannel rx = receiver();
        InetSocketAddress to = (InetSocketAddress) rx.getLocalAddress();
        List<byte[]> sent = new ArrayList<>(datagrams(3, SEGMENT, SEGMENT, 1));
        sent.add(datagram(3, 8000));   // batched alone: the socket's segment size must not cut it
        sent.addAll(datagrams(3, SEGMENT, SEGMENT, 4));
        sent.add(datagram(7, 60_000)); // never batched
        try (UdpSocket udp = new UdpSocket(LOOPBACK)) {
            for (byte[] d : sent) {
                udp.send(ByteBuffer.wrap(d), to);
            }
            udp.flush();
        }
        assertReceived(rx, sent);
    }

    @Test
    void aFailedBatchIsResentOneDatagramAtATimeAndRepeatedFailuresSwitchTheOffloadOff() throws Exception {
        requireOffload();
        DatagramChannel rx = receiver();
        InetSocketAddress to = (InetSocketAddress) rx.getLocalAddress();
        AtomicInteger batchesRefused = new AtomicInteger();
        UdpSocket.Sender refusesBatches = (ch, d, dest) -> {
            if (d.remaining() > SEGMENT) {
                batchesRefused.incrementAndGet();
                throw new IOException("Input/output error"); // what a device without checksum offload gives
            }
            return ch.send(d, dest);
        };
        try (UdpSocket udp = new UdpSocket(LOOPBACK, true, refusesBatches)) {
            for (int round = 0; round < UdpSocket.MAX_OFFLOAD_FAILURES + 2; round++) {
                List<byte[]> sent = datagrams(5, SEGMENT, SEGMENT, round * 5);
                for (byte[] d : sent) {
                    udp.send(ByteBuffer.wrap(d), to);
                }
                udp.flush();
                assertReceived(rx, sent);
            }
            assertThat(batchesRefused.get()).isEqualTo(UdpSocket.MAX_OFFLOAD_FAILURES);
            assertThat(udp.offloadFailures()).isEqualTo(UdpSocket.MAX_OFFLOAD_FAILURES);
            assertThat(udp.offloadStatus()).startsWith("off: " + UdpSocket.MAX_OFFLOAD_FAILURES
                    + " segmented sends failed in a row").contains("Input/output error");
            assertThat(udp.datagramsSent()).isEqualTo(5L * (UdpSocket.MAX_OFFLOAD_FAILURES + 2));
        }
    }

    @Test
    void segmentsLargerThanARoutesMtuAreResentOneByOneWithoutSwitchingTheOffloadOff() throws Exception {
        requireOffload();
        DatagramChannel rx = receiver();
        InetSocketAddress to = (InetSocketAddress) rx.getLocalAddress();
        UdpSocket.Sender tooLong = (ch, d, dest) -> {
            if (d.remaining() > SEGMENT) {
                throw new IOException("Message too long"); // EMSGSIZE, as the JDK words it
            }
            return ch.send(d, dest);
        };
        int rounds = 2 * UdpSocket.MAX_OFFLOAD_FAILURES;
        try (UdpSocket udp = new UdpSocket(LOOPBACK, true, tooLong)) {
            for (int round = 0; round < rounds; round++) {
                List<byte[]> sent = datagrams(3, SEGMENT, SEGMENT, round * 3);
                for (byte[] d : sent) {
                    udp.send(ByteBuffer.wrap(d), to);
                }
                udp.flush();
                assertReceived(rx, sent);
            }
            assertThat(udp.offloadFailures()).isEqualTo(rounds);
            assertThat(udp.offloadStatus()).isEqualTo("on");
        }
    }

    @Test
    void withoutOffloadEveryDatagramIsItsOwnSystemCall() throws Exception {
        DatagramChannel rx = receiver();
        InetSocketAddress to = (InetSocketAddress) rx.getLocalAddress();
        List<byte[]> sent = datagrams(50, SEGMENT, SEGMENT, 1);
        try (UdpSocket udp = new UdpSocket(LOOPBACK, false, DatagramChannel::send)) {
            for (byte[] d : sent) {
                udp.send(ByteBuffer.wrap(d), to);
            }
            udp.flush();
            assertThat(udp.sendCalls()).isEqualTo(50);
        }
        assertReceived(rx, sent);
    }

    @Test
    void theDescriptorFoundByAddressIsTheChannelsOwnSocket() throws Exception {
        requireOffload();
        UdpSegmentation.LibC libc = UdpSegmentation.loadLibc();
        DatagramChannel rx = receiver();
        InetSocketAddress to = (InetSocketAddress) rx.getLocalAddress();
        try (DatagramChannel one = DatagramChannel.open().bind(LOOPBACK);
             DatagramChannel two = DatagramChannel.open().bind(LOOPBACK)) {
            int fdOne = UdpSegmentation.descriptorByAddress(libc, one);
            int fdTwo = UdpSegmentation.descriptorByAddress(libc, two);
            assertThat(fdOne).isNotEqualTo(fdTwo);
            Integer fromJdk = UdpSegmentation.descriptorFromJdk(one);
            if (fromJdk != null) {
                assertThat(fdOne).isEqualTo(fromJdk);
            }
            // Segmenting through the found descriptor changes how *this* channel's sends leave.
            UdpSegmentation.Probe p = UdpSegmentation.attach(one, libc);
            assertThat(p.unavailable()).isNull();
            assertThat(p.offload().set(SEGMENT)).isNull();
            byte[] two1 = datagram(1, 2 * SEGMENT);
            one.send(ByteBuffer.wrap(two1), to);
            two.send(ByteBuffer.wrap(two1), to); // not segmented: one datagram
            assertReceived(rx, List.of(Arrays.copyOfRange(two1, 0, SEGMENT), Arrays.copyOfRange(two1, SEGMENT, 2 * SEGMENT),
                    two1));
        }
    }

    @Test
    void aSegmentedBatchArrivesInOneReceiveAndIsHandedOutAsTheSameDatagrams() throws Exception {
        requireReceiveOffload();
        // 100 full datagrams and a short last one: 45 + 45 + 11 per send, each batch one receive.
        List<byte[]> sent = new ArrayList<>(datagrams(100, SEGMENT, SEGMENT, 3));
        sent.add(datagram(4242, 333));
        try (UdpSocket tx = new UdpSocket(LOOPBACK); UdpSocket rx = new UdpSocket(LOOPBACK)) {
            assertThat(rx.receiveOffloadStatus()).isEqualTo("on");
            for (byte[] d : sent) {
                tx.send(ByteBuffer.wrap(d), rx.localAddress());
            }
            tx.flush();
            assertThat(tx.sendCalls()).isEqualTo(3);
            assertReceivedBy(rx, sent, tx.localAddress());
            assertThat(rx.receiveCalls()).as("receive calls for %d datagrams sent in 3 batches", sent.size())
                    .isEqualTo(3);
        }
    }

    @Test
    void batchesFromTwoSendersInterleavedKeepEachSendersOrderAndAddress() throws Exception {
        requireReceiveOffload();
        Random random = new Random(11);
        try (UdpSocket a = new UdpSocket(LOOPBACK); UdpSocket b = new UdpSocket(LOOPBACK);
             UdpSocket rx = new UdpSocket(LOOPBACK)) {
            InetSocketAddress to = rx.localAddress();
            List<byte[]> fromA = new ArrayList<>();
            List<byte[]> fromB = new ArrayList<>();
            for (int round = 0; round < 20; round++) {
                for (int i = 0; i < 1 + random.nextInt(60); i++) {
                    // Full segments, now and then a short one (which ends a batch) or an empty one.
                    int r = random.nextInt(100);
                    byte[] d = datagram(round * 1000 + i, r < 80 ? SEGMENT : r < 98 ? 1 + random.nextInt(SEGMENT) : 0);
                    boolean first = random.nextBoolean();
                    (first ? fromA : fromB).add(d);
                    (first ? a : b).send(ByteBuffer.wrap(d), to);
                }
                a.flush();
                b.flush();
            }
            ByteBuffer buf = ByteBuffer.allocateDirect(65536);
            List<byte[]> gotA = new ArrayList<>();
            List<byte[]> gotB = new ArrayList<>();
            InetSocketAddress addrA = a.localAddress();
            InetSocketAddress addrB = b.localAddress();
            int total = fromA.size() + fromB.size();
            try (Selector sel = Selector.open()) {
                rx.register(sel);
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (gotA.size() + gotB.size() < total) {
                    InetSocketAddress from = rx.receive(buf);
                    if (from == null) {
                        long left = (deadline - System.nanoTime()) / 1_000_000;
                        assertThat(left).as("%d of %d datagrams within 5 s", gotA.size() + gotB.size(), total).isPositive();
                        sel.select(left);
                        sel.selectedKeys().clear();
                        continue;
                    }
                    assertThat(from).isIn(addrA, addrB);
                    byte[] got = new byte[buf.remaining()];
                    buf.get(got);
                    (from.equals(addrA) ? gotA : gotB).add(got);
                }
                assertThat(rx.receive(buf)).as("nothing beyond the datagrams sent").isNull();
            }
            assertThat(gotA).as("from A, in order").containsExactlyElementsOf(fromA);
            assertThat(gotB).as("from B, in order").containsExactlyElementsOf(fromB);
            // Each segmented send arrives whole (loopback keeps it as one buffer), never cut up.
            assertThat(rx.receiveCalls()).as("receive calls for %d datagrams in %d sends", total, a.sendCalls() + b.sendCalls())
                    .isLessThanOrEqualTo(a.sendCalls() + b.sendCalls()).isLessThan(total / 2);
        }
    }

    @Test
    void aBatchTakenFromTheKernelIsPendingUntilItsLastDatagramIsHandedOut() throws Exception {
        requireReceiveOffload();
        List<byte[]> sent = datagrams(10, SEGMENT, SEGMENT, 31);
        try (UdpSocket tx = new UdpSocket(LOOPBACK); UdpSocket rx = new UdpSocket(LOOPBACK)) {
            for (byte[] d : sent) {
                tx.send(ByteBuffer.wrap(d), rx.localAddress());
            }
            tx.flush();
            assertThat(rx.hasPendingReceive()).as("nothing taken from the kernel yet").isFalse();
            assertReceivedBy(rx, sent.subList(0, 1), tx.localAddress(), false);
            // Nine datagrams wait in our buffer, none in the kernel: a selector would not see them.
            assertThat(rx.hasPendingReceive()).isTrue();
            try (Selector sel = Selector.open()) {
                rx.register(sel);
                assertThat(sel.selectNow()).as("the kernel has nothing left to report").isZero();
            }
            assertReceivedBy(rx, sent.subList(1, 10), tx.localAddress());
            assertThat(rx.hasPendingReceive()).isFalse();
            assertThat(rx.receiveCalls()).isEqualTo(1);
        }
    }

    @Test
    void anEmptyAndALargestDatagramArriveWholeThroughReceiveOffload() throws Exception {
        requireReceiveOffload();
        List<byte[]> sent = List.of(new byte[0], datagram(1, UdpSocket.MAX_BATCH_BYTES), datagram(2, 1));
        try (UdpSocket rx = new UdpSocket(LOOPBACK); DatagramChannel tx = DatagramChannel.open().bind(LOOPBACK)) {
            for (byte[] d : sent) {
                tx.send(ByteBuffer.wrap(d), rx.localAddress());
            }
            assertReceivedBy(rx, sent, (InetSocketAddress) tx.getLocalAddress());
            assertThat(rx.receiveCalls()).isEqualTo(3);
        }
    }

    @Test
    void receiveOffloadGivesIpv6AndV4MappedSendersTheAddressesTheJdkWould() throws Exception {
        requireReceiveOffload();
        InetSocketAddress v6 = new InetSocketAddress("::1", 0);
        try (UdpSocket rx = new UdpSocket(v6); UdpSocket tx = new UdpSocket(v6)) {
            List<byte[]> sent = datagrams(50, SEGMENT, SEGMENT, 5);
            for (byte[] d : sent) {
                tx.send(ByteBuffer.wrap(d), rx.localAddress());
            }
            tx.flush();
            assertReceivedBy(rx, sent, tx.localAddress());
            assertThat(tx.localAddress().getAddress()).isInstanceOf(java.net.Inet6Address.class);
        }
        // A socket bound to the wildcard takes IPv4 senders as v4-mapped IPv6 addresses; the JDK
        // (and so the rest of the node) sees them as plain IPv4 addresses.
        try (UdpSocket rx = new UdpSocket(new InetSocketAddress(0));
             DatagramChannel tx = DatagramChannel.open().bind(LOOPBACK);
             DatagramChannel tx6 = DatagramChannel.open().bind(v6)) {
            byte[] d6 = datagram(8, 100);
            tx6.send(ByteBuffer.wrap(d6), new InetSocketAddress("::1", rx.localAddress().getPort()));
            // It took an IPv6 datagram: the socket is IPv6 (dual stack), so IPv4 senders arrive v4-mapped.
            assertReceivedBy(rx, List.of(d6), (InetSocketAddress) tx6.getLocalAddress());
            byte[] d = datagram(9, 100);
            tx.send(ByteBuffer.wrap(d), new InetSocketAddress("127.0.0.1", rx.localAddress().getPort()));
            assertReceivedBy(rx, List.of(d), (InetSocketAddress) tx.getLocalAddress());
            assertThat(((InetSocketAddress) tx.getLocalAddress()).getAddress()).isInstanceOf(java.net.Inet4Address.class);
        }
    }

    @Test
    void aClosedSocketRefusesToReceiveInsteadOfReadingADescriptorItNoLongerOwns() throws Exception {
        requireReceiveOffload();
        UdpSocket rx = new UdpSocket(LOOPBACK);
        assertThat(rx.receiveOffloadStatus()).as("the path under test: receives through recvmsg").isEqualTo("on");
        ByteBuffer buf = ByteBuffer.allocateDirect(2048);
        assertThat(rx.receive(buf)).as("nothing waiting").isNull();
        assertThat(buf.remaining()).isZero();
        rx.close();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> rx.receive(buf))
                .isInstanceOf(java.nio.channels.ClosedChannelException.class);
    }

    @Test
    void whileNativeSupportLoadsDatagramsMoveOneByOneAndTheOffloadsAttachOnceItHas() throws Exception {
        requireReceiveOffload();
        CompletableFuture<UdpSegmentation.LibC> loading = new CompletableFuture<>();
        AtomicInteger woken = new AtomicInteger();
        try (UdpSocket tx = new UdpSocket(LOOPBACK, true, DatagramChannel::send, loading);
             UdpSocket rx = new UdpSocket(LOOPBACK, true, DatagramChannel::send, loading)) {
            tx.whenOffloadLoaded(woken::incrementAndGet);
            assertThat(tx.offloadStatus()).isEqualTo(UdpSocket.LOADING);
            assertThat(rx.receiveOffloadStatus()).isEqualTo(UdpSocket.LOADING);
            assertThat(tx.attachOffloadIfReady()).as("nothing to attach yet").isFalse();
            List<byte[]> first = datagrams(10, SEGMENT, SEGMENT, 21);
            for (byte[] d : first) {
                tx.send(ByteBuffer.wrap(d), rx.localAddress());
            }
            tx.flush();
            assertThat(tx.sendCalls()).isEqualTo(10);
            assertReceivedBy(rx, first, tx.localAddress());
            assertThat(rx.receiveCalls()).isEqualTo(10);

            loading.complete(UdpSegmentation.libcLoading().join());
            assertThat(woken.get()).as("the wake-up ran when the library had loaded").isEqualTo(1);
            assertThat(tx.attachOffloadIfReady()).isTrue();
            assertThat(rx.attachOffloadIfReady()).isTrue();
            assertThat(tx.attachOffloadIfReady()).as("attached once").isFalse();
            assertThat(tx.offloadStatus()).isEqualTo("on");
            assertThat(rx.receiveOffloadStatus()).isEqualTo("on");
            List<byte[]> then = datagrams(45, SEGMENT, SEGMENT, 22);
            for (byte[] d : then) {
                tx.send(ByteBuffer.wrap(d), rx.localAddress());
            }
            tx.flush();
            assertThat(tx.sendCalls()).isEqualTo(11);
            assertReceivedBy(rx, then, tx.localAddress());
            assertThat(rx.receiveCalls()).as("counted across the switch").isEqualTo(11);
        }
    }

    @Test
    void nativeSupportThatFailsToLoadLeavesTheOffloadsOffAndSaysWhy() throws Exception {
        CompletableFuture<UdpSegmentation.LibC> loading = new CompletableFuture<>();
        try (UdpSocket udp = new UdpSocket(LOOPBACK, true, DatagramChannel::send, loading)) {
            loading.completeExceptionally(new UnsatisfiedLinkError("no libjffi in this test"));
            assertThat(udp.attachOffloadIfReady()).isTrue();
            assertThat(udp.offloadStatus())
                    .isEqualTo("off: cannot load libc through JNR-FFI: java.lang.UnsatisfiedLinkError: no libjffi in this test");
            assertThat(udp.receiveOffloadStatus()).isEqualTo(udp.offloadStatus());
            DatagramChannel r = receiver();
            byte[] d = datagram(1, SEGMENT);
            udp.send(ByteBuffer.wrap(d), (InetSocketAddress) r.getLocalAddress());
            udp.flush();
            assertReceived(r, List.of(d));
        }
    }

    /** Receives exactly {@code expected} through {@code rx.receive} (5 s at most), each from {@code from}. */
    private static void assertReceivedBy(UdpSocket rx, List<byte[]> expected, InetSocketAddress from) throws IOException {
        assertReceivedBy(rx, expected, from, true);
    }

    private static void assertReceivedBy(UdpSocket rx, List<byte[]> expected, InetSocketAddress from, boolean nothingMore)
            throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(65536);
        long deadline = System.nanoTime() + 5_000_000_000L;
        try (Selector sel = Selector.open()) {
            rx.register(sel);
            for (int i = 0; i < expected.size(); i++) {
                InetSocketAddress got;
                while ((got = rx.receive(buf)) == null) {
                    long left = (deadline - System.nanoTime()) / 1_000_000;
                    assertThat(left).as("datagram %d of %d within 5 s", i, expected.size()).isPositive();
                    sel.select(left);
                    sel.selectedKeys().clear();
                }
                assertThat(got).as("sender of datagram %d", i).isEqualTo(from);
                byte[] bytes = new byte[buf.remaining()];
                buf.get(bytes);
                assertThat(bytes.length).as("size of datagram %d", i).isEqualTo(expected.get(i).length);
                assertThat(bytes).as("bytes of datagram %d", i).isEqualTo(expected.get(i));
            }
            if (nothingMore) {
                assertThat(rx.receive(buf)).as("nothing beyond the datagrams sent").isNull();
            }
        }
    }

    private DatagramChannel receiver() throws IOException {
        DatagramChannel r = DatagramChannel.open();
        receivers.add(r);
        r.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
        r.bind(LOOPBACK);
        r.configureBlocking(false);
        return r;
    }

    /** Receives exactly {@code expected.size()} datagrams (5 s at most) and compares each. */
    private static void assertReceived(DatagramChannel rx, List<byte[]> expected) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(65536);
        long deadline = System.nanoTime() + 5_000_000_000L;
        try (Selector sel = Selector.open()) {
            rx.register(sel, SelectionKey.OP_READ);
            for (int i = 0; i < expected.size(); i++) {
                buf.clear();
                while (rx.receive(buf) == null) {
                    long left = (deadline - System.nanoTime()) / 1_000_000;
                    assertThat(left).as("datagram %d of %d within 5 s", i, expected.size()).isPositive();
                    sel.select(left);
                    sel.selectedKeys().clear();
                }
                buf.flip();
                byte[] got = new byte[buf.remaining()];
                buf.get(got);
                assertThat(got.length).as("size of datagram %d", i).isEqualTo(expected.get(i).length);
                assertThat(got).as("bytes of datagram %d", i).isEqualTo(expected.get(i));
            }
            buf.clear();
            assertThat(rx.receive(buf)).as("nothing beyond the datagrams sent").isNull();
        }
    }

    private static List<byte[]> datagrams(int n, int min, int max, int seed) {
        Random r = new Random(seed);
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(datagram(seed * 1000 + i, min + r.nextInt(max - min + 1)));
        }
        return out;
    }

    /** {@code size} bytes that differ from any other datagram's (seeded by {@code id}). */
    private static byte[] datagram(int id, int size) {
        byte[] d = new byte[size];
        new Random(id * 31L + size).nextBytes(d);
        return d;
    }

    private static void requireReceiveOffload() throws IOException {
        requireOffload();
        assertThat(linuxAtLeast(5, 0)).as("this test machine is Linux 5.0+ with UDP_GRO").isTrue();
    }

    private static void requireOffload() throws IOException {
        assertThat(linuxAtLeast(4, 18)).as("this test machine is Linux 4.18+ with UDP_SEGMENT").isTrue();
        assertThat(UdpSegmentation.nativeAccessDenied()).as("the build runs tests with native access").isNull();
    }

    private static boolean linuxAtLeast(int major, int minor) {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
            return false;
        }
        String[] v = System.getProperty("os.version", "0.0").split("[.-]");
        int ma = Integer.parseInt(v[0]);
        int mi = v.length > 1 ? Integer.parseInt(v[1]) : 0;
        return ma > major || ma == major && mi >= minor;
    }
}
