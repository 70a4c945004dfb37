package dev.overlay.rendezvous;

import static org.assertj.core.api.Assertions.assertThat;

import dev.overlay.identity.Identity;
import dev.overlay.identity.NodeId;
import dev.overlay.testing.DeterministicRandom;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SessionSweeperTest {
    private static final long S = 1_000_000_000L;
    private static final NodeId A = Identity.generate(new DeterministicRandom(1)).id();
    private static final NodeId B = Identity.generate(new DeterministicRandom(2)).id();

    @Test
    void aPeerWithoutARegistrationForTheGracePeriodIsNamedAndARegisteredOneNever() {
        long now = 1000 * S;
        SessionSweeper s = new SessionSweeper(now, 30 * S, 5 * S);
        assertThat(s.sweep(now, List.of(A, B), Set.of(B)::contains)).as("before the first interval").isEmpty();
        now = s.nextDeadline();
        assertThat(s.sweep(now, List.of(A, B), Set.of(B)::contains)).isEmpty(); // A first seen unregistered
        long firstSeen = now;
        List<NodeId> due = List.of();
        while (due.isEmpty() && now - firstSeen < 60 * S) {
            now = s.nextDeadline();
            due = s.sweep(now, List.of(A, B), Set.of(B)::contains);
        }
        assertThat(due).containsExactly(A);
        assertThat(now - firstSeen).isEqualTo(30 * S);
    }

    @Test
    void registeringInTimeOrLeavingClearsThePeersClock() {
        long now = 0;
        SessionSweeper s = new SessionSweeper(now, 30 * S, 5 * S);
        now = s.nextDeadline();
        s.sweep(now, List.of(A, B), id -> false); // both unregistered from here
        now += 20 * S;
        s.sweep(now, List.of(A), id -> id.equals(A)); // A registered, B left the table
        now += 20 * S;
        // Both unregistered again: their clocks start over, so nobody is due yet.
        assertThat(s.sweep(now, List.of(A, B), id -> false)).isEmpty();
        now += 30 * S;
        assertThat(s.sweep(now, List.of(A, B), id -> false)).containsExactlyInAnyOrder(A, B);
    }
}
