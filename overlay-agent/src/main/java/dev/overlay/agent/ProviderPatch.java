package dev.overlay.agent;

import dev.overlay.nio.OverlaySelectorProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.lang.instrument.UnmodifiableClassException;
import java.nio.ByteBuffer;
import java.nio.channels.spi.SelectorProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.ProtectionDomain;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

/**
 * Makes {@link SelectorProvider#provider()} return the overlay provider after the JDK has already
 * chosen and cached its own (in the static final {@code SelectorProvider.Holder.INSTANCE}, which
 * no property or reflection can change afterwards): the method's body, {@code getstatic
 * Holder.INSTANCE; areturn} in JDK 17 to 25, is retransformed into {@code getstatic
 * Holder.INSTANCE; invokestatic ProviderBridge.provider(SelectorProvider); areturn}, where
 * {@code ProviderBridge} sits on the boot class path (code in {@code java.base} links only to boot
 * classes) and returns the overlay provider. The patch is refused, with the reason, when the
 * method's body is not that exact shape (another JDK, or another agent changed it first), so an
 * unknown JDK is never patched blindly.
 *
 * <p>Only the new body changes: no field, method or branch is added, so the class keeps its shape
 * as retransformation requires and needs no stack map frames.
 */
final class ProviderPatch {
    static final String TARGET = "java/nio/channels/spi/SelectorProvider";
    static final String BRIDGE = "dev/overlay/agent/boot/ProviderBridge";
    static final String BRIDGE_DESC = "(Ljava/nio/channels/spi/SelectorProvider;)Ljava/nio/channels/spi/SelectorProvider;";

    private ProviderPatch() {}

    /**
     * Patches the running JVM.
     *
     * @return null when {@code SelectorProvider.provider()} now returns the overlay provider, else why not
     */
    static String apply(Instrumentation inst) {
        if (!inst.isRetransformClassesSupported() || !inst.isModifiableClass(SelectorProvider.class)) {
            return "this JVM does not let agents retransform " + SelectorProvider.class.getName();
        }
        try {
            inst.appendToBootstrapClassLoaderSearch(new JarFile(bridgeJar().toFile()));
        } catch (IOException e) {
            return "cannot put the provider bridge on the boot class path: " + e.getMessage();
        }
        Class<?> bridge;
        try {
            bridge = Class.forName(BRIDGE.replace('/', '.'), true, null);
        } catch (ClassNotFoundException e) {
            return "the provider bridge is not on the boot class path: " + e;
        }
        Failure failure = new Failure();
        ClassFileTransformer t = new ClassFileTransformer() {
            @Override
            public byte[] transform(Module module, ClassLoader loader, String className, Class<?> redefined,
                    ProtectionDomain domain, byte[] classfile) {
                if (!TARGET.equals(className) || loader != null) {
                    return null;
                }
                try {
                    return patch(classfile);
                } catch (RuntimeException e) {
                    failure.reason = e.getMessage();
                    return null;
                }
            }
        };
        try {
            bridge.getMethod("set", SelectorProvider.class).invoke(null, new OverlaySelectorProvider());
            inst.addTransformer(t, true);
            inst.retransformClasses(SelectorProvider.class);
        } catch (UnmodifiableClassException | ReflectiveOperationException | RuntimeException | LinkageError e) {
            inst.removeTransformer(t);
            return "retransforming " + SelectorProvider.class.getName() + " failed: " + e;
        }
        // Left registered on purpose: a later retransformation (by another agent) starts from the
        // original bytes and would drop the patch otherwise.
        if (failure.reason != null) {
            inst.removeTransformer(t);
            return failure.reason;
        }
        return SelectorProvider.provider() instanceof OverlaySelectorProvider ? null
                : "SelectorProvider.provider() still returns " + SelectorProvider.provider().getClass().getName();
    }

    private static final class Failure {
        volatile String reason;
    }

