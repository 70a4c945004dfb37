package dev.overlay.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The sorted ring behind {@link LossDetector}. */
class SentPacketQueueTest {
    private final SentPacketQueue q = new SentPacketQueue();

    @Test
    void packetNumbersAreFoundByBinarySearchAcrossGaps() {
        for (long pn = 0; pn < 300; pn += 3) {
            q.add(packet(pn));
        }

        assertThat(q.number(q.lowerBound(0))).isEqualTo(0);
        assertThat(q.number(q.lowerBound(4))).isEqualTo(6);
        assertThat(q.number(q.lowerBound(297))).isEqualTo(297);
        assertThat(q.lowerBound(298)).isEqualTo(q.size());
    }

    @Test
    void orderSurvivesGrowingAfterTheRingWrapped() {
        // Given a ring whose head has moved: 60 added, the first 50 settled and trimmed
        for (long pn = 0; pn < 60; pn++) {
            q.add(packet(pn));
        }
        for (int i = 0; i < 50; i++) {
            q.settle(i, SentPacketQueue.ACKED);
        }
        q.trimSettled();

        // When it wraps and then grows
        for (long pn = 60; pn < 400; pn++) {
            q.add(packet(pn));
        }

        // Then every packet is still in order and found
        assertThat(q.size()).isEqualTo(350);
        for (int i = 0; i < q.size(); i++) {
            assertThat(q.number(i)).isEqualTo(50 + i);
            assertThat(q.packet(i).packetNumber).isEqualTo(50 + i);
            assertThat(q.lowerBound(50 + i)).isEqualTo(i);
        }
    }

    @Test
    void trimmingForgetsOnlyTheSettledEntriesAtTheHead() {
        for (long pn = 0; pn < 5; pn++) {
            q.add(packet(pn));
        }
        q.settle(0, SentPacketQueue.ACKED);
        q.settle(1, SentPacketQueue.LOST);
        q.settle(3, SentPacketQueue.ACKED);

        q.trimSettled();

        assertThat(q.size()).isEqualTo(3);
        assertThat(q.outstanding()).isEqualTo(2);
        assertThat(q.number(0)).isEqualTo(2);
        assertThat(q.state(1)).isEqualTo(SentPacketQueue.ACKED);
        assertThat(q.packet(1)).isNull();
    }

    private static SentPacket packet(long pn) {
        return new SentPacket(pn, 0, 1200, true, true, null);
    }
}
