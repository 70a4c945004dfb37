package dev.overlay.stream.parity;

import static dev.overlay.stream.parity.Bounded.awaitBlocked;
import static dev.overlay.stream.parity.Bounded.observe;
import static dev.overlay.stream.parity.Bounded.readOnce;
import static org.assertj.core.api.Assertions.assertThat;

import dev.overlay.stream.OverlayStream;
import dev.overlay.stream.StreamConfig;
import dev.overlay.stream.StreamListener;
import dev.overlay.stream.StreamRefusedException;
import dev.overlay.stream.parity.Bounded.ReadOutcome;
import dev.overlay.stream.parity.Bounded.Task;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Overlay behaviour with no kernel-TCP analogue: key-based admission and a vanished peer node. */
class OverlayOnlyTest {
    private static final Duration SHORT = Duration.ofSeconds(5);
    private final Bounded bounded = new Bounded();
    private OverlayPair pair;

    @AfterEach
    void cleanUp() throws IOException {
        try {
            if (pair != null) {
                pair.close();
            }
        } finally {
            bounded.close();
        }
    }

    @AfterAll
    static void summary() {
        Bounded.printObserved();
    }

    @Test
    void aKeyOutsideTheListenersAllowListIsRefusedAsNotAllowed() throws Exception {
        pair = new OverlayPair();
        pair.server.listen(7100, key -> key.equals(pair.serverIdentity.id()));
        Throwable thrown = bounded.within(SHORT, "connect from a key not on the list", () -> {
            try {
                pair.client.connect(pair.serverIdentity.id(), 7100, Endpoints.CONNECT_TIMEOUT).reset(0);
                return null;
            } catch (IOException e) {
                return e;
            }
        });
        assertThat(thrown).isInstanceOfSatisfying(StreamRefusedException.class,
                e -> assertThat(e.notAllowed()).as("notAllowed()").isTrue());

        // The same client is admitted where its key is on the list.
        StreamListener admitting = pair.server.listen(7101, key -> key.equals(pair.clientIdentity.id()));
        OverlayStream s = bounded.within(SHORT, "connect from an allowed key",
                () -> pair.client.connect(pair.serverIdentity.id(), 7101, Endpoints.CONNECT_TIMEOUT));
        OverlayStream accepted = admitting.accept(SHORT);
        assertThat(accepted.peer()).isEqualTo(pair.clientIdentity.id());
        s.close();
        accepted.close();
    }

    @Test
    void closingTheServerNodeFailsTheClientsBlockedReadWithinTheIdleTimeout() throws Exception {
        Duration idle = Duration.ofSeconds(2);
        Duration margin = Duration.ofSeconds(3);
        pair = new OverlayPair(StreamConfig.DEFAULTS.withIdleTimeout(idle));
        Pair p = bounded.within(SHORT, "connect+accept", pair::open);
        Task<ReadOutcome> reader = bounded.start("client's blocked read", () -> readOnce(p.client().in()));
        awaitBlocked(reader);
        pair.server.close();
        ReadOutcome r = reader.get(idle.plus(margin));
        observe("overlay", "server node closed: client's blocked read", r);
        assertThat(r.failed()).as("the read failed with an IOException (got %s)", r).isTrue();
    }
}