    /** A jar holding only {@code ProviderBridge}, written to a temporary file deleted at exit. */
    private static Path bridgeJar() throws IOException {
        byte[] bytes;
        try (InputStream in = ProviderPatch.class.getResourceAsStream("/" + BRIDGE + ".class")) {
            if (in == null) {
                throw new IOException(BRIDGE + ".class is not in the agent jar");
            }
            bytes = in.readAllBytes();
        }
        Path jar = Files.createTempFile("overlay-boot-", ".jar");
        jar.toFile().deleteOnExit();
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry(BRIDGE + ".class"));
            out.write(bytes);
            out.closeEntry();
        }
        return jar;
    }

    /**
     * The class file {@code classfile} of {@code SelectorProvider} with {@code provider()}'s body
     * replaced as described above.
     *
     * @throws IllegalArgumentException naming why the class is not one this patch understands
     */
    static byte[] patch(byte[] classfile) {
        ByteBuffer in = ByteBuffer.wrap(classfile);
        if (in.getInt() != 0xCAFEBABE) {
            throw new IllegalArgumentException("not a class file");
        }
        in.getShort(); // minor
        in.getShort(); // major
        int cpCount = in.getShort() & 0xffff;
        String[] utf8 = new String[cpCount];
        int cpStart = in.position();
        for (int i = 1; i < cpCount; i++) {
            int tag = in.get() & 0xff;
            switch (tag) {
                case 1 -> {
                    int len = in.getShort() & 0xffff;
                    byte[] b = new byte[len];
                    in.get(b);
                    utf8[i] = modifiedUtf8(b);
                }
                case 3, 4 -> in.position(in.position() + 4);
                case 5, 6 -> {
                    in.position(in.position() + 8);
                    i++;
                }
                case 7, 8, 16, 19, 20 -> in.position(in.position() + 2);
                case 9, 10, 11, 12, 17, 18 -> in.position(in.position() + 4);
                case 15 -> in.position(in.position() + 3);
                default -> throw new IllegalArgumentException("unknown constant pool tag " + tag + " at entry " + i);
            }
        }
        int cpEnd = in.position();

        // The new constants: Utf8 bridge, Class, Utf8 "provider", Utf8 desc, NameAndType, Methodref.
        int utfBridge = cpCount;
        int classBridge = cpCount + 1;
        int utfName = cpCount + 2;
        int utfDesc = cpCount + 3;
        int nat = cpCount + 4;
        int methodref = cpCount + 5;
        ByteArrayOutputStream extra = new ByteArrayOutputStream();
        utf8Entry(extra, BRIDGE);
        extra.write(7);
        u2(extra, utfBridge);
        utf8Entry(extra, "provider");
        utf8Entry(extra, BRIDGE_DESC);
        extra.write(12);
        u2(extra, utfName);
        u2(extra, utfDesc);
        extra.write(10);
        u2(extra, classBridge);
        u2(extra, nat);

        in.position(cpEnd);
        in.getShort(); // access
        in.getShort(); // this
        in.getShort(); // super
        int interfaces = in.getShort() & 0xffff;
        in.position(in.position() + 2 * interfaces);
        skipMembers(in);
        int methods = in.getShort() & 0xffff;
        int codeStart = -1;
        int codeEnd = -1;
        for (int m = 0; m < methods; m++) {
            int access = in.getShort() & 0xffff;
            String name = utf8[in.getShort() & 0xffff];
            String desc = utf8[in.getShort() & 0xffff];
            int attrs = in.getShort() & 0xffff;
            boolean target = "provider".equals(name) && "()Ljava/nio/channels/spi/SelectorProvider;".equals(desc)
                    && (access & 0x0008) != 0;
            for (int a = 0; a < attrs; a++) {
                int attrStart = in.position();
                String attrName = utf8[in.getShort() & 0xffff];
                int len = in.getInt();
                if (target && "Code".equals(attrName)) {
                    codeStart = attrStart;
                    codeEnd = in.position() + len;
                }
                in.position(in.position() + len);
            }
        }
        if (codeStart < 0) {
            throw new IllegalArgumentException("SelectorProvider has no static provider() with code on this JDK ("
                    + Runtime.version() + ")");
        }
        // The original Code attribute: name, length, max_stack, max_locals, code_length, code...
        ByteBuffer code = ByteBuffer.wrap(classfile, codeStart, codeEnd - codeStart);
        int codeName = code.getShort() & 0xffff;
        code.getInt();
        code.getShort();
        code.getShort();
        int codeLength = code.getInt();
        byte[] body = new byte[codeLength];
        code.get(body);
        if (codeLength != 4 || (body[0] & 0xff) != 0xb2 || (body[3] & 0xff) != 0xb0) {
            throw new IllegalArgumentException("SelectorProvider.provider() on this JDK (" + Runtime.version()
                    + ") is not 'getstatic; areturn' (" + codeLength + " bytes of code); not patching an unknown shape");
        }

        ByteArrayOutputStream newCode = new ByteArrayOutputStream();
        byte[] instructions = {
                (byte) 0xb2, body[1], body[2],                                     // getstatic Holder.INSTANCE
                (byte) 0xb8, (byte) (methodref >> 8), (byte) methodref,            // invokestatic bridge
                (byte) 0xb0                                                         // areturn
        };
        u2(newCode, codeName);
        u4(newCode, 2 + 2 + 4 + instructions.length + 2 + 2);
        u2(newCode, 1); // max_stack
        u2(newCode, 0); // max_locals
        u4(newCode, instructions.length);
        newCode.write(instructions, 0, instructions.length);
        u2(newCode, 0); // exception table
        u2(newCode, 0); // attributes (the line number table goes)

        ByteArrayOutputStream out = new ByteArrayOutputStream(classfile.length + 256);
        out.write(classfile, 0, 8);
        u2(out, cpCount + 6);
        out.write(classfile, cpStart, cpEnd - cpStart);
        byte[] e = extra.toByteArray();
        out.write(e, 0, e.length);
        out.write(classfile, cpEnd, codeStart - cpEnd);
        byte[] c = newCode.toByteArray();
        out.write(c, 0, c.length);
        out.write(classfile, codeEnd, classfile.length - codeEnd);
        return out.toByteArray();
    }

    private static void skipMembers(ByteBuffer in) {
        int count = in.getShort() & 0xffff;
        for (int i = 0; i < count; i++) {
            in.position(in.position() + 6);
            int attrs = in.getShort() & 0xffff;
            for (int a = 0; a < attrs; a++) {
                in.getShort();
                int len = in.getInt();
                in.position(in.position() + len);
            }
        }
    }

    /** The class file's modified UTF-8; the names compared here are ASCII, for which it is plain UTF-8. */
    private static String modifiedUtf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static void utf8Entry(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write(1);
        u2(out, b.length);
        out.write(b, 0, b.length);
    }

    private static void u2(ByteArrayOutputStream out, int v) {
        out.write(v >> 8);
        out.write(v);
    }

    private static void u4(ByteArrayOutputStream out, int v) {
        u2(out, v >>> 16);
        u2(out, v & 0xffff);
    }
}
