package dev.cairn.persistence;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * A real, small filesystem (tmpfs) mounted on a directory, to run out of space for real. Needs root
 * (or CAP_SYS_ADMIN): without it the calling test is skipped by a JUnit assumption.
 */
public final class SmallFilesystem implements AutoCloseable {

  private final Path mountPoint;

  private SmallFilesystem(Path mountPoint) {
    this.mountPoint = mountPoint;
  }

  /** Mounts a tmpfs of {@code size} (e.g. {@code "4m"}) on {@code dir}, which must exist. */
  public static SmallFilesystem mount(Path dir, String size) throws Exception {
    String out = run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString());
    assumeTrue(out == null, "cannot mount a tmpfs here (needs root): " + out);
    return new SmallFilesystem(dir);
  }

  public Path dir() {
    return mountPoint;
  }

  /** Bytes free on the filesystem now. */
  public long free() throws IOException {
    return Files.getFileStore(mountPoint).getUsableSpace();
  }

  /**
   * Fills the filesystem with {@code file} until only about {@code leave} bytes are free (tmpfs
   * allocates in pages, so it may be a page or two less).
   */
  public void fill(Path file, long leave) throws IOException {
    byte[] chunk = new byte[64 * 1024];
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ch.position(ch.size());
      long want = free() - leave;
      while (want > 0) {
        int n = (int) Math.min(chunk.length, want);
        ch.write(java.nio.ByteBuffer.wrap(chunk, 0, n));
        want -= n;
      }
    }
  }

  /** Unmounts; every file on it must be closed. */
  @Override
  public void close() throws Exception {
    if (run("umount", mountPoint.toString()) != null) {
      run("umount", "-l", mountPoint.toString());
    }
  }

  /** Runs a command; null if it succeeded, else its output. */
  private static String run(String... command) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      return e.toString();
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return "timed out: " + String.join(" ", command);
    }
    return p.exitValue() == 0 ? null : "exit " + p.exitValue() + ": " + out.trim();
  }
}
