package dev.overlay.compat.http;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The same exercise for every client app, against each base URL given on the command line:
 * <ol>
 *   <li>{@code POST /echo} of 1 MiB, then {@value #SMALL} small requests one after the other,
 *       at least one of which must arrive on a connection an earlier one used (the server's
 *       {@code X-Remote-Port} tells connections apart);
 *   <li>{@code GET /bytes} of 4 MiB, compared byte for byte with {@link Payload};
 *   <li>{@value #CONCURRENT} requests at once (echoes and downloads of 256 KiB).
 * </ol>
 * Every echo must come back identical with the server's {@code X-Sha256} equal to ours, and
 * every answer must carry the same {@code X-Remote}. Per base it prints
 * {@code OK <client> <base> requests=<n> bytes=<n> sha256=<4 MiB GET> remote=<X-Remote> ms=<n> phases=[<ms>, <ms>, <ms>]}
 * (the time for the base, and for its three steps) or
 * {@code FAIL <client> <base> <exception class>: <message>}; the JVM exits 0 only when every base
 * passed.
 */
public final class ClientRun {
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(20);
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    /** A bound on each request's future, above the client's own timeouts. */
    private static final Duration HARD_LIMIT = REQUEST_TIMEOUT.plusSeconds(30);
    public static final int BIG_POST = 1 << 20;
    public static final int BIG_GET = 4 << 20;
    public static final long GET_SEED = 4242;
    public static final int SMALL = 5;
    public static final int CONCURRENT = 8;
    /** The requests one base takes: the big echo, the small ones, the big download, the concurrent ones. */
    public static final int REQUESTS = 1 + SMALL + 1 + CONCURRENT;

    /** An answer as a client app received it; header names in lower case. */
    public record Reply(int status, Map<String, String> headers, byte[] body) {
        public Reply {
            Map<String, String> lower = new TreeMap<>();
            headers.forEach((k, v) -> lower.put(k.toLowerCase(Locale.ROOT), v));
            headers = lower;
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** Runs blocking calls on daemon threads, {@value #CONCURRENT} at once, for the blocking clients. */
    public static java.util.concurrent.ExecutorService blockingPool() {
        return java.util.concurrent.Executors.newFixedThreadPool(CONCURRENT, r -> {
            Thread t = new Thread(r, "request");
            t.setDaemon(true);
            return t;
        });
    }

    /** One HTTP client library, as the apps drive it. */
    public interface Client extends AutoCloseable {
        /** Sends {@code POST uri} with {@code body}, or {@code GET uri} when {@code body} is null. */
        CompletableFuture<Reply> send(URI uri, byte[] body);

        @Override
        void close() throws java.io.IOException;
    }

    private final String clientName;
    private final Client client;
    private long requests;
    private long bytes;
    private String remote;
    /** Milliseconds per phase: big echo + small requests, big download, concurrent requests. */
    private final List<Long> phases = new ArrayList<>();

    private ClientRun(String clientName, Client client) {
        this.clientName = clientName;
        this.client = client;
    }

    /** Runs the exercise with {@code client} against every base in {@code args}, then exits the JVM. */
    public static void run(String clientName, String[] args, Client client) {
        if (args.length == 0) {
            System.err.println("usage: " + clientName + " URL_BASE [URL_BASE...]");
            System.exit(2);
        }
        boolean allOk = true;
        try (client) {
            for (String base : args) {
                ClientRun run = new ClientRun(clientName, client);
                long start = System.nanoTime();
                try {
                    String sha = run.exercise(base.endsWith("/") ? base.substring(0, base.length() - 1) : base);
                    System.out.println("OK " + clientName + " " + base + " requests=" + run.requests + " bytes="
                            + run.bytes + " sha256=" + sha + " remote=" + run.remote + " ms="
                            + (System.nanoTime() - start) / 1_000_000 + " phases=" + run.phases);
                } catch (Throwable t) {
                    allOk = false;
                    System.out.println("FAIL " + clientName + " " + base + " " + describe(t));
                    t.printStackTrace();
                }
                System.out.flush();
            }
        } catch (Exception e) {
            System.out.println("FAIL " + clientName + " close " + describe(e));
            allOk = false;
        }
        System.out.flush();
        System.exit(allOk ? 0 : 1);
    }

    private String exercise(String base) throws Exception {
        long t0 = System.nanoTime();
        // 1 MiB up, then small requests that must reuse the connection.
        byte[] big = Payload.bytes(1, BIG_POST);
        Reply first = echo(base, big);
        List<String> ports = new ArrayList<>();
        ports.add(first.header("X-Remote-Port"));
        for (int i = 0; i < SMALL; i++) {
            Reply r = i % 2 == 0 ? echo(base, Payload.bytes(100 + i, 10 + i * 100)) : download(base, 200 + i, 1000 + i);
            ports.add(r.header("X-Remote-Port"));
        }
        // Asynchronous clients may return a connection to their pool just after completing the
        // answer, so the next request can race it and open another one; but keep-alive must
        // show: some request went on a connection an earlier one had used.
        check(!ports.contains(null) && new HashSet<>(ports).size() < ports.size(), "no connection was reused by "
                + ports.size() + " requests one after the other: the server saw remote ports " + ports);
        long t1 = System.nanoTime();
        // 4 MiB down.
        Reply get = download(base, GET_SEED, BIG_GET);
        String sha = Payload.sha256(get.body());
        long t2 = System.nanoTime();
        // Concurrent requests.
        List<CompletableFuture<Reply>> futures = new ArrayList<>();
        List<byte[]> expected = new ArrayList<>();
        for (int i = 0; i < CONCURRENT; i++) {
            byte[] want = Payload.bytes(300 + i, 256 << 10);
            expected.add(want);
            futures.add(i % 2 == 0 ? client.send(URI.create(base + "/echo"), want)
                    : client.send(URI.create(base + "/bytes?n=" + want.length + "&seed=" + (300 + i)), null));
        }
        for (int i = 0; i < CONCURRENT; i++) {
            Reply r = await(futures.get(i));
            boolean isEcho = i % 2 == 0;
            verify(r, expected.get(i), isEcho ? expected.get(i).length : 0, "concurrent " + (isEcho ? "echo " : "get ") + i);
        }
        long t3 = System.nanoTime();
        for (long[] span : new long[][] {{t0, t1}, {t1, t2}, {t2, t3}}) {
            phases.add((span[1] - span[0]) / 1_000_000);
        }
        return sha;
    }

    private Reply echo(String base, byte[] body) throws Exception {
        Reply r = await(client.send(URI.create(base + "/echo"), body));
        verify(r, body, body.length, "echo of " + body.length + " bytes");
        return r;
    }

    private Reply download(String base, long seed, int n) throws Exception {
        Reply r = await(client.send(URI.create(base + "/bytes?n=" + n + "&seed=" + seed), null));
        verify(r, Payload.bytes(seed, n), 0, "GET of " + n + " bytes");
        return r;
    }

    private void verify(Reply r, byte[] want, int sent, String what) {
        check(r.status() == 200, what + ": status " + r.status());
        check(r.body().length == want.length, what + ": " + r.body().length + " bytes, expected " + want.length);
        int at = java.util.Arrays.mismatch(r.body(), want);
        check(at < 0, what + ": byte " + at + " differs");
        if (sent > 0) {
            String sha = Payload.sha256(want);
            check(sha.equals(r.header("X-Sha256")), what + ": the server received SHA-256 " + r.header("X-Sha256")
                    + ", we sent " + sha);
        }
        String seen = r.header("X-Remote");
        check(seen != null, what + ": no X-Remote header");
        if (remote == null) {
            remote = seen;
        }
        check(remote.equals(seen), what + ": X-Remote " + seen + " differs from the first answer's " + remote);
        requests++;
        bytes += sent + r.body().length;
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalStateException(message);
        }
    }

    private static Reply await(CompletableFuture<Reply> f) throws Exception {
        try {
            return f.get(HARD_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new TimeoutException("no answer within " + HARD_LIMIT);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        }
    }

    /** {@code <class>: <message>}, unwrapping future wrappers and naming the causes. */
    static String describe(Throwable t) {
        while ((t instanceof ExecutionException || t instanceof CompletionException
                || t instanceof java.io.UncheckedIOException) && t.getCause() != null) {
            t = t.getCause();
        }
        StringBuilder sb = new StringBuilder(t.getClass().getName() + ": " + t.getMessage());
        Set<Throwable> seen = new HashSet<>();
        for (Throwable c = t.getCause(); c != null && seen.add(c); c = c.getCause()) {
            sb.append(" <- ").append(c.getClass().getName()).append(": ").append(c.getMessage());
        }
        return sb.toString().replace('\n', ' ').replace('\r', ' ');
    }
}
