package dev.overlay.rendezvous;

import static dev.overlay.rendezvous.MessagesTest.key;
import static dev.overlay.rendezvous.MessagesTest.v4;
import static dev.overlay.rendezvous.MessagesTest.v6;
import static org.assertj.core.api.Assertions.assertThat;

import dev.overlay.identity.NodeId;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Soft state with a fake clock: TTL, refresh, the handle index and the size bound. */
class RegistryTest {
    private static final long S = 1_000_000_000L;
    private static final long T0 = 5 * S;
    private static final NodeId A = key(10);
    private static final NodeId B = key(11);
    private static final InetSocketAddress RA = v4("203.0.113.1", 4000);
    private static final InetSocketAddress RB = v4("203.0.113.2", 4001);

    @Test
    void defaultsAreSixtySecondsTtlAndTwentySecondsRefresh() {
        Registry r = new Registry();
        assertThat(r.ttlNanos()).isEqualTo(60 * S);
        assertThat(Registry.DEFAULT_REFRESH_SECONDS).isEqualTo(20);
        assertThat(r.maxEntries()).isEqualTo(Registry.DEFAULT_MAX_ENTRIES);
    }

    @Test
    void aRegistrationLivesForItsTtlAfterTheLastRegister() {
        Registry r = new Registry(10, 60 * S);
        assertThat(r.register(T0, A, RA, List.of(v4("192.168.1.2", 4000)))).isTrue();
        Registry.Registration reg = r.lookup(T0 + 60 * S - 1, A);
        assertThat(reg.key()).isEqualTo(A);
        assertThat(reg.reflexive()).isEqualTo(RA);
        assertThat(reg.locals()).containsExactly(v4("192.168.1.2", 4000));
        assertThat(reg.expiresAt()).isEqualTo(T0 + 60 * S);
        assertThat(r.lookup(T0 + 60 * S, A)).isNull();
        assertThat(r.lookup(T0, B)).isNull();
    }

    @Test
    void aRefreshPushesTheExpiryBackAndReplacesTheAddresses() {
        Registry r = new Registry(10, 60 * S);
        r.register(T0, A, RA, List.of(v4("192.168.1.2", 4000)));
        r.register(T0 + 50 * S, A, RB, List.of());
        Registry.Registration reg = r.lookup(T0 + 100 * S, A);
        assertThat(reg.reflexive()).isEqualTo(RB);
        assertThat(reg.locals()).isEmpty();
        assertThat(r.lookup(T0 + 110 * S, A)).isNull();
        assertThat(r.size()).isEqualTo(1);
    }

    @Test
    void handlesFindTheirKeyWhileItIsRegistered() {
        Registry r = new Registry(10, 60 * S);
        r.register(T0, A, RA, List.of());
        assertThat(r.lookupHandle(T0, A.handle()).key()).isEqualTo(A);
        assertThat(r.lookupHandle(T0, B.handle())).isNull();
        assertThat(r.lookupHandle(T0, (Inet6Address) MessagesTest.ip("2001:db8::1"))).isNull();
        assertThat(r.lookupHandle(T0 + 60 * S, A.handle())).isNull();
        // A handle that is equal but a different InetAddress instance (as decoded from the wire).
        Inet6Address decoded = (Inet6Address) MessagesTest.ip(A.handle().getHostAddress());
        assertThat(r.lookupHandle(T0, decoded).key()).isEqualTo(A);
    }

