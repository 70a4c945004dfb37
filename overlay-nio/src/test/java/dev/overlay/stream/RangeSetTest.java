package dev.overlay.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class RangeSetTest {
    @Test
    void adjacentAndOverlappingRangesMergeIntoOne() {
        RangeSet s = new RangeSet();
        s.add(10, 19);
        s.add(30, 39);
        s.add(20, 29);
        assertThat(s.toString()).isEqualTo("{[10, 39]}");
        s.add(5, 50);
        assertThat(s.toString()).isEqualTo("{[5, 50]}");
    }

    @Test
    void removeSplitsTrimsAndDeletes() {
        RangeSet s = new RangeSet();
        s.add(0, 99);
        s.remove(10, 19);
        assertThat(s.toString()).isEqualTo("{[0, 9], [20, 99]}");
        s.remove(0, 4);
        s.remove(90, 200);
        assertThat(s.toString()).isEqualTo("{[5, 9], [20, 89]}");
        s.removeBelow(21);
        assertThat(s.toString()).isEqualTo("{[21, 89]}");
    }

    @Test
    void contiguousEndFindsTheEndOfTheRunAtAnOffset() {
        RangeSet s = new RangeSet();
        s.add(0, 9);
        s.add(20, 29);
        assertThat(s.contiguousEnd(0)).isEqualTo(10);
        assertThat(s.contiguousEnd(5)).isEqualTo(10);
        assertThat(s.contiguousEnd(10)).isEqualTo(10);
        assertThat(s.contiguousEnd(25)).isEqualTo(30);
    }

    @Test
    void keepHighestDropsTheLowestRanges() {
        RangeSet s = new RangeSet();
        for (int i = 0; i < 10; i++) {
            s.add(i * 10, i * 10 + 5);
        }
        s.keepHighest(3);
        assertThat(s.rangeCount()).isEqualTo(3);
        assertThat(s.first()).isEqualTo(70);
        assertThat(s.last()).isEqualTo(95);
    }

    @Test
    void agreesWithAReferenceSetUnderRandomAddsAndRemoves() {
        Random r = new Random(42);
        RangeSet s = new RangeSet();
        TreeSet<Long> ref = new TreeSet<>();
        for (int step = 0; step < 20_000; step++) {
            long a = r.nextInt(500);
            long b = a + r.nextInt(20);
            if (r.nextInt(3) == 0) {
                s.remove(a, b);
                for (long x = a; x <= b; x++) {
                    ref.remove(x);
                }
            } else {
                s.add(a, b);
                for (long x = a; x <= b; x++) {
                    ref.add(x);
                }
            }
            long probe = r.nextInt(520);
            assertThat(s.contains(probe)).isEqualTo(ref.contains(probe));
        }
        long count = 0;
        for (int i = 0; i < s.rangeCount(); i++) {
            assertThat(s.low(i)).isLessThanOrEqualTo(s.high(i));
            if (i > 0) {
                assertThat(s.low(i)).as("disjoint and not adjacent").isGreaterThan(s.high(i - 1) + 1);
            }
            count += s.high(i) - s.low(i) + 1;
        }
        assertThat(count).isEqualTo(ref.size());
    }
}
