package dev.overlay.rendezvous;

import static dev.overlay.rendezvous.MessagesTest.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;

/** Token buckets per source, with a fake clock. */
class SourceLimiterTest {
    private static final long S = 1_000_000_000L;
    private static final long MS = 1_000_000L;
    private static final InetAddress X = ip("198.51.100.1");
    private static final InetAddress Y = ip("198.51.100.2");

    @Test
    void aNewSourceHasItsBurstThenGetsTheRate() {
        SourceLimiter l = new SourceLimiter(2, 5);
        for (int i = 0; i < 5; i++) {
            assertThat(l.allow(0, X)).as("burst " + i).isTrue();
        }
        assertThat(l.allow(0, X)).isFalse();
        assertThat(l.allow(499 * MS, X)).isFalse();
        assertThat(l.allow(500 * MS, X)).isTrue();
        assertThat(l.allow(500 * MS, X)).isFalse();
        // Ten idle seconds refill to the burst, not beyond.
        long t = 10 * S;
        int allowed = 0;
        while (l.allow(t, X)) {
            allowed++;
        }
        assertThat(allowed).isEqualTo(5);
    }

    @Test
    void sourcesHaveSeparateBuckets() {
        SourceLimiter l = new SourceLimiter(1, 1);
        assertThat(l.allow(0, X)).isTrue();
        assertThat(l.allow(0, X)).isFalse();
        assertThat(l.allow(0, Y)).isTrue();
        assertThat(l.size()).isEqualTo(2);
    }

    @Test
    void anIpv6Slash64IsOneSource() {
        SourceLimiter l = new SourceLimiter(1, 1);
        assertThat(l.allow(0, ip("2001:db8:1:2::1"))).isTrue();
        assertThat(l.allow(0, ip("2001:db8:1:2:ffff::9"))).isFalse();
        assertThat(l.allow(0, ip("2001:db8:1:3::1"))).isTrue();
    }

    @Test
    void anIpv4MappedIpv6AddressCountsAsItsIpv4Address() throws UnknownHostException {
        SourceLimiter l = new SourceLimiter(1, 1);
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        System.arraycopy(X.getAddress(), 0, mapped, 12, 4);
        InetAddress m = Inet6Address.getByAddress(null, mapped, -1);
        assertThat(l.allow(0, X)).isTrue();
        assertThat(l.allow(0, m)).isFalse();
    }

    @Test
    void costsSpendSeveralUnitsAndOverBurstIsNeverAllowed() {
        SourceLimiter l = new SourceLimiter(1000, 1500);
        assertThat(l.allow(0, X, 1000)).isTrue();
        assertThat(l.allow(0, X, 1000)).isFalse(); // nothing spent on a refusal
        assertThat(l.allow(0, X, 500)).isTrue();
        assertThat(l.allow(S, X, 1000)).isTrue();
        assertThat(l.allow(100 * S, X, 1501)).isFalse();
    }

    @Test
    void aZeroRateNeverRefills() {
        SourceLimiter l = new SourceLimiter(0, 2);
        assertThat(l.allow(0, X)).isTrue();
        assertThat(l.allow(0, X)).isTrue();
        assertThat(l.allow(1000 * S, X)).isFalse();
    }

    @Test
    void aClockGoingBackwardsGivesNothing() {
        SourceLimiter l = new SourceLimiter(1, 1);
        assertThat(l.allow(10 * S, X)).isTrue();
        assertThat(l.allow(5 * S, X)).isFalse();
        assertThat(l.allow(10 * S, X)).isFalse();
        assertThat(l.allow(11 * S, X)).isTrue();
    }

    @Test
    void theTableIsBoundedAndForgetsTheLeastRecentlyUsedSource() throws UnknownHostException {
        SourceLimiter l = new SourceLimiter(1, 1, 100);
        assertThat(l.allow(0, X)).isTrue();
        for (int i = 0; i < 100_000; i++) {
            InetAddress a = InetAddress.getByAddress(new byte[] {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i});
            l.allow(0, a);
            if (i % 50 == 0) {
                assertThat(l.allow(0, X)).isFalse(); // touched often: X is never evicted
            }
            assertThat(l.size()).isLessThanOrEqualTo(100);
        }
        assertThat(l.evicted()).isGreaterThanOrEqualTo(100_000 - 99);
        assertThat(l.allow(0, X)).isFalse();
    }

    @Test
    void badParametersAreRefused() {
        assertThatThrownBy(() -> new SourceLimiter(-1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SourceLimiter(Double.NaN, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SourceLimiter(1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SourceLimiter(1, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
