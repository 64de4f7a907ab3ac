package io.webhookd.internal;

/** webhookd's version, from the jar manifest when there is one. */
public final class Version {
  public static final String VERSION = find();

  private Version() {}

  private static String find() {
    String v = Version.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-SNAPSHOT" : v;
  }
}
