package dev.overlay.compat.demo;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

/**
 * The demo's client: plain JDBC (H2's driver) and {@code java.net.http.HttpClient} code, no overlay
 * import; under the agent, the {@code .overlay} name it is given resolves and connects over the
 * overlay. Prints what it did and checks every answer; exits 1 on any mismatch.
 *
 * <p>Arguments: {@code SERVER_NAME HTTP_PORT H2_PORT}.
 */
public final class DemoClient {
    private DemoClient() {}

    public static void main(String[] args) throws Exception {
        String server = args[0];
        int httpPort = Integer.parseInt(args[1]);
        int h2Port = Integer.parseInt(args[2]);
        boolean ok = jdbc(server, h2Port) & http(server, httpPort);
        System.out.println(ok ? "client: all answers checked" : "client: MISMATCH (see above)");
        System.exit(ok ? 0 : 1);
    }

    private static boolean jdbc(String server, int port) throws Exception {
        String url = "jdbc:h2:tcp://" + server + ":" + port + "/mem:demo;DB_CLOSE_DELAY=-1";
        long t0 = System.nanoTime();
        try (Connection c = DriverManager.getConnection(url, "sa", "")) {
            System.out.printf("jdbc: connected to %s in %.0f ms (%s %s)%n", url, ms(System.nanoTime() - t0),
                    c.getMetaData().getDatabaseProductName(), c.getMetaData().getDatabaseProductVersion());
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS orders(id INT PRIMARY KEY, amount INT)");
                s.execute("DELETE FROM orders");
            }
            c.setAutoCommit(false);
            try (PreparedStatement p = c.prepareStatement("INSERT INTO orders VALUES (?, ?)")) {
                for (int i = 1; i <= 1000; i++) {
                    p.setInt(1, i);
                    p.setInt(2, i);
                    p.addBatch();
                }
                p.executeBatch();
            }
            c.commit();
            c.setAutoCommit(true);
            long sum;
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT SUM(amount) FROM orders")) {
                r.next();
                sum = r.getLong(1);
            }
            double[] rtt = new double[20];
            try (PreparedStatement p = c.prepareStatement("SELECT amount FROM orders WHERE id = ?")) {
                for (int i = 0; i < rtt.length; i++) {
                    long q = System.nanoTime();
                    p.setInt(1, i + 1);
                    try (ResultSet r = p.executeQuery()) {
                        r.next();
                    }
                    rtt[i] = ms(System.nanoTime() - q);
                }
            }
            boolean good = sum == 500500;
            System.out.printf("jdbc: inserted 1000 rows in one transaction; SELECT SUM = %d (%s); 20 point queries,"
                    + " median %.2f ms%n", sum, good ? "as expected" : "EXPECTED 500500", median(rtt));
            return good;
        }
    }

    private static boolean http(String server, int port) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(20)).build();
        URI hello = URI.create("http://" + server + ":" + port + "/hello");
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(hello).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        System.out.println("http: GET " + hello + " -> " + r.statusCode() + " \"" + r.body() + "\"");
        double[] rtt = new double[20];
        for (int i = 0; i < rtt.length; i++) {
            long q = System.nanoTime();
            client.send(HttpRequest.newBuilder(hello).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.discarding());
            rtt[i] = ms(System.nanoTime() - q);
        }
        byte[] body = new byte[32 << 20];
        new Random(42).nextBytes(body);
        String expected = body.length + " " + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        URI upload = URI.create("http://" + server + ":" + port + "/upload");
        long t0 = System.nanoTime();
        HttpResponse<String> u = client.send(HttpRequest.newBuilder(upload).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        double seconds = (System.nanoTime() - t0) / 1e9;
        boolean good = r.statusCode() == 200 && u.statusCode() == 200 && u.body().equals(expected);
        System.out.printf("http: 20 GETs median %.2f ms; POST of 32 MiB in %.2f s (%.0f MB/s), the server's"
                + " SHA-256 %s%n", median(rtt), seconds, body.length / seconds / 1e6,
                u.body().equals(expected) ? "matches" : "DIFFERS: " + u.body());
        return good;
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

}
