package dev.overlay.wire.frame;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** Parsing and writing data, ACK and flow-control frames allocate nothing per packet. */
class HotPathAllocationTest {
    private static final int WARMUP = 20_000;
    private static final int MEASURED = 10_000;
    /** Slack for the measurement itself; a single allocation per packet would be >= 160,000 bytes. */
    private static final long SLACK = 4096;

    private static final class Summing implements FrameVisitor {
        long sum;

        @Override
        public void onAck(AckFrame ack) {
            sum += ack.largest() + ack.ranges()[2 * ack.rangeCount() - 1];
        }

        @Override
        public void onStream(long streamId, long offset, boolean fin, ByteBuffer packet, int dataOffset, int dataLength) {
            sum += streamId + offset + packet.get(dataOffset) + dataLength;
        }

        @Override
        public void onMaxStreamData(long streamId, long max) {
            sum += max;
        }

        @Override
        public void onPadding(int count) {
            sum += count;
        }
    }

    private static final long[] RANGES = {1_000_000, 999_000, 998_000, 997_000, 500_000, 400_000, 1000, 0};
    private static final ByteBuffer DATA = ByteBuffer.allocateDirect(1200);

    private static void writePacket(ByteBuffer b, long pn) {
        b.clear();
        FrameWriter.writePacketHeader(b, 0, pn);
        FrameWriter.writeAck(b, RANGES, 4, 1234);
        FrameWriter.writeMaxStreamData(b, 4, 1L << 33);
        FrameWriter.writeStream(b, 4, pn * 1000, false, DATA, 0, 1000, true);
        FrameWriter.writeStream(b, 8, 0, true, DATA, 10, 100, false);
        b.flip();
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test
    void writingAndParsingAPacketOfStreamAckAndFlowControlFramesAllocatesNothing() throws FrameException {
        assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled());
        ByteBuffer packet = ByteBuffer.allocateDirect(1500);
        FrameParser parser = new FrameParser();
        Summing visitor = new Summing();
        long pns = 0;
        for (int i = 0; i < WARMUP; i++) {
            writePacket(packet, i);
            pns += parser.parse(packet, visitor);
        }
        long before = allocatedBytes();
        for (int i = 0; i < MEASURED; i++) {
            writePacket(packet, i);
            pns += parser.parse(packet, visitor);
        }
        long allocated = allocatedBytes() - before;
        assertThat(allocated).as("bytes allocated over %d packets", MEASURED).isLessThan(SLACK);
        assertThat(visitor.sum + pns).isNotZero();
    }
}
