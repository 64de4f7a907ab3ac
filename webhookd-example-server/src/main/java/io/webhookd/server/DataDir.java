package io.webhookd.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data directory and what the server writes in it, kept private to the user the server runs
 * as: the directory {@code rwx------} (0700), the files {@code rw-------} (0600). The H2 file, the
 * key files and the embedded broker's log hold secrets (encrypted or not) and every tenant's
 * messages.
 *
 * <p>Java cannot set the process umask, so files that H2 and Kafka create are made with the
 * system's default mode and tightened by {@link #restrict} once the server has started; the
 * directory's 0700 keeps other users out of them in between, and out of the segments the broker
 * creates later. Only webhookd's own entries are touched ({@link #isOwn}): a data directory
 * that holds other files keeps their modes, and is itself tightened only when it holds nothing
 * but webhookd's (otherwise it is reported). Without POSIX permissions (Windows) nothing is done.
 */
final class DataDir {
  private static final Logger log = LoggerFactory.getLogger(DataDir.class);

  /** The entries webhookd writes directly under the data directory, besides H2's {@code webhookd.*}. */
  private static final List<String> OWN_NAMES = List.of(AdminKey.FILE_NAME, "instance-id", "kafka");

  static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
  static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

  private DataDir() {}

  /**
   * Creates the directory with mode 0700, or tightens an existing one that holds only webhookd's
   * entries.
   *
   * @throws ConfigException when it cannot be created
   */
  static void prepare(Path dir) {
    boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
    try {
      if (!Files.exists(dir)) {
        if (posix) {
          Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIRECTORY));
          Files.setPosixFilePermissions(dir, DIRECTORY); // createDirectories applies the umask
        } else {
          Files.createDirectories(dir);
        }
        return;
      }
      if (!posix || Files.getPosixFilePermissions(dir).equals(DIRECTORY)) {
        return;
      }
      boolean onlyOurs;
      try (Stream<Path> entries = Files.list(dir)) {
        onlyOurs = entries.allMatch(DataDir::isOwn);
      }
      String was = PosixFilePermissions.toString(Files.getPosixFilePermissions(dir));
      if (onlyOurs) {
        Files.setPosixFilePermissions(dir, DIRECTORY);
        log.info("data directory {} was {}; made it rwx------ (it holds secrets)", dir, was);
      } else {
        log.warn(
            "data directory {} is {} and holds files that are not webhookd's: left as it is;"
                + " webhookd's own files in it are made rw-------. Use a directory of its own.",
            dir,
            was);
      }
    } catch (IOException e) {
      throw new ConfigException("WEBHOOKD_DATA_DIR " + dir + " cannot be created or read: " + e.getMessage());
    }
  }

  /** Makes webhookd's entries in {@code dir} owner-only: directories 0700, files 0600. */
  static void restrict(Path dir) {
    if (!dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      return;
    }
    List<Path> own;
    try (Stream<Path> entries = Files.list(dir)) {
      own = entries.filter(DataDir::isOwn).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
    for (Path entry : own) {
      if (Files.isSymbolicLink(entry)) {
        continue;
      }
      try {
        Files.walkFileTree(
            entry,
            new SimpleFileVisitor<>() {
              @Override
              public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                set(d, DIRECTORY);
                return FileVisitResult.CONTINUE;
              }

              @Override
              public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile()) {
                  set(f, FILE);
                }
                return FileVisitResult.CONTINUE;
              }

              @Override
              public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                  return FileVisitResult.CONTINUE; // the broker deleted a segment meanwhile
                }
                throw e;
              }
            });
      } catch (IOException e) {
        throw new UncheckedIOException("cannot make " + entry + " owner-only", e);
      }
    }
  }

  /**
   * Whether an entry of the data directory is webhookd's: the H2 database and its companions
   * ({@code webhookd.*}, the key file included), the admin key, the instance id, the broker's log.
   */
  static boolean isOwn(Path entry) {
    String name = entry.getFileName().toString();
    return name.startsWith("webhookd.") || OWN_NAMES.contains(name);
  }

  private static void set(Path p, Set<PosixFilePermission> mode) throws IOException {
    try {
      if (!Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS).equals(mode)) {
        Files.setPosixFilePermissions(p, mode);
      }
    } catch (NoSuchFileException e) {
      // deleted meanwhile
    }
  }
}
