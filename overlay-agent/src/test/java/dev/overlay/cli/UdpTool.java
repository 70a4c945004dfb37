package dev.overlay.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A tiny UDP tool for the NAT lab, run in a network namespace by {@link OverlayProcess#mainIn}.
 * Addresses are {@code HOST:PORT}; every mode ends on its own within {@link #LIFETIME_MS}.
 *
 * <ul>
 *   <li>{@code reflect ADDR...}: answers each datagram with {@code seen SOURCE TEXT}, the source
 *       address it saw and the text it got (a STUN binding request in miniature); prints
 *       {@code reflecting ADDR} per socket once bound.
 *   <li>{@code probe LOCAL R...}: from one socket bound to LOCAL asks each reflector in turn and
 *       prints {@code mapped R SOURCE} (how R saw us), or {@code no answer from R} and exits 1.
 *   <li>{@code socket LOCAL}: prints {@code bound ADDR}, then {@code got FROM TEXT} for every
 *       datagram; stdin lines {@code send TO TEXT} send one (printing {@code sent TO TEXT}),
 *       {@code quit} or end of input stop it.
 *   <li>{@code send LOCAL TO TEXT}: sends one datagram and prints {@code sent TO TEXT}.
 * </ul>
 */
public final class UdpTool {
    /** No mode runs longer than this, whatever the test does. */
    static final long LIFETIME_MS = 300_000;
    private static final int MAX_DATAGRAMS = 100_000;
    private static final int PROBE_TRIES = 5;
    private static final int PROBE_WAIT_MS = 400;

    private UdpTool() {}

    public static void main(String[] args) throws Exception {
        new java.util.Timer("udptool-lifetime", true).schedule(new java.util.TimerTask() {
            @Override
            public void run() {
                System.out.println("lifetime over");
                System.exit(3);
            }
        }, LIFETIME_MS);
        switch (args[0]) {
            case "reflect" -> reflect(List.of(args).subList(1, args.length));
            case "probe" -> System.exit(probe(parse(args[1]), List.of(args).subList(2, args.length)));
            case "socket" -> socket(parse(args[1]));
            case "send" -> send(parse(args[1]), parse(args[2]), args[3]);
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
        System.exit(0);
    }

    static InetSocketAddress parse(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    static String format(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    private static String text(DatagramPacket p) {
        return new String(p.getData(), p.getOffset(), p.getLength(), StandardCharsets.UTF_8);
    }

    private static void transmit(DatagramSocket s, InetSocketAddress to, String text) throws Exception {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        s.send(new DatagramPacket(b, b.length, to));
    }

    private static void reflect(List<String> addresses) throws Exception {
        List<Thread> threads = new ArrayList<>();
        for (String a : addresses) {
            DatagramSocket s = new DatagramSocket(parse(a));
            System.out.println("reflecting " + format((InetSocketAddress) s.getLocalSocketAddress()));
            Thread t = new Thread(() -> {
                byte[] buf = new byte[2048];
                try (s) {
                    for (int i = 0; i < MAX_DATAGRAMS; i++) {
                        DatagramPacket p = new DatagramPacket(buf, buf.length);
                        s.receive(p);
                        InetSocketAddress from = (InetSocketAddress) p.getSocketAddress();
                        transmit(s, from, "seen " + format(from) + " " + text(p));
                    }
                } catch (Exception e) {
                    System.out.println("reflector " + a + " stopped: " + e);
                }
            }, "reflect " + a);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join(LIFETIME_MS);
        }
    }

    private static int probe(InetSocketAddress local, List<String> reflectors) throws Exception {
        try (DatagramSocket s = new DatagramSocket(local)) {
            System.out.println("local " + format((InetSocketAddress) s.getLocalSocketAddress()));
            s.setSoTimeout(PROBE_WAIT_MS);
            byte[] buf = new byte[2048];
            for (String r : reflectors) {
                InetSocketAddress to = parse(r);
                String mapped = null;
                for (int attempt = 0; attempt < PROBE_TRIES && mapped == null; attempt++) {
                    String token = "probe-" + attempt;
                    transmit(s, to, token);
                    // Read until this reflector's answer to this attempt, or the wait runs out.
                    long end = System.nanoTime() + PROBE_WAIT_MS * 1_000_000L;
                    for (int i = 0; i < 64 && mapped == null && System.nanoTime() < end; i++) {
                        DatagramPacket p = new DatagramPacket(buf, buf.length);
                        try {
                            s.receive(p);
                        } catch (SocketTimeoutException e) {
                            break;
                        }
                        String[] words = text(p).split(" ");
                        if (p.getSocketAddress().equals(to) && words.length == 3 && words[0].equals("seen")
                                && words[2].equals(token)) {
                            mapped = words[1];
                        }
                    }
                }
                if (mapped == null) {
                    System.out.println("no answer from " + r);
                    return 1;
                }
                System.out.println("mapped " + r + " " + mapped);
            }
            return 0;
        }
    }

    private static void socket(InetSocketAddress local) throws Exception {
        DatagramSocket s = new DatagramSocket(local);
        System.out.println("bound " + format((InetSocketAddress) s.getLocalSocketAddress()));
        Thread receiver = new Thread(() -> {
            byte[] buf = new byte[2048];
            try {
                for (int i = 0; i < MAX_DATAGRAMS; i++) {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    s.receive(p);
                    System.out.println("got " + format((InetSocketAddress) p.getSocketAddress()) + " " + text(p));
                }
            } catch (Exception e) {
                // socket closed: done
            }
        }, "udptool-receive");
        receiver.setDaemon(true);
        receiver.start();
        try (s; BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            for (int i = 0; i < MAX_DATAGRAMS && (line = in.readLine()) != null && !line.equals("quit"); i++) {
                String[] words = line.split(" ", 3);
                if (words.length == 3 && words[0].equals("send")) {
                    transmit(s, parse(words[1]), words[2]);
                    System.out.println("sent " + words[1] + " " + words[2]);
                } else {
                    System.out.println("bad command: " + line);
                }
            }
        }
    }

    private static void send(InetSocketAddress local, InetSocketAddress to, String text) throws Exception {
        try (DatagramSocket s = new DatagramSocket(local)) {
            transmit(s, to, text);
            System.out.println("sent " + format(to) + " " + text);
        }
    }
}
