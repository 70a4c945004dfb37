package dev.overlay.wire.frame;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzzing: on any input the parser returns or throws {@link FrameException}, never anything
 * else, never reports STREAM data outside the packet and never reports an ill-formed ACK.
 */
class FrameFuzzTest {
    private static final long SEED = 0x5eed_f4a3e5L;

    /** Checks every callback's promises without allocating. */
    private static final class CheckingVisitor implements FrameVisitor {
        private int start;
        private int end;
        int streams;
        int acks;

        void window(ByteBuffer packet) {
            start = packet.position();
            end = packet.limit();
        }

        @Override
        public void onStream(long streamId, long offset, boolean fin, ByteBuffer packet, int dataOffset, int dataLength) {
            if (dataLength < 0 || dataOffset < start || dataOffset > end - dataLength) {
                throw new AssertionError("STREAM data [" + dataOffset + ", +" + dataLength + ") outside [" + start + ", " + end + ")");
            }
            if (streamId < 0 || streamId > Varint.MAX || offset < 0 || offset > Varint.MAX - dataLength) {
                throw new AssertionError("STREAM id " + streamId + " offset " + offset + " length " + dataLength);
            }
            streams++;
        }

        @Override
        public void onAck(AckFrame ack) {
            long[] r = ack.ranges();
            int n = ack.rangeCount();
            if (n < 1 || n > AckFrame.MAX_RANGES || r[0] != ack.largest() || ack.largest() > Varint.MAX) {
                throw new AssertionError("ACK count " + n + " largest " + ack.largest());
            }
            for (int i = 0; i < n; i++) {
                if (r[2 * i + 1] < 0 || r[2 * i + 1] > r[2 * i] || (i > 0 && r[2 * i] > r[2 * i - 1] - 2)) {
                    throw new AssertionError("ACK ranges not descending and disjoint: " + Arrays.toString(Arrays.copyOf(r, 2 * n)));
                }
            }
            acks++;
        }

        @Override
        public void onOpen(long streamId, int port) {
            if (port < 0 || port > 65535) {
                throw new AssertionError("port " + port);
            }
        }

        @Override
        public void onConnectionClose(long errorCode, String reason) {
            if (reason.length() > FrameWriter.MAX_REASON_BYTES) {
                throw new AssertionError("reason of " + reason.length() + " chars");
            }
        }
    }

    private final FrameParser parser = new FrameParser();
    private final CheckingVisitor visitor = new CheckingVisitor();

    /**
     * Parses {@code input} placed at {@code lead} inside a larger buffer with junk on both sides,
     * so reading outside position..limit would be visible. Returns true if it parsed.
     */
    private boolean parseOrReject(byte[] input, int lead, String what) {
        byte[] outer = new byte[lead + input.length + 7];
        Arrays.fill(outer, (byte) 0x0f); // STREAM type with every bit set: junk that would "parse"
        System.arraycopy(input, 0, outer, lead, input.length);
        ByteBuffer p = ByteBuffer.wrap(outer).position(lead).limit(lead + input.length);
        visitor.window(p);
        try {
            parser.parse(p, visitor);
            return true;
        } catch (FrameException expected) {
            return false;
        } catch (Throwable t) {
            throw new AssertionError(what + ": input " + HexFormat.of().formatHex(input) + " threw " + t, t);
        } finally {
            assertThat(p.position()).isEqualTo(lead);
            assertThat(p.limit()).isEqualTo(lead + input.length);
        }
    }

    @Test
    void randomByteArraysHalfWithTheMarkerParseOrThrowFrameExceptionOnly() {
        Random random = new Random(SEED);
        int parsed = 0;
        for (int i = 0; i < 100_000; i++) {
            byte[] input = new byte[random.nextInt(201)];
            random.nextBytes(input);
            if (input.length > 0 && i % 2 == 0) {
                input[0] = FrameWriter.PACKET_MARKER;
            }
            if (parseOrReject(input, random.nextInt(4), "random #" + i)) {
                parsed++;
            }
        }
        assertThat(parsed).as("some random inputs are valid packets").isPositive();
    }

    @Test
    void randomlyGeneratedValidPacketsParseBackToTheFramesWritten() throws FrameException {
        RandomPackets gen = new RandomPackets(SEED);
        for (int i = 0; i < 5_000; i++) {
            RandomPackets.Generated g = gen.next();
            assertThat(Packets.parse(ByteBuffer.wrap(g.bytes()))).as("packet #%d", i).isEqualTo(g.frames());
        }
    }

    @Test
    void mutationsOfValidPacketsParseOrThrowFrameExceptionOnly() {
        Random random = new Random(SEED + 1);
        RandomPackets gen = new RandomPackets(SEED + 2);
        int parsed = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] input = gen.next().bytes();
            int mutations = 1 + random.nextInt(3);
            for (int m = 0; m < mutations; m++) {
                input = mutate(input, random);
            }
            if (parseOrReject(input, random.nextInt(4), "mutation #" + i)) {
                parsed++;
            }
        }
        assertThat(parsed).as("some mutations still parse").isPositive();
        assertThat(parsed).as("some mutations are rejected").isLessThan(20_000);
        assertThat(visitor.streams).isPositive();
        assertThat(visitor.acks).isPositive();
    }

    private static byte[] mutate(byte[] in, Random random) {
        if (in.length == 0) {
            return new byte[] {(byte) random.nextInt(256)};
        }
        int at = random.nextInt(in.length);
        switch (random.nextInt(7)) {
            case 0: { // flip one bit
                byte[] out = in.clone();
                out[at] ^= (byte) (1 << random.nextInt(8));
                return out;
            }
            case 1: { // replace a byte with an interesting value
                byte[] out = in.clone();
                int[] interesting = {0x00, 0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xc0, 0xff, 0x08, 0x0a, 0x0e, 0x0f, 0x1c, 0x02};
                out[at] = (byte) interesting[random.nextInt(interesting.length)];
                return out;
            }
            case 2: // truncate
                return Arrays.copyOf(in, at);
            case 3: { // insert a random byte
                byte[] out = new byte[in.length + 1];
                System.arraycopy(in, 0, out, 0, at);
                out[at] = (byte) random.nextInt(256);
                System.arraycopy(in, at, out, at + 1, in.length - at);
                return out;
            }
            case 4: { // delete a byte
                byte[] out = new byte[in.length - 1];
                System.arraycopy(in, 0, out, 0, at);
                System.arraycopy(in, at + 1, out, at, in.length - at - 1);
                return out;
            }
            case 5: { // duplicate a run
                int len = random.nextInt(Math.min(16, in.length - at) + 1);
                byte[] out = new byte[in.length + len];
                System.arraycopy(in, 0, out, 0, at + len);
                System.arraycopy(in, at, out, at + len, in.length - at);
                return out;
            }
            default: { // overwrite with random bytes
                byte[] out = in.clone();
                int len = random.nextInt(Math.min(8, in.length - at) + 1);
                for (int k = 0; k < len; k++) {
                    out[at + k] = (byte) random.nextInt(256);
                }
                return out;
            }
        }
    }
}
