package io.webhookd.http.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet6Address;
import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The SSRF guard's address rules, on IP literals only (nothing is resolved or contacted). */
class SsrfGuardRulesTest {

  @ParameterizedTest(name = "{0} is refused")
  @ValueSource(
      strings = {
        "127.0.0.1", "127.255.255.254", "10.0.0.1", "10.255.255.255", "172.16.0.1",
        "172.31.255.255", "192.168.0.1", "169.254.169.254", "169.254.0.1", "100.64.0.1",
        "100.127.255.255", "0.0.0.0", "0.1.2.3", "224.0.0.1", "239.255.255.250",
        "255.255.255.255", "240.0.0.1", "192.0.0.8", "198.18.0.1", "::", "::1", "fc00::1",
        "fd12:3456::1", "fe80::1", "febf::1", "fec0::1", "ff02::1", "::ffff:127.0.0.1",
        "::ffff:169.254.169.254", "::ffff:10.0.0.1", "::127.0.0.1", "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::1", "2002:a9fe:a9fe::1",
        // local-use NAT64 (RFC 8215), whatever address it embeds, public ones too
        "64:ff9b:1::a9fe:a9fe", "64:ff9b:1::808:808", "64:ff9b:1:ffff::1"
      })
  void refused(String literal) throws Exception {
    assertThat(SsrfGuard.forbiddenReason(InetAddress.getByName(literal))).isNotNull();
  }

  @ParameterizedTest(name = "{0} is allowed")
  @ValueSource(
      strings = {
        "8.8.8.8", "1.1.1.1", "93.184.216.34", "172.15.255.255", "172.32.0.1", "100.63.255.255",
        "100.128.0.1", "169.253.255.255", "11.0.0.1", "192.169.0.1", "223.255.255.255",
        "2606:4700:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808",
        "2002:808:808::1", "64:ff9b:2::808:808"
      })
  void allowed(String literal) throws Exception {
    assertThat(SsrfGuard.forbiddenReason(InetAddress.getByName(literal))).isNull();
  }

  @ParameterizedTest(name = "IPv4-mapped {0} kept in IPv6 form is refused")
  @ValueSource(strings = {"127.0.0.1", "10.1.2.3", "169.254.169.254", "0.0.0.0"})
  void mappedFormsKeptAsInet6AreRefused(String v4) throws Exception {
    byte[] four = InetAddress.getByName(v4).getAddress();
    byte[] sixteen = new byte[16];
    sixteen[10] = (byte) 0xff;
    sixteen[11] = (byte) 0xff;
    System.arraycopy(four, 0, sixteen, 12, 4);
    InetAddress mapped = Inet6Address.getByAddress(null, sixteen, -1);

    assertThat(mapped).isInstanceOf(Inet6Address.class);
    assertThat(SsrfGuard.forbiddenReason(mapped)).startsWith("IPv4-mapped");
  }
}
