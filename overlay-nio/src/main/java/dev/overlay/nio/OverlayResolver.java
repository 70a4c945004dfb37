package dev.overlay.nio;

import dev.overlay.identity.NodeId;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * Makes {@code InetAddress} resolve overlay names: {@code InetAddress.getByName("<key>.overlay")}
 * and aliases from the {@code hosts} file return the node's IPv6 handle, and the reverse lookup of
 * a handle whose key is known ({@code getHostName()}, {@code getCanonicalHostName()}) returns
 * {@code <key>.overlay}. Every other name and address goes to the resolver that was in place
 * before, unchanged. No lookup of an overlay name ever reaches DNS.
 *
 * <p>How, per JDK (docs/nio.md, "Name resolution"): the JDK keeps its resolver in a private static
 * field of {@code InetAddress}, {@code nameService} (a package-private
 * {@code InetAddress.NameService}) up to JDK 17 and {@code resolver} (a
 * {@code java.net.spi.InetAddressResolver}) from JDK 18. {@link #install} replaces that field with
 * a {@link Proxy} of the field's own interface that answers overlay names and delegates the rest to
 * the previous value, so no JDK 18 type is needed at compile time. Writing the field needs
 * {@code java.base} to open {@code java.net} to this code: {@code --add-opens
 * java.base/java.net=ALL-UNNAMED}, or the overlay agent's {@code Instrumentation.redefineModule}.
 *
 * <p>The JDK caches lookups by name (30 s for answers, 10 s for failures, by default): installing
 * and uninstalling drop every cached entry for a name ending in {@code .overlay}, so a name looked
 * up before the hook existed is not still "unknown" after it.
 */
public final class OverlayResolver {
    private static final String FIX = "run the JVM with --add-opens java.base/java.net=ALL-UNNAMED"
            + " (the overlay agent opens it itself)";
    private static final ReentrantLock LOCK = new ReentrantLock();
    /** The installed hook; guarded by LOCK. */
    private static Installed installed;

    private OverlayResolver() {}

    /**
     * Whether {@link #install} succeeded, and how; or why not.
     *
     * @param installed true when overlay names now resolve through {@code InetAddress}
     * @param detail what was replaced, or why nothing could be (with the fix)
     */
    public record Status(boolean installed, String detail) {}

    private record Installed(Field field, Object original, Object proxy, Hook hook, String jdkField) {}

    /**
     * Installs the hook, answering for {@code runtime}'s names and aliases. Idempotent: installing
     * again only switches the runtime (and flushes the JDK's cache of overlay names).
     */
    public static Status install(OverlayRuntime runtime) {
        java.util.Objects.requireNonNull(runtime, "runtime");
        LOCK.lock();
        try {
            if (installed != null) {
                Object now;
                try {
                    now = installed.field.get(null);
                } catch (IllegalAccessException e) {
                    return new Status(false, "cannot read InetAddress." + installed.jdkField + ": " + e);
                }
                if (now == installed.proxy) {
                    installed.hook.runtime = runtime;
                    int flushed = flushQuietly();
                    return new Status(true, "already installed in InetAddress." + installed.jdkField
                            + "; now answering for " + runtime.id() + flushedNote(flushed));
                }
                installed = null; // someone replaced it since: install on top of theirs
            }
            Field field;
            try {
                field = resolverField();
            } catch (NoSuchFieldException e) {
                return new Status(false, "this JDK (" + Runtime.version() + ") has neither InetAddress.resolver"
                        + " (JDK 18+) nor InetAddress.nameService (JDK 9-17)");
            }
            if (!Modifier.isStatic(field.getModifiers()) || Modifier.isFinal(field.getModifiers())) {
                return new Status(false, "InetAddress." + field.getName() + " is " + Modifier.toString(field.getModifiers())
                        + " on this JDK (" + Runtime.version() + "); it cannot be replaced");
            }
            Object original;
            try {
                field.setAccessible(true);
                original = currentResolver(field);
            } catch (RuntimeException e) { // InaccessibleObjectException, SecurityException
                return new Status(false, "java.base does not open java.net to " + OverlayResolver.class.getModule()
                        + ": " + FIX);
            } catch (ReflectiveOperationException e) {
                return new Status(false, "cannot read InetAddress." + field.getName() + ": " + e);
            }
            if (Proxy.isProxyClass(original.getClass()) && Proxy.getInvocationHandler(original) instanceof Hook h) {
                original = h.delegate; // a hook of an earlier class instance or install: never stack two
            }
            Class<?> type = field.getType();
            Hook hook;
            Object proxy;
            try {
                hook = new Hook(runtime, original, type);
                // A non-public interface (JDK 17's NameService) can only be proxied in its own loader.
                ClassLoader loader = Modifier.isPublic(type.getModifiers()) ? OverlayResolver.class.getClassLoader()
                        : type.getClassLoader();
                proxy = Proxy.newProxyInstance(loader, new Class<?>[] {type}, hook);
                field.set(null, proxy);
            } catch (RuntimeException | IllegalAccessException e) {
                return new Status(false, "cannot replace InetAddress." + field.getName() + ": " + e + "; " + FIX);
            }
            String jdkField = field.getName();
            installed = new Installed(field, original, proxy, hook, jdkField);
            int flushed = flushQuietly();
            return new Status(true, "replaced InetAddress." + jdkField + " (" + type.getName() + ", JDK "
                    + Runtime.version().feature() + "); answering for " + runtime.id() + ", delegating to "
                    + original.getClass().getName() + flushedNote(flushed));
        } finally {
            LOCK.unlock();
        }
    }

    /** Whether the hook is in place now. */
    public static boolean isInstalled() {
        LOCK.lock();
        try {
            if (installed == null) {
                return false;
            }
            return installed.field.get(null) == installed.proxy;
        } catch (IllegalAccessException e) {
            return false;
        } finally {
            LOCK.unlock();
        }
    }

    /**
     * Puts the previous resolver back (if the field still holds the hook) and flushes overlay names
     * from the JDK's cache. Returns whether a hook was removed.
     */
    static boolean uninstall() {
        LOCK.lock();
        try {
            if (installed == null) {
                return false;
            }
            Installed i = installed;
            installed = null;
            try {
                if (i.field.get(null) != i.proxy) {
                    return false; // replaced by someone else since; leave theirs alone
                }
                i.field.set(null, i.original);
            } catch (IllegalAccessException e) {
                return false;
            }
            flushQuietly();
            return true;
        } finally {
            LOCK.unlock();
        }
    }

    /** Uninstalls when the hook answers for {@code runtime} (it is closing). */
    static void uninstallFor(OverlayRuntime runtime) {
        LOCK.lock();
        try {
            if (installed != null && installed.hook.runtime == runtime) {
                uninstall();
            }
        } finally {
            LOCK.unlock();
        }
    }

    private static Field resolverField() throws NoSuchFieldException {
        try {
            Field f = InetAddress.class.getDeclaredField("resolver");
            if (f.getType().getName().equals("java.net.spi.InetAddressResolver")) {
                return f;
            }
        } catch (NoSuchFieldException e) {
            // JDK 17 and before
        }
        Field f = InetAddress.class.getDeclaredField("nameService");
        if (!f.getType().getName().equals("java.net.InetAddress$NameService")) {
            throw new NoSuchFieldException("nameService has type " + f.getType().getName());
        }
        return f;
    }

    /**
     * The resolver lookups use now. On JDK 18+ the field is filled lazily (with a resolver from
     * {@code InetAddressResolverProvider} if one is on the class path), so ask the JDK's own
     * accessor, which settles it.
     */
    private static Object currentResolver(Field field) throws ReflectiveOperationException {
        if (field.getName().equals("resolver")) {
            Method m = InetAddress.class.getDeclaredMethod("resolver");
            m.setAccessible(true);
            try {
                return m.invoke(null);
            } catch (InvocationTargetException e) {
                throw new IllegalStateException("InetAddress.resolver() failed: " + e.getCause(), e.getCause());
            }
        }
        return field.get(null);
    }

    private static String flushedNote(int flushed) {
        return flushed < 0 ? "; could not flush the JDK's lookup cache"
                : flushed == 0 ? "" : "; dropped " + flushed + " cached lookup(s) of .overlay names";
    }

    private static int flushQuietly() {
        try {
            return flushOverlayNames();
        } catch (ReflectiveOperationException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Drops every entry of the JDK's lookup cache ({@code InetAddress.cache}, and its expiry order
     * {@code InetAddress.expirySet}) whose name ends in {@code .overlay}: positive and negative
     * answers alike, so the next lookup asks the resolver in place now. Returns how many.
     */
    static int flushOverlayNames() throws ReflectiveOperationException {
        Field cacheField = InetAddress.class.getDeclaredField("cache");
        Field expiryField = InetAddress.class.getDeclaredField("expirySet");
        cacheField.setAccessible(true);
        expiryField.setAccessible(true);
        @SuppressWarnings("unchecked")
        Map<String, Object> cache = (Map<String, Object>) cacheField.get(null);
        @SuppressWarnings("unchecked")
        Set<Object> expiry = (Set<Object>) expiryField.get(null);
        int flushed = 0;
        for (Map.Entry<String, Object> e : cache.entrySet()) {
            if (NodeId.isOverlayName(e.getKey()) && cache.remove(e.getKey(), e.getValue())) {
                flushed++;
                Object v = e.getValue();
                if (v instanceof Comparable<?>) { // a cached answer; an in-flight lookup is not in the set
                    expiry.remove(v);
                }
            }
        }
        return flushed;
    }

    /** Answers overlay names and handles; passes the rest to the resolver that was there before. */
    private static final class Hook implements InvocationHandler {
        final Object delegate;
        private final boolean streams;
        private final Map<String, Method> delegateMethods;
        volatile OverlayRuntime runtime;

        Hook(OverlayRuntime runtime, Object delegate, Class<?> type) {
            this.runtime = runtime;
            this.delegate = delegate;
            this.streams = type.getName().equals("java.net.spi.InetAddressResolver");
            Map<String, Method> methods = new java.util.HashMap<>();
            for (Method m : type.getMethods()) {
                if (!Modifier.isStatic(m.getModifiers())) {
                    m.setAccessible(true); // JDK 17's interface is package-private
                    methods.put(m.getName(), m);
                }
            }
            for (Method m : type.getDeclaredMethods()) {
                if (!Modifier.isStatic(m.getModifiers()) && !methods.containsKey(m.getName())) {
                    m.setAccessible(true);
                    methods.put(m.getName(), m);
                }
            }
            this.delegateMethods = Map.copyOf(methods);
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            switch (method.getName()) {
                case "lookupAllHostAddr", "lookupByName" -> {
                    if (args[0] instanceof String host && NodeId.isOverlayName(host)) {
                        Inet6Address a = runtime.resolve(host);
                        return streams ? Stream.of(a) : new InetAddress[] {a};
                    }
                }
                case "getHostByAddr", "lookupByAddress" -> {
                    if (args[0] instanceof byte[] bytes && bytes.length == 16) {
                        InetAddress a = InetAddress.getByAddress(bytes);
                        if (NodeId.isHandle(a)) {
                            String name = runtime.reverse(a);
                            if (name == null) {
                                throw new UnknownHostException(a.getHostAddress()
                                        + ": overlay handle of a key this node has not seen");
                            }
                            return name;
                        }
                    }
                }
                case "equals" -> {
                    if (method.getParameterCount() == 1) {
                        return proxy == args[0];
                    }
                }
                case "hashCode" -> {
                    if (method.getParameterCount() == 0) {
                        return System.identityHashCode(proxy);
                    }
                }
                case "toString" -> {
                    if (method.getParameterCount() == 0) {
                        return "overlay resolver for " + runtime.id() + " over " + delegate;
                    }
                }
                default -> { }
            }
            Method target = delegateMethods.getOrDefault(method.getName(), method);
            try {
                return target.invoke(delegate, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }
    }
}
