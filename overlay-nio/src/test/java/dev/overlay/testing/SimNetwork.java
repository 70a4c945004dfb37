package dev.overlay.testing;

import dev.overlay.identity.Identity;
import dev.overlay.identity.NodeId;
import dev.overlay.session.Device;
import dev.overlay.session.DeviceConfig;
import dev.overlay.session.Outbox;
import dev.overlay.session.SessionEvent;
import dev.overlay.stream.StreamConfig;
import dev.overlay.stream.StreamLayer;
import dev.overlay.wire.frame.FrameWriter;
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
    private final PriorityQueue<Timed> actions = new PriorityQueue<>();
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
        return host(hostNumber, identity, config, StreamConfig.DEFAULTS, seed);
    }

    /** As {@link #host(int, Identity, DeviceConfig, long)}, with a stream layer tuned by {@code streams}. */
    public Host host(int hostNumber, Identity identity, DeviceConfig config, StreamConfig streams, long seed) {
        InetSocketAddress addr = new InetSocketAddress("192.0.2." + hostNumber, 51820);
        long epochOffset = 1_700_000_000_000_000_000L + sequence * 1_000_000_000L;
        Host h = new Host(addr, new Device(identity, config, new DeterministicRandom(seed), epochOffset),
                streams, epochOffset);
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

    /** Runs {@code action} at simulated time {@code at} exactly (to switch faults on and off). */
    public void at(long at, Runnable action) {
        actions.add(new Timed(at, sequence++, action));
    }

    private record Timed(long at, long seq, Runnable action) implements Comparable<Timed> {
        @Override
        public int compareTo(Timed o) {
            int c = Long.compare(at, o.at);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
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
                throw new IllegalStateException("no progress at t=" + now + ": a deadline never clears\n" + describe());
            }
            now = Math.max(now, next);
            step();
        }
        return true;
    }

    /** Every host's deadlines and stream state, for failure messages. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        for (Host h : hosts.values()) {
            b.append(h.address).append(" device deadline ").append(h.device.nextDeadline() - now)
                    .append(" streams deadline ").append(h.streams.nextDeadline(now) - now).append('\n')
                    .append(h.streams.describe(now));
        }
        return b.toString();
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
        if (!actions.isEmpty()) {
            t = Math.min(t, actions.peek().at);
        }
        for (Host h : hosts.values()) {
            t = Math.min(t, h.device.nextDeadline());
            t = Math.min(t, h.streams.nextDeadline(now));
        }
        return t;
    }

    private void step() {
        while (!actions.isEmpty() && actions.peek().at <= now) {
            actions.poll().action().run();
        }
        while (!inFlight.isEmpty() && inFlight.peek().at <= now) {
            InFlight f = inFlight.poll();
            Host h = hosts.get(f.to);
            if (h != null) {
                h.device.receive(now, f.from, ByteBuffer.wrap(f.bytes), h);
            }
        }
        for (Host h : new ArrayList<>(hosts.values())) {
            h.streams.serviceQueued(now);
            h.device.onTimer(now, h);
            h.streams.onTimer(now);
            h.streams.flush(now);
            h.streams.signalPending();
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
        public final StreamLayer streams;
        /** Keep every sent datagram in {@link #sent} (off for bulk transfers). */
        public boolean recordSent = true;

        Host(InetSocketAddress address, Device device, StreamConfig streamConfig, long epochOffset) {
            this.address = address;
            this.device = device;
            // An application's request for service wakes the simulated loop, as it wakes the
            // selector of a real node: an immediate event, so the next step runs it.
            this.streams = new StreamLayer(device.self(), streamConfig,
                    (t, to, payload) -> device.send(t, to, payload, this), () -> at(now, () -> { }), epochOffset);
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
            if (recordSent) {
                sent.add(bytes);
            }
            for (FaultInjector.Delivery d : faults.apply(bytes)) {
                inFlight.add(new InFlight(now + d.delayNanos(), sequence++, address, to, d.bytes()));
            }
        }

        @Override
        public void deliver(NodeId from, ByteBuffer payload) {
            if (payload.hasRemaining() && payload.get(payload.position()) == FrameWriter.PACKET_MARKER) {
                streams.onPacket(now, from, payload);
                return;
            }
            byte[] bytes = new byte[payload.remaining()];
            payload.get(bytes);
            delivered.add(bytes);
            deliveredFrom.add(from);
        }

        @Override
        public void event(SessionEvent event) {
            events.add(event);
            if (event.kind() == SessionEvent.Kind.PATH_CHANGED) {
                streams.pathChanged(now, event.peer());
            }
        }
    }
}