    @Test
    void expirePurgesInOrderOfLastRefreshAndNextExpiryFollows() {
        Registry r = new Registry(10, 60 * S);
        assertThat(r.nextExpiry()).isEqualTo(Long.MAX_VALUE);
        r.register(T0, A, RA, List.of());
        r.register(T0 + 10 * S, B, RB, List.of());
        assertThat(r.nextExpiry()).isEqualTo(T0 + 60 * S);
        r.register(T0 + 20 * S, A, RA, List.of()); // A now expires after B
        assertThat(r.nextExpiry()).isEqualTo(T0 + 70 * S);
        assertThat(r.expire(T0 + 70 * S - 1)).isZero();
        assertThat(r.expire(T0 + 70 * S)).isEqualTo(1);
        assertThat(r.lookupHandle(T0, B.handle())).isNull();
        assertThat(r.handleCount()).isEqualTo(1);
        assertThat(r.nextExpiry()).isEqualTo(T0 + 80 * S);
        assertThat(r.expire(T0 + 1000 * S)).isEqualTo(1);
        assertThat(r.size()).isZero();
        assertThat(r.handleCount()).isZero();
        assertThat(r.nextExpiry()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void whenFullANewKeyIsRefusedButKnownKeysRefreshAndExpiredOnesMakeRoom() {
        Registry r = new Registry(2, 60 * S);
        NodeId c = key(12);
        assertThat(r.register(T0, A, RA, List.of())).isTrue();
        assertThat(r.register(T0 + S, B, RB, List.of())).isTrue();
        assertThat(r.register(T0 + 2 * S, c, RA, List.of())).isFalse();
        assertThat(r.lookup(T0 + 2 * S, c)).isNull();
        assertThat(r.lookupHandle(T0 + 2 * S, c.handle())).isNull();
        assertThat(r.register(T0 + 3 * S, A, RB, List.of())).isTrue();
        // B expires at T0 + 61 s: then c fits, without anyone calling expire.
        assertThat(r.register(T0 + 61 * S, c, RA, List.of())).isTrue();
        assertThat(r.lookup(T0 + 61 * S, c)).isNotNull();
        assertThat(r.size()).isEqualTo(2);
    }

    @Test
    void aFloodOfFreshKeysCostsBoundedMemory() {
        Registry r = new Registry(1000, 60 * S);
        Random random = new Random(1);
        int accepted = 0;
        for (int i = 0; i < 100_000; i++) {
            byte[] k = new byte[32];
            random.nextBytes(k);
            if (r.register(T0 + i * 1000L, NodeId.of(k), RA, List.of(RB))) {
                accepted++;
            }
            assertThat(r.size()).isLessThanOrEqualTo(1000);
        }
        assertThat(accepted).isEqualTo(1000);
        assertThat(r.handleCount()).isEqualTo(1000);
        // Known keys still refresh; once the flood's entries expire, a new key gets in.
        assertThat(r.register(T0 + S, A, RA, List.of())).isFalse();
        assertThat(r.register(T0 + 61 * S, A, RA, List.of())).isTrue();
        assertThat(r.size()).isLessThanOrEqualTo(1000);
        assertThat(r.handleCount()).isEqualTo(r.size());
    }

    @Test
    void addressesAreReflexiveFirstThenDistinctLocalsAtMostSixteen() {
        List<InetSocketAddress> locals = new ArrayList<>();
        locals.add(RA);
        for (int i = 0; i < 20; i++) {
            locals.add(v6("fd00::" + (i + 1), 7000));
        }
        Registry r = new Registry(10, 60 * S);
        r.register(T0, A, RA, locals);
        Registry.Registration reg = r.lookup(T0, A);
        assertThat(reg.locals()).hasSize(16);
        List<InetSocketAddress> all = reg.addresses();
        assertThat(all).hasSize(16).doesNotHaveDuplicates();
        assertThat(all.get(0)).isEqualTo(RA);
        assertThat(all.get(1)).isEqualTo(v6("fd00::1", 7000));
    }

    @Test
    void removeForgetsTheKeyAndItsHandle() {
        Registry r = new Registry(10, 60 * S);
        r.register(T0, A, RA, List.of());
        assertThat(r.remove(A)).isTrue();
        assertThat(r.remove(A)).isFalse();
        assertThat(r.lookup(T0, A)).isNull();
        assertThat(r.lookupHandle(T0, A.handle())).isNull();
        assertThat(r.handleCount()).isZero();
    }

    @Test
    void anIpv4AddressIsNeverMistakenForAHandle() {
        Registry r = new Registry(10, 60 * S);
        r.register(T0, A, RA, List.of());
        InetAddress v4 = MessagesTest.ip("203.0.113.1");
        assertThat(NodeId.isHandle(v4)).isFalse();
    }
}
