package io.webhookd.server;

/** Keys of the test servers. */
final class ServerKeys {
  static final String ADMIN = TestServer.ADMIN_KEY;

  private ServerKeys() {}
}
