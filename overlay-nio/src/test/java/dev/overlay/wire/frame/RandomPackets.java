package dev.overlay.wire.frame;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Generates random valid packets with {@link FrameWriter}, together with the lines a
 * {@link RecordingVisitor} should record for them.
 */
final class RandomPackets {
    private final Random random;

    RandomPackets(long seed) {
        random = new Random(seed);
    }

    /** A valid packet and its expected frames. */
    record Generated(byte[] bytes, List<String> frames) {}

    /** A varint of a random length class (so every encoding length is common). */
    long varint() {
        int bits = switch (random.nextInt(4)) {
            case 0 -> 6;
            case 1 -> 14;
            case 2 -> 30;
            default -> 62;
        };
        return random.nextLong() >>> (64 - bits);
    }

    Generated next() {
        ByteBuffer b = ByteBuffer.allocate(4096);
        List<String> frames = new ArrayList<>();
        FrameWriter.writePacketHeader(b, 0, varint());
        int count = 1 + random.nextInt(8);
        for (int i = 0; i < count; i++) {
            boolean last = i == count - 1;
            frame(b, frames, last);
        }
        return new Generated(Arrays.copyOf(b.array(), b.position()), frames);
    }

    private void frame(ByteBuffer b, List<String> frames, boolean last) {
        switch (random.nextInt(15)) {
            case 0 -> {
                int n = 1 + random.nextInt(20);
                FrameWriter.writePadding(b, n);
                int at = frames.size() - 1;
                if (at >= 0 && frames.get(at).startsWith("PADDING ")) {
                    frames.set(at, "PADDING " + (Integer.parseInt(frames.get(at).substring(8)) + n));
                } else {
                    frames.add("PADDING " + n);
                }
            }
            case 1 -> {
                FrameWriter.writePing(b);
                frames.add("PING");
            }
            case 2 -> ack(b, frames);
            case 3 -> {
                long id = varint(), code = varint(), size = varint();
                FrameWriter.writeResetStream(b, id, code, size);
                frames.add("RESET_STREAM " + id + " code=" + code + " final=" + size);
            }
            case 4 -> {
                long id = varint(), code = varint();
                FrameWriter.writeStopSending(b, id, code);
                frames.add("STOP_SENDING " + id + " code=" + code);
            }
            case 5, 6 -> stream(b, frames, last);
            case 7 -> {
                long max = varint();
                FrameWriter.writeMaxData(b, max);
                frames.add("MAX_DATA " + max);
            }
            case 8 -> {
                long id = varint(), max = varint();
                FrameWriter.writeMaxStreamData(b, id, max);
                frames.add("MAX_STREAM_DATA " + id + " max=" + max);
            }
            case 9 -> {
                long limit = varint();
                FrameWriter.writeDataBlocked(b, limit);
                frames.add("DATA_BLOCKED " + limit);
            }
            case 10 -> {
                long id = varint(), limit = varint();
                FrameWriter.writeStreamDataBlocked(b, id, limit);
                frames.add("STREAM_DATA_BLOCKED " + id + " limit=" + limit);
            }
            case 11 -> {
                long code = varint();
                String reason = "reason " + random.nextInt(1000) + " ✓".repeat(random.nextInt(3));
                FrameWriter.writeConnectionClose(b, code, reason);
                frames.add("CONNECTION_CLOSE " + code + " reason=" + reason);
            }
            case 12 -> {
                long id = varint();
                int port = random.nextInt(65536);
                FrameWriter.writeOpen(b, id, port);
                frames.add("OPEN " + id + " port=" + port);
            }
            case 13 -> {
                long id = varint();
                FrameWriter.writeOpenOk(b, id);
                frames.add("OPEN_OK " + id);
            }
            default -> {
                FrameWriter.writePmtuProbe(b);
                frames.add("PMTU_PROBE");
            }
        }
    }

    private void ack(ByteBuffer b, List<String> frames) {
        int count = 1 + random.nextInt(random.nextBoolean() ? 3 : 40);
        long[] ranges = new long[2 * count];
        long next = varint();
        int made = 0;
        for (int i = 0; i < count && next >= 0; i++) {
            long high = next - Math.min(next, random.nextInt(1000));
            long low = high - Math.min(high, random.nextInt(1000));
            ranges[2 * i] = high;
            ranges[2 * i + 1] = low;
            made++;
            next = low - 2 - random.nextInt(1000);
        }
        long delay = varint();
        FrameWriter.writeAck(b, ranges, made, delay);
        StringBuilder s = new StringBuilder("ACK delay=" + delay);
        for (int i = 0; i < made; i++) {
            s.append(' ').append(ranges[2 * i + 1]).append("..").append(ranges[2 * i]);
        }
        frames.add(s.toString());
    }

    private void stream(ByteBuffer b, List<String> frames, boolean last) {
        long id = varint();
        int length = random.nextInt(4) == 0 ? 0 : random.nextInt(200);
        long offset = random.nextBoolean() ? 0 : Math.min(varint(), Varint.MAX - length);
        boolean fin = random.nextBoolean();
        boolean withLength = !last || random.nextBoolean();
        byte[] data = new byte[length + 10];
        random.nextBytes(data);
        int srcOffset = random.nextInt(11);
        FrameWriter.writeStream(b, id, offset, fin, ByteBuffer.wrap(data), srcOffset, length, withLength);
        frames.add("STREAM " + id + " off=" + offset + (fin ? " fin" : "") + " data="
                + RecordingVisitor.hex(ByteBuffer.wrap(data), srcOffset, length));
    }
}
