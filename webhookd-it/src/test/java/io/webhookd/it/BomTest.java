package io.webhookd.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * webhookd-bom has no parent (so that it exports no build-only versions), so its versions are
 * written twice: here they are checked against the build's.
 */
class BomTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  /** Modules that are built but not published: the BOM need not name them. */
  /** Modules that are not libraries to depend on; besides them, a module whose pom sets maven.deploy.skip is not published. */
  private static final Set<String> NOT_LIBRARIES = Set.of("webhookd-example-server", "webhookd-bom");

  private static Document read(Path pom) throws Exception {
    return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
  }

  private static String child(Element e, String name) {
    NodeList l = e.getChildNodes();
    for (int i = 0; i < l.getLength(); i++) {
      Node n = l.item(i);
      if (n instanceof Element c && c.getTagName().equals(name)) {
        return c.getTextContent().trim();
      }
    }
    return null;
  }

  private static Element properties(Document d) {
    return (Element) d.getDocumentElement().getElementsByTagName("properties").item(0);
  }

  @Test
  @DisplayName("the BOM has the build's version, and the build's Kafka, JUnit, Jackson and Testcontainers versions")
  void versionsAgree() throws Exception {
    Document parent = read(ROOT.resolve("pom.xml"));
    Document bom = read(ROOT.resolve("webhookd-bom/pom.xml"));

    assertThat(child(bom.getDocumentElement(), "version")).isEqualTo(child(parent.getDocumentElement(), "version"));
    for (String property : List.of("kafka.version", "junit.version", "jackson.version", "testcontainers.version")) {
      assertThat(child(properties(bom), property)).as(property).isEqualTo(child(properties(parent), property));
    }
  }

  @Test
  @DisplayName("the BOM manages every published module")
  void managesEveryPublishedModule() throws Exception {
    Document parent = read(ROOT.resolve("pom.xml"));
    Document bom = read(ROOT.resolve("webhookd-bom/pom.xml"));
    List<String> published = new ArrayList<>();
    NodeList modules = parent.getElementsByTagName("module");
    for (int i = 0; i < modules.getLength(); i++) {
      String dir = modules.item(i).getTextContent().trim();
      Document pom = read(ROOT.resolve(dir).resolve("pom.xml"));
      Element props = properties(pom);
      if (!NOT_LIBRARIES.contains(dir) && (props == null || !"true".equals(child(props, "maven.deploy.skip")))) {
        published.add(child(pom.getDocumentElement(), "artifactId"));
      }
    }
    Set<String> managed = new LinkedHashSet<>();
    NodeList deps = bom.getElementsByTagName("dependency");
    for (int i = 0; i < deps.getLength(); i++) {
      Element d = (Element) deps.item(i);
      if ("io.webhookd".equals(child(d, "groupId"))) {
        managed.add(child(d, "artifactId"));
      }
    }

    assertThat(published).isNotEmpty();
    assertThat(managed).containsAll(published);
  }

  @Test
  @DisplayName("the BOM manages every Kafka jar on the test kit's class path, so that imported first it decides them all")
  void managesEveryKafkaJarOfTheTestKit() throws Exception {
    Document bom = read(ROOT.resolve("webhookd-bom/pom.xml"));
    Set<String> managed = new LinkedHashSet<>();
    NodeList deps = bom.getElementsByTagName("dependency");
    for (int i = 0; i < deps.getLength(); i++) {
      Element d = (Element) deps.item(i);
      if ("org.apache.kafka".equals(child(d, "groupId"))) {
        managed.add(child(d, "artifactId"));
      }
    }
    // this module's test class path holds the test kit and what it brings, from the local
    // repository: .../org/apache/kafka/<artifact>/<version>/<artifact>-<version>.jar
    Set<String> onClassPath = new LinkedHashSet<>();
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    for (String entry : classPath.split(File.pathSeparator)) {
      Matcher m =
          Pattern.compile("/org/apache/kafka/([^/]+)/[^/]+/[^/]+\\.jar$").matcher(entry.replace('\\', '/'));
      if (m.find()) {
        onClassPath.add(m.group(1));
      }
    }
    assertThat(onClassPath).contains("kafka-clients", "kafka-test-common-runtime", "kafka_2.13");
    assertThat(managed).containsAll(onClassPath);
  }
}
