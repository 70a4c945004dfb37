package dev.overlay.compat.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisPoolConfig;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.Transaction;

/**
 * Jedis, unchanged, against a Redis server: binary SET/GET of values from 1 byte to 4 MiB read
 * back equal, 10,000 keys written with MSET and read with MGET, a pipeline of 10,000 commands,
 * MULTI/EXEC, publish/subscribe, and a {@link JedisPool} used by 8 threads at once.
 *
 * <p>Arguments: {@code HOST PORT}. Prints {@code OK ...} lines, {@code DONE}; on failure
 * {@code FAIL <step>: <cause>} and exit status 1.
 */
public final class JedisApp {
    private static final String P = "jedis:";

    private JedisApp() {}

    public static void main(String[] args) {
        if (args.length != 2) {
            System.out.println("usage: JedisApp HOST PORT");
            System.exit(2);
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        String step = "connect";
        try (Jedis jedis = new Jedis(host, port, 10_000)) {
            expect("PING", "PONG", jedis.ping());
            System.out.println("OK connect redis_version=" + field(jedis.info("server"), "redis_version"));
            step = "values";
            values(jedis);
            step = "keys";
            manyKeys(jedis);
            step = "pipeline";
            pipeline(jedis);
            step = "multi";
            multi(jedis);
            step = "pubsub";
            pubsub(host, port, jedis);
            step = "pool";
            pool(host, port);
            System.out.println("DONE");
        } catch (Throwable e) {
            fail(step, e);
        }
    }

    private static void values(Jedis jedis) throws Exception {
        int[] sizes = {1, 1000, 65_536, 1024 * 1024, 4 * 1024 * 1024};
        long start = System.nanoTime();
        long total = 0;
        for (int size : sizes) {
            byte[] value = new byte[size];
            new SplittableRandom(size).nextBytes(value);
            byte[] key = (P + "value:" + size).getBytes(StandardCharsets.UTF_8);
            expect("SET " + size, "OK", jedis.set(key, value));
            byte[] back = jedis.get(key);
            expect("length of GET " + size, size, back.length);
            expect("SHA-256 of GET " + size, sha(value), sha(back));
            expect("STRLEN " + size, (long) size, jedis.strlen(key));
            total += 2L * size;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("OK values sizes=%d..%d equal bytes=%d MB/s=%.1f%n", sizes[0], sizes[sizes.length - 1], total,
                total / 1e6 / seconds);
    }

    private static void manyKeys(Jedis jedis) {
        int n = 10_000;
        String[] kv = new String[2 * n];
        String[] keys = new String[n];
        for (int i = 0; i < n; i++) {
            keys[i] = P + "k:" + i;
            kv[2 * i] = keys[i];
            kv[2 * i + 1] = "v" + i * 31;
        }
        expect("MSET", "OK", jedis.mset(kv));
        List<String> back = jedis.mget(keys);
        for (int i = 0; i < n; i++) {
            expect("MGET " + keys[i], "v" + i * 31, back.get(i));
        }
        expect("EXISTS of all keys", (long) n, jedis.exists(keys));
        System.out.println("OK keys n=" + n + " mget-equal");
    }

    private static void pipeline(Jedis jedis) {
        int n = 10_000;
        jedis.del(P + "counter");
        Pipeline p = jedis.pipelined();
        List<Response<Long>> incr = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            incr.add(p.incrBy(P + "counter", i));
            p.hset(P + "hash", "f" + i, Integer.toString(i));
        }
        Response<String> last = p.get(P + "counter");
        p.sync();
        long sum = 0;
        for (int i = 0; i < n; i++) {
            sum += i;
            expect("pipelined INCRBY result " + i, sum, incr.get(i).get());
        }
        expect("counter after the pipeline", Long.toString(sum), last.get());
        expect("HLEN", (long) n, jedis.hlen(P + "hash"));
        expect("HGET f1234", "1234", jedis.hget(P + "hash", "f1234"));
        System.out.println("OK pipeline commands=" + 2 * n + " counter=" + sum);
    }

    private static void multi(Jedis jedis) {
        jedis.del(P + "tx:a", P + "tx:b");
        Transaction t = jedis.multi();
        t.set(P + "tx:a", "1");
        t.incrBy(P + "tx:a", 41);
        t.rpush(P + "tx:b", "x", "y", "z");
        List<Object> results = t.exec();
        expect("EXEC results", 3, results.size());
        expect("INCRBY in MULTI", 42L, results.get(1));
        expect("RPUSH in MULTI", 3L, results.get(2));
        expect("value after EXEC", "42", jedis.get(P + "tx:a"));
        Transaction d = jedis.multi();
        d.set(P + "tx:a", "discarded");
        expect("DISCARD", "OK", d.discard());
        expect("value after DISCARD", "42", jedis.get(P + "tx:a"));
        System.out.println("OK multi exec-applied discard-dropped");
    }

    private static void pubsub(String host, int port, Jedis publisher) throws Exception {
        int n = 200;
        List<String> received = new ArrayList<>();
        CountDownLatch subscribed = new CountDownLatch(1);
        CountDownLatch all = new CountDownLatch(n);
        JedisPubSub listener = new JedisPubSub() {
            @Override
            public void onSubscribe(String channel, int count) {
                subscribed.countDown();
            }

            @Override
            public void onMessage(String channel, String message) {
                synchronized (received) {
                    received.add(message);
                }
                all.countDown();
                if (all.getCount() == 0) {
                    unsubscribe();
                }
            }
        };
        ExecutorService ex = Executors.newSingleThreadExecutor();
        try (Jedis subscriber = new Jedis(host, port, 10_000)) {
            Future<?> loop = ex.submit(() -> subscriber.subscribe(listener, P + "chan"));
            if (!subscribed.await(15, TimeUnit.SECONDS)) {
                throw new IllegalStateException("no subscription confirmed within 15 s");
            }
            for (int i = 0; i < n; i++) {
                expect("subscribers reached by message " + i, 1L, publisher.publish(P + "chan", "m" + i));
            }
            if (!all.await(15, TimeUnit.SECONDS)) {
                throw new IllegalStateException("received " + (n - all.getCount()) + " of " + n + " messages");
            }
            loop.get(15, TimeUnit.SECONDS);
        } finally {
            ex.shutdownNow();
        }
        for (int i = 0; i < n; i++) {
            expect("message " + i, "m" + i, received.get(i));
        }
        System.out.println("OK pubsub messages=" + n + " in-order");
    }

    private static void pool(String host, int port) throws Exception {
        int threads = 8;
        int ops = 300;
        JedisPoolConfig config = new JedisPoolConfig();
        config.setMaxTotal(threads);
        try (JedisPool pool = new JedisPool(config, host, port, 10_000)) {
            ExecutorService ex = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    done.add(ex.submit(() -> {
                        for (int i = 0; i < ops; i++) {
                            try (Jedis j = pool.getResource()) {
                                String key = P + "pool:" + thread + ":" + i;
                                j.set(key, thread + "/" + i);
                                expect("GET " + key, thread + "/" + i, j.get(key));
                                j.incr(P + "pool:count");
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                ex.shutdownNow();
            }
            try (Jedis j = pool.getResource()) {
                expect("shared counter", Integer.toString(threads * ops), j.get(P + "pool:count"));
            }
        }
        System.out.println("OK pool threads=" + threads + " ops=" + threads * ops);
    }

    static String field(String info, String name) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1);
            }
        }
        return "?";
    }

    static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    static void expect(String what, Object expected, Object actual) {
        if (!expected.equals(actual)) {
            throw new IllegalStateException(what + ": expected " + expected + " but got " + actual);
        }
    }

    static void fail(String step, Throwable e) {
        StringBuilder chain = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (chain.length() > 0) {
                chain.append(" <- ");
            }
            chain.append(t.getClass().getName()).append(": ").append(t.getMessage());
        }
        System.out.println("FAIL " + step + ": " + chain);
        e.printStackTrace(System.err);
        System.out.flush();
        System.exit(1);
    }
}
