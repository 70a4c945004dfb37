package dev.overlay.session;

import dev.overlay.identity.Identity;
import dev.overlay.identity.NodeId;
import dev.overlay.testing.DeterministicRandom;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Predicate;

/**
 * A small network for path tests, on a fake clock: hosts with public addresses, optionally behind
 * a symmetric NAT, and one rendezvous that relays sealed datagrams by key (its session with each
 * host is not simulated: {@link Outbox#relay} calls go straight to the other device's
 * {@link Device#receiveRelayed}). Every datagram is recorded with its send time.
 */
final class PathLab {
    static final long MS = 1_000_000L;
    static final NodeId RELAY = Identity.generate(new DeterministicRandom(999)).id();
    static final InetSocketAddress RELAY_ADDRESS = new InetSocketAddress("203.0.113.1", 7000);
    /** A sealed PATH_CHALLENGE or PATH_RESPONSE: transport header, kind, 8 bytes, tag. */
    static final int PROBE_DATAGRAM = 16 + 9 + 16;

    long now;
    long directLatency = 10 * MS;
    long relayLatency = 30 * MS;
    /** Direct datagrams for which this holds are lost (relayed ones are never lost). */
    Predicate<Datagram> drop = d -> false;
    private final List<Host> hosts = new ArrayList<>();
    private final PriorityQueue<Arrival> arrivals = new PriorityQueue<>();
    private long sequence;

    /** One datagram on the wire: {@code source} is its (translated) source address. */
    record Datagram(Host sender, InetSocketAddress source, InetSocketAddress to, byte[] bytes, long at) {
        int length() {
            return bytes.length;
        }
    }

