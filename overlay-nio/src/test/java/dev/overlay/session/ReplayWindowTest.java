package dev.overlay.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The cases of RFC 6479 and WireGuard's replay tests, against a window of {@value ReplayWindow#WINDOW}. */
class ReplayWindowTest {
    private final ReplayWindow w = new ReplayWindow();

    @Test
    void theFirstCounterZeroIsAccepted() {
        assertThat(w.accept(0)).isTrue();
        assertThat(w.accept(0)).isFalse();
    }

    @Test
    void inOrderCountersAreAcceptedOnceEach() {
        for (long i = 0; i < 10_000; i++) {
            assertThat(w.mayAccept(i)).isTrue();
            assertThat(w.accept(i)).isTrue();
            assertThat(w.accept(i)).isFalse();
        }
    }

    @Test
    void theWindowIsAtLeast2048PacketsWide() {
        assertThat(ReplayWindow.WINDOW).isGreaterThanOrEqualTo(2048);
    }

    @Test
    void outOfOrderCountersInsideTheWindowAreAcceptedOnce() {
        assertThat(w.accept(5000)).isTrue();
        assertThat(w.accept(5000 - ReplayWindow.WINDOW + 1)).isTrue();
        assertThat(w.accept(5000 - ReplayWindow.WINDOW + 1)).isFalse();
        assertThat(w.accept(4999)).isTrue();
        assertThat(w.accept(4999)).isFalse();
    }

    @Test
    void aCounterExactlyOneWindowBehindTheHighestIsTooOld() {
        assertThat(w.accept(5000)).isTrue();
        assertThat(w.mayAccept(5000 - ReplayWindow.WINDOW)).isFalse();
        assertThat(w.accept(5000 - ReplayWindow.WINDOW)).isFalse();
    }

    @Test
    void aJumpFarAheadForgetsEverythingBehindTheNewWindow() {
        for (long i = 0; i < 100; i++) {
            w.accept(i);
        }
        assertThat(w.accept(1_000_000)).isTrue();
        assertThat(w.accept(99)).isFalse();
        // Inside the new window, counters never seen are still fresh after the ring was cleared.
        assertThat(w.accept(1_000_000 - 1)).isTrue();
        assertThat(w.accept(1_000_000 - ReplayWindow.WINDOW + 1)).isTrue();
    }

    @Test
    void blocksReusedByTheRingAreClearedBeforeReuse() {
        // Given every counter in one window accepted
        for (long i = 0; i < ReplayWindow.WINDOW + 64; i++) {
            assertThat(w.accept(i)).isTrue();
        }
        // When the window moves by less than the ring, old bits in reused blocks must not look seen
        long top = ReplayWindow.WINDOW + 64 + 200;
        assertThat(w.accept(top)).isTrue();
        for (long i = ReplayWindow.WINDOW + 64; i < top; i++) {
            assertThat(w.accept(i)).as("counter %d", i).isTrue();
        }
    }

    @Test
    void negativeCountersAreRejected() {
        assertThat(w.mayAccept(-1)).isFalse();
        assertThat(w.accept(Long.MIN_VALUE)).isFalse();
    }

    @Test
    void mayAcceptNeverChangesState() {
        w.accept(10);
        assertThat(w.mayAccept(11)).isTrue();
        assertThat(w.mayAccept(11)).isTrue();
        assertThat(w.highest()).isEqualTo(10);
    }

    @Test
    void agreesWithAReferenceModelOnRandomReorderedTraffic() {
        Random r = new Random(6479);
        Set<Long> seen = new HashSet<>();
        long highest = -1;
        for (int i = 0; i < 200_000; i++) {
            long c = Math.max(0, highest + r.nextInt(200) - (r.nextInt(10) == 0 ? 5000 : 150));
            boolean expected = !seen.contains(c) && (highest < 0 || c > highest - ReplayWindow.WINDOW);
            assertThat(w.accept(c)).as("counter %d after highest %d", c, highest).isEqualTo(expected);
            if (expected) {
                seen.add(c);
                highest = Math.max(highest, c);
            }
        }
    }
}
