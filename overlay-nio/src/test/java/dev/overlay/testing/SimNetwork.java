package dev.overlay.testing;

import dev.overlay.identity.Identity;
import dev.overlay.identity.NodeId;
import dev.overlay.session.Device;
import dev.overlay.session.DeviceConfig;
import dev.overlay.session.Outbox;
import dev.overlay.session.SessionEvent;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.BooleanSupplier;

/**
 * A discrete-event simulation of devices joined by an in-memory, faulty UDP network. Time is
 * simulated: {@link #runUntil} jumps straight to the next packet arrival or device deadline, so a
 * test covering minutes of protocol time runs in milliseconds and is exactly repeatable.
 */
public final class SimNetwork {
    private final FaultInjector faults;
    private final Map<InetSocketAddress, Host> hosts = new HashMap<>();
    private final PriorityQueue<InFlight> inFlight = new PriorityQueue<>();
    private long now;
    private long sequence;

    public SimNetwork(FaultInjector faults) {
        this.faults = faults;
    }

    public long now() {
        return now;
    }

    public FaultInjector faults() {
        return faults;
    }

    /** Adds a device for {@code identity} listening at 192.0.2.{hostNumber}:51820. */
    public Host host(int hostNumber, Identity identity, DeviceConfig config, long seed) {
        InetSocketAddress addr = new InetSocketAddress("192.0.2." + hostNumber, 51820);
        Host h = new Host(addr, new Device(identity, config, new DeterministicRandom(seed), 1_700_000_000_000_000_000L));
        hosts.put(addr, h);
        return h;
    }

    /** Removes a host: datagrams to its address vanish from now on. */
    public void remove(Host h) {
        hosts.remove(h.address);
    }

    /** Moves a host to a new address (a roaming laptop, a NAT rebinding). */
    public void move(Host h, InetSocketAddress to) {
        hosts.remove(h.address);
        h.address = to;
        hosts.put(to, h);
    }

    /** Puts a raw datagram on the wire from {@code from} to {@code to}, bypassing faults. */
    public void inject(InetSocketAddress from, InetSocketAddress to, byte[] datagram) {
        inFlight.add(new InFlight(now, sequence++, from, to, datagram.clone()));
    }

    /**
     * Runs events until {@code done} holds or {@code limit} of simulated time has passed.
     *
     * @return whether {@code done} held
     */
    public boolean runUntil(BooleanSupplier done, Duration limit) {
        long end = now + limit.toNanos();
        int stepsAtThisInstant = 0;
        while (!done.getAsBoolean()) {
            long next = nextEventTime();
            if (next > end) {
                now = end;
                return done.getAsBoolean();
            }
            stepsAtThisInstant = next > now ? 0 : stepsAtThisInstant + 1;
            if (stepsAtThisInstant > 100_000) {
                throw new IllegalStateException("no progress at t=" + now + ": a deadline never clears");
            }
            now = Math.max(now, next);
            step();
        }
        return true;
    }

    /** Advances simulated time by {@code d}, running everything due on the way. */
    public void advance(Duration d) {
        runUntil(() -> false, d);
    }

    private long nextEventTime() {
        long t = Long.MAX_VALUE;
        if (!inFlight.isEmpty()) {
            t = inFlight.peek().at;
        }
        for (Host h : hosts.values()) {
            t = Math.min(t, h.device.nextDeadline());
        }
        return t;
    }

    private void step() {
        while (!inFlight.isEmpty() && inFlight.peek().at <= now) {
            InFlight f = inFlight.poll();
            Host h = hosts.get(f.to);
            if (h != null) {
                h.device.receive(now, f.from, ByteBuffer.wrap(f.bytes), h);
            }
        }
        for (Host h : new ArrayList<>(hosts.values())) {
            h.device.onTimer(now, h);
        }
    }

    private record InFlight(long at, long seq, InetSocketAddress from, InetSocketAddress to, byte[] bytes)
            implements Comparable<InFlight> {
        @Override
        public int compareTo(InFlight o) {
            int c = Long.compare(at, o.at);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    /** One simulated node: a device, its address, and everything it delivered. */
    public final class Host implements Outbox {
        public InetSocketAddress address;
        public final Device device;
        public final List<byte[]> delivered = new ArrayList<>();
        public final List<NodeId> deliveredFrom = new ArrayList<>();
        public final List<SessionEvent> events = new ArrayList<>();
        public final List<byte[]> sent = new ArrayList<>();

        Host(InetSocketAddress address, Device device) {
            this.address = address;
            this.device = device;
        }

        /** Sends {@code payload} to {@code to} now. */
        public Device.SendResult send(NodeId to, byte[] payload) {
            return device.send(now, to, ByteBuffer.wrap(payload), this);
        }

        public long eventCount(SessionEvent.Kind kind) {
            return events.stream().filter(e -> e.kind() == kind).count();
        }

        @Override
        public void transmit(InetSocketAddress to, ByteBuffer datagram) {
            byte[] bytes = new byte[datagram.remaining()];
            datagram.duplicate().get(bytes);
            sent.add(bytes);
            for (FaultInjector.Delivery d : faults.apply(bytes)) {
                inFlight.add(new InFlight(now + d.delayNanos(), sequence++, address, to, d.bytes()));
            }
        }

        @Override
        public void deliver(NodeId from, ByteBuffer payload) {
            byte[] bytes = new byte[payload.remaining()];
            payload.get(bytes);
            delivered.add(bytes);
            deliveredFrom.add(from);
        }

        @Override
        public void event(SessionEvent event) {
            events.add(event);
        }
    }
}