    private record Arrival(long at, long seq, Runnable action) implements Comparable<Arrival> {
        @Override
        public int compareTo(Arrival o) {
            int c = Long.compare(at, o.at);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    Host host(String name, String address, long seed) {
        return host(name, address, seed, DeviceConfig.DEFAULTS);
    }

    Host host(String name, String address, long seed, DeviceConfig config) {
        Host h = new Host(name, parse(address),
                new Device(Identity.generate(new DeterministicRandom(seed)), config, new DeterministicRandom(seed), 0));
        hosts.add(h);
        return h;
    }

    static InetSocketAddress parse(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /** Runs arrivals and device timers for {@code d} of simulated time. */
    void run(Duration d) {
        long end = now + d.toNanos();
        int stepsAtThisInstant = 0;
        while (true) {
            long next = arrivals.isEmpty() ? Long.MAX_VALUE : arrivals.peek().at;
            for (Host h : hosts) {
                next = Math.min(next, h.device.nextDeadline());
            }
            if (next > end) {
                break;
            }
            stepsAtThisInstant = next > now ? 0 : stepsAtThisInstant + 1;
            if (stepsAtThisInstant > 10_000) {
                throw new IllegalStateException("no progress at t=" + now + ": a deadline never clears");
            }
            now = Math.max(now, next);
            while (!arrivals.isEmpty() && arrivals.peek().at <= now) {
                arrivals.poll().action.run();
            }
            for (Host h : hosts) {
                h.device.onTimer(now, h);
            }
        }
        now = end;
    }

    void run(long millis) {
        run(Duration.ofMillis(millis));
    }

    private Host byId(NodeId id) {
        for (Host h : hosts) {
            if (h.device.self().equals(id)) {
                return h;
            }
        }
        return null;
    }

    /** The host that accepts a datagram from {@code source} to {@code to}, or null (no such host, or filtered). */
    private Host receiver(InetSocketAddress source, InetSocketAddress to) {
        for (Host h : hosts) {
            if (h.symmetric ? to.equals(h.mappings.get(source)) : to.equals(h.address)) {
                return h;
            }
        }
        return null;
    }

    private void at(long at, Runnable action) {
        arrivals.add(new Arrival(at, sequence++, action));
    }

    final class Host implements Outbox {
        final String name;
        final Device device;
        /** The public address; behind a symmetric NAT, the IP its mappings use. */
        InetSocketAddress address;
        /**
         * Behind a symmetric NAT: every destination gets its own public port, and only that
         * destination may send to it.
         */
        boolean symmetric;
        final Map<InetSocketAddress, InetSocketAddress> mappings = new HashMap<>();
        private int nextPort = 40000;
        final List<Datagram> sent = new ArrayList<>();
        /** Sealed datagrams handed to the relay. */
        final List<byte[]> relayed = new ArrayList<>();
        final List<String> delivered = new ArrayList<>();
        final List<Path> deliveredVia = new ArrayList<>();
        final List<SessionEvent> events = new ArrayList<>();

        Host(String name, InetSocketAddress address, Device device) {
            this.name = name;
            this.address = address;
            this.device = device;
        }

        NodeId id() {
            return device.self();
        }

        /** Puts this host behind a symmetric NAT; its mapping toward the rendezvous (its reflexive address) is returned. */
        InetSocketAddress behindSymmetricNat() {
            symmetric = true;
            return source(RELAY_ADDRESS);
        }

        private InetSocketAddress source(InetSocketAddress to) {
            if (!symmetric) {
                return address;
            }
            return mappings.computeIfAbsent(to, k -> new InetSocketAddress(address.getAddress(), nextPort++));
        }

        Device.SendResult send(Host to, String payload) {
            return device.send(now, to.id(), ByteBuffer.wrap(payload.getBytes(StandardCharsets.UTF_8)), this);
        }

        Device.SendResult sendBytes(Host to, byte[] payload) {
            return device.send(now, to.id(), ByteBuffer.wrap(payload), this);
        }

        PeerStatus status(Host peer) {
            return device.peerStatus(peer.id());
        }

        /** Bytes sent straight to {@code to} since {@code since} (simulated nanoseconds). */
        long bytesSentTo(InetSocketAddress to, long since) {
            return sent.stream().filter(d -> d.to.equals(to) && d.at >= since).mapToLong(Datagram::length).sum();
        }

        List<Datagram> sentTo(InetSocketAddress to) {
            return sent.stream().filter(d -> d.to.equals(to)).toList();
        }

        long initiationsSent() {
            return sent.stream().filter(d -> d.bytes[0] == 1).count()
                    + relayed.stream().filter(b -> b[0] == 1).count();
        }

        long eventCount(SessionEvent.Kind kind) {
            return events.stream().filter(e -> e.kind() == kind).count();
        }

        List<SessionEvent> events(SessionEvent.Kind kind) {
            return events.stream().filter(e -> e.kind() == kind).toList();
        }

        /**
         * PATH_CHANGED events after the first, which only reports the session's first path: the
         * moves from one path to another.
         */
        List<SessionEvent> pathChanges() {
            List<SessionEvent> all = events(SessionEvent.Kind.PATH_CHANGED);
            return all.isEmpty() ? all : all.subList(1, all.size());
        }

        @Override
        public void transmit(InetSocketAddress to, ByteBuffer datagram) {
            byte[] bytes = new byte[datagram.remaining()];
            datagram.get(bytes); // consume it, as a real socket does
            Datagram d = new Datagram(this, source(to), to, bytes, now);
            sent.add(d);
            if (drop.test(d)) {
                return;
            }
            at(now + directLatency, () -> {
                Host h = receiver(d.source, d.to);
                if (h != null) {
                    h.device.receive(now, d.source, ByteBuffer.wrap(d.bytes.clone()), h);
                }
            });
        }

        @Override
        public void relay(NodeId relay, NodeId to, ByteBuffer datagram) {
            byte[] bytes = new byte[datagram.remaining()];
            datagram.get(bytes);
            relayed.add(bytes);
            Host h = byId(to);
            if (h != null && relay.equals(RELAY)) {
                at(now + relayLatency, () -> h.device.receiveRelayed(now, RELAY, RELAY_ADDRESS, ByteBuffer.wrap(bytes), h));
            }
        }

        @Override
        public void deliver(NodeId from, ByteBuffer payload) {
            throw new AssertionError("the device must say which path a payload came over");
        }

        @Override
        public void deliver(NodeId from, Path via, ByteBuffer payload) {
            byte[] b = new byte[payload.remaining()];
            payload.get(b);
            delivered.add(new String(b, StandardCharsets.UTF_8));
            deliveredVia.add(via);
        }

        @Override
        public void event(SessionEvent event) {
            events.add(event);
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
