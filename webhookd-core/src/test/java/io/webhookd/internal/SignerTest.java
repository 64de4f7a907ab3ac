package io.webhookd.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class SignerTest {
  @Test
  @DisplayName("signs as the Standard Webhooks specification's published example")
  void matchesTheSpecificationsExample() {
    // the example of the Standard Webhooks specification (and of the svix libraries' tests)
    Signer signer = new Signer("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    String sig = signer.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330L, "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8));
    assertThat(sig).isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  }

  @Test
  void checksSecrets() {
    assertThat(Signer.checkSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).isNull();
    assertThat(Signer.checkSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).contains("whsec_");
    assertThat(Signer.checkSecret("whsec_AAAA")).contains("24 to 64");
    assertThat(Signer.checkSecret("whsec_!!!")).contains("base64");
    assertThat(Signer.checkSecret(Signer.newSecret())).isNull();
  }
}
