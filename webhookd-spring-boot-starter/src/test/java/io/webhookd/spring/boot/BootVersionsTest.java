package io.webhookd.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * The build writes down what its Spring Boot manages (spring-boot.kafka.version and friends in the
 * parent POM: the kafka-clients of the boot-managed-kafka-clients test execution, the versions
 * webhookd-examples pre-fetches): they must be what spring-boot-dependencies says.
 */
class BootVersionsTest {
  @Test
  @DisplayName("the parent POM's spring-boot.* versions are those spring-boot-dependencies manages")
  void versionsAreBoots() throws Exception {
    Document boot =
        DocumentBuilderFactory.newInstance()
            .newDocumentBuilder()
            .parse(Path.of(System.getProperty("webhookd.test.bootDependencies")).toFile());
    Element properties = (Element) boot.getDocumentElement().getElementsByTagName("properties").item(0);

    assertThat(text(properties, "kafka.version")).isEqualTo(System.getProperty("webhookd.test.boot.kafka.version"));
    assertThat(text(properties, "junit-jupiter.version")).isEqualTo(System.getProperty("webhookd.test.boot.junit.version"));
    assertThat(text(properties, "jackson-2-bom.version")).isEqualTo(System.getProperty("webhookd.test.boot.jackson2.version"));
  }

  private static String text(Element properties, String name) {
    return properties.getElementsByTagName(name).item(0).getTextContent().trim();
  }
}
