package dev.overlay.compat.redis;

import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.reactive.RedisReactiveCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.Transports;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.Flux;

/**
 * Lettuce, unchanged (default client resources), against a Redis server: binary values up to
 * 4 MiB read back equal, 10,000 concurrent asynchronous SETs then GETs on one connection, the
 * reactive API (1,000 concurrent INCRBYs), MULTI/EXEC, publish/subscribe.
 *
 * <p>Prints which Netty channel and address resolver Lettuce chose ({@code TRANSPORT ...}): with
 * no native transport and no {@code netty-resolver-dns} on the class path (Lettuce 6.5 treats both
 * as optional) it is the NIO channel and Netty's {@code DefaultAddressResolverGroup}, which
 * resolves with {@code InetAddress}.
 *
 * <p>Arguments: {@code HOST PORT}. Prints {@code OK ...} lines, {@code DONE}; on failure
 * {@code FAIL <step>: <cause>} and exit status 1.
 */
public final class LettuceApp {
    private static final String P = "lettuce:";
    private static final Duration WAIT = Duration.ofSeconds(60);

    private LettuceApp() {}

    public static void main(String[] args) {
        if (args.length != 2) {
            System.out.println("usage: LettuceApp HOST PORT");
            System.exit(2);
        }
        String step = "connect";
        RedisClient client = RedisClient.create(RedisURI.create(args[0], Integer.parseInt(args[1])));
        try {
            System.out.println("TRANSPORT channel=" + Transports.socketChannelClass().getName()
                    + " resolver=" + client.getResources().addressResolverGroup().getClass().getName());
            try (StatefulRedisConnection<String, String> conn = client.connect();
                 StatefulRedisConnection<byte[], byte[]> bin = client.connect(ByteArrayCodec.INSTANCE)) {
                RedisCommands<String, String> sync = conn.sync();
                JedisApp.expect("PING", "PONG", sync.ping());
                System.out.println("OK connect redis_version=" + JedisApp.field(sync.info("server"), "redis_version"));
                step = "values";
                values(bin);
                step = "async";
                async(conn.async());
                step = "reactive";
                reactive(conn.reactive(), sync);
                step = "multi";
                multi(sync);
                step = "pubsub";
                pubsub(client, sync);
            }
            System.out.println("DONE");
        } catch (Throwable e) {
            JedisApp.fail(step, e);
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
        }
    }

    private static void values(StatefulRedisConnection<byte[], byte[]> bin) throws Exception {
        int[] sizes = {1, 1000, 65_536, 1024 * 1024, 4 * 1024 * 1024};
        long start = System.nanoTime();
        long total = 0;
        for (int size : sizes) {
            byte[] value = new byte[size];
            new SplittableRandom(size * 31L).nextBytes(value);
            byte[] key = (P + "value:" + size).getBytes(StandardCharsets.UTF_8);
            JedisApp.expect("SET " + size, "OK", bin.sync().set(key, value));
            byte[] back = bin.sync().get(key);
            JedisApp.expect("length of GET " + size, size, back.length);
            JedisApp.expect("SHA-256 of GET " + size, JedisApp.sha(value), JedisApp.sha(back));
            total += 2L * size;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("OK values sizes=%d..%d equal bytes=%d MB/s=%.1f%n", sizes[0], sizes[sizes.length - 1],
                total, total / 1e6 / seconds);
    }

    private static void async(RedisAsyncCommands<String, String> async) {
        int n = 10_000;
        long start = System.nanoTime();
        List<RedisFuture<String>> sets = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            sets.add(async.set(P + "k:" + i, "v" + i * 17));
        }
        if (!LettuceFutures.awaitAll(WAIT, sets.toArray(new RedisFuture[0]))) {
            throw new IllegalStateException("asynchronous SETs not done within " + WAIT);
        }
        List<RedisFuture<String>> gets = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            gets.add(async.get(P + "k:" + i));
        }
        if (!LettuceFutures.awaitAll(WAIT, gets.toArray(new RedisFuture[0]))) {
            throw new IllegalStateException("asynchronous GETs not done within " + WAIT);
        }
        for (int i = 0; i < n; i++) {
            JedisApp.expect("SET " + i, "OK", sets.get(i).toCompletableFuture().join());
            JedisApp.expect("GET " + i, "v" + i * 17, gets.get(i).toCompletableFuture().join());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("OK async commands=%d equal commands/s=%.0f%n", 2 * n, 2 * n / seconds);
    }

    private static void reactive(RedisReactiveCommands<String, String> reactive, RedisCommands<String, String> sync) {
        int n = 1000;
        sync.del(P + "counter");
        List<Long> results = Flux.range(1, n).flatMap(i -> reactive.incrby(P + "counter", i), 64)
                .collectList().block(WAIT);
        long expected = (long) n * (n + 1) / 2;
        JedisApp.expect("reactive results", n, results.size());
        JedisApp.expect("largest INCRBY result", expected, results.stream().mapToLong(Long::longValue).max().orElse(-1));
        JedisApp.expect("distinct INCRBY results", (long) n, results.stream().distinct().count());
        JedisApp.expect("counter", Long.toString(expected), sync.get(P + "counter"));
        System.out.println("OK reactive commands=" + n + " counter=" + expected);
    }

    private static void multi(RedisCommands<String, String> sync) {
        sync.del(P + "tx:a", P + "tx:b");
        JedisApp.expect("MULTI", "OK", sync.multi());
        sync.set(P + "tx:a", "1");
        sync.incrby(P + "tx:a", 41);
        sync.rpush(P + "tx:b", "x", "y", "z");
        TransactionResult r = sync.exec();
        JedisApp.expect("EXEC discarded", false, r.wasDiscarded());
        JedisApp.expect("EXEC results", 3, r.size());
        JedisApp.expect("INCRBY in MULTI", 42L, r.get(1));
        JedisApp.expect("RPUSH in MULTI", 3L, r.get(2));
        JedisApp.expect("value after EXEC", "42", sync.get(P + "tx:a"));
        System.out.println("OK multi exec-applied");
    }

    private static void pubsub(RedisClient client, RedisCommands<String, String> publisher) throws Exception {
        int n = 200;
        List<String> received = new ArrayList<>();
        CountDownLatch all = new CountDownLatch(n);
        try (StatefulRedisPubSubConnection<String, String> ps = client.connectPubSub()) {
            ps.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    synchronized (received) {
                        received.add(message);
                    }
                    all.countDown();
                }
            });
            ps.sync().subscribe(P + "chan");
            for (int i = 0; i < n; i++) {
                JedisApp.expect("subscribers reached by message " + i, 1L, publisher.publish(P + "chan", "m" + i));
            }
            if (!all.await(15, TimeUnit.SECONDS)) {
                throw new IllegalStateException("received " + (n - all.getCount()) + " of " + n + " messages");
            }
        }
        synchronized (received) {
            for (int i = 0; i < n; i++) {
                JedisApp.expect("message " + i, "m" + i, received.get(i));
            }
        }
        System.out.println("OK pubsub messages=" + n + " in-order");
    }
}
