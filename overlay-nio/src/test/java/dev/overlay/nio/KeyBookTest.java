package dev.overlay.nio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.overlay.identity.Identity;
import dev.overlay.identity.NodeId;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeyBookTest {
    private static NodeId key() {
        return Identity.generate(new SecureRandom()).id();
    }

    @Test
    void configuredKeysStayAndLearnedOnesAreBoundedLeastRecentlyUsedFirst() throws Exception {
        NodeId configured = key();
        KeyBook book = new KeyBook(List.of(configured), 3);
        List<NodeId> learned = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            learned.add(key());
        }
        book.learn(learned.get(0));
        book.learn(learned.get(1));
        book.learn(learned.get(2));
        assertThat(book.lookup(learned.get(0).handle())).isEqualTo(learned.get(0)); // now most recently used
        book.learn(learned.get(3)); // evicts learned[1], the least recently used
        book.learn(configured); // no effect: configured keys are not counted

        assertThat(book.learnedSize()).isEqualTo(3);
        assertThat(book.lookup(configured.handle())).isEqualTo(configured);
        assertThat(book.lookup(learned.get(0).handle())).isEqualTo(learned.get(0));
        assertThat(book.lookup(learned.get(1).handle())).isNull();
        assertThat(book.lookup(learned.get(2).handle())).isEqualTo(learned.get(2));
        assertThat(book.lookup(learned.get(3).handle())).isEqualTo(learned.get(3));
    }

    @Test
    void looksUpByAddressBitsWhateverHostNameTheAddressCarries() throws Exception {
        NodeId k = key();
        KeyBook book = new KeyBook(List.of(), 10);
        book.learn(k);
        InetAddress named = InetAddress.getByAddress("db.overlay", k.handle().getAddress());
        assertThat(book.lookup(named)).isEqualTo(k);
        assertThat(book.lookup(InetAddress.getLoopbackAddress())).isNull();
        assertThat(book.lookup(null)).isNull();
    }
}
