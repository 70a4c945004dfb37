package dev.overlay.stream;

import dev.overlay.testing.SimNetwork;
import dev.overlay.testing.SimNetwork.Host;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.LongConsumer;

/**
 * Drives bulk transfers between two simulated hosts with the non-blocking stream API: each stream
 * carries seeded pseudo-random bytes, the sender hashes what it wrote, the receiver what it read.
 */
final class SimTransfers {
    static final int PORT = 9000;

    static final class Transfer {
        final OverlayStream client;
        final long size;
        final Random data;
        final MessageDigest sent = sha();
        final MessageDigest received = sha();
        final byte[] chunk = new byte[64 * 1024];
        final ByteBuffer pending = ByteBuffer.wrap(chunk).limit(0);
        long written;
        long read;
        boolean finished;
        byte[] sentHash;
        byte[] receivedHash;

        Transfer(OverlayStream client, long size, long seed) {
            this.client = client;
            this.size = size;
            this.data = new Random(seed);
        }
    }

    final SimNetwork net;
    final Host sender;
    final Host receiver;
    final StreamListener listener;
    final List<Transfer> transfers = new ArrayList<>();
    private final Map<Long, OverlayStream> accepted = new HashMap<>();
    private final ByteBuffer readBuf = ByteBuffer.allocate(64 * 1024);

    SimTransfers(SimNetwork net, Host sender, Host receiver) {
        this.net = net;
        this.sender = sender;
        this.receiver = receiver;
        this.listener = receiver.streams.listen(PORT, k -> true);
    }

    void start(int streams, long bytesEach) {
        for (int i = 0; i < streams; i++) {
            OverlayStream c = sender.streams.open(net.now(), receiver.device.self(), PORT);
            transfers.add(new Transfer(c, bytesEach, 1000 + i));
        }
    }

    /**
     * Runs until every transfer completed or {@code limit} of simulated time passed; {@code
     * schedule} is called with the simulated time at each step (to switch faults on and off).
     */
    boolean run(Duration limit, LongConsumer schedule) {
        return net.runUntil(() -> {
            schedule.accept(net.now());
            return pump();
        }, limit);
    }

    private boolean pump() {
        try {
            OverlayStream s;
            while ((s = listener.poll()) != null) {
                accepted.put(s.id, s);
            }
            boolean all = true;
            for (Transfer t : transfers) {
                write(t);
                readSide(t);
                all &= t.finished;
            }
            return all;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void write(Transfer t) throws IOException {
        if (!t.client.isOpenedForTest() || t.sentHash != null) {
            return;
        }
        while (true) {
            if (!t.pending.hasRemaining()) {
                if (t.written == t.size) {
                    t.client.shutdownOutput();
                    t.sentHash = t.sent.digest();
                    return;
                }
                int n = (int) Math.min(t.chunk.length, t.size - t.written);
                t.data.nextBytes(t.chunk);
                t.sent.update(t.chunk, 0, n);
                t.pending.position(0).limit(n);
                t.written += n;
            }
            if (t.client.write(t.pending) == 0) {
                return;
            }
        }
    }

    private void readSide(Transfer t) throws IOException {
        OverlayStream s = accepted.get(t.client.id);
        if (s == null || t.finished) {
            return;
        }
        int n;
        while ((n = s.read(readBuf.clear())) > 0) {
            t.received.update(readBuf.array(), 0, n);
            t.read += n;
        }
        if (n < 0) {
            t.finished = true;
            t.receivedHash = t.received.digest();
        }
    }

    private static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
