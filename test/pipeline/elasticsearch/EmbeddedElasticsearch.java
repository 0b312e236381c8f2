// A single real Elasticsearch 7.17 node for the pipeline test, built only from Maven Central jars (see
// pom.xml beside this file) and run with the JDK's source launcher:
//   java -cp "$(classpath)" EmbeddedElasticsearch.java <home-dir> <http-port>
// It binds HTTP and transport to 127.0.0.1 only (so no production bootstrap checks), runs as a
// single-node cluster with the netty4 HTTP module, prints "ready <port>" once it serves, and stops
// on SIGTERM/SIGINT (or when its standard input closes, so a crashed parent never leaves it behind).
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.transport.Netty4Plugin;

public final class EmbeddedElasticsearch {
  static final class EmbeddedNode extends Node {
    EmbeddedNode(Environment environment) {
      super(environment, List.of(Netty4Plugin.class), true);
    }
  }

  public static void main(String[] args) throws Exception {
    Path home = Path.of(args[0]).toAbsolutePath();
    String port = args[1];
    Settings settings = Settings.builder()
        .put("path.home", home.toString())
        .put("path.data", home.resolve("data").toString())
        .put("path.logs", home.resolve("logs").toString())
        .put("cluster.name", "fediflow-pipeline-test")
        .put("node.name", "es-0")
        .put("discovery.type", "single-node")
        .put("network.host", "127.0.0.1")
        .put("http.port", port)
        .put("transport.port", "0")
        .put("http.type", "netty4")
        .put("transport.type", "netty4")
        .put("cluster.routing.allocation.disk.threshold_enabled", false)
        .put("indices.breaker.total.use_real_memory", false)
        .build();
    LogConfigurator.configureWithoutConfig(settings);
    Environment environment =
        InternalSettingsPreparer.prepareEnvironment(settings, Collections.emptyMap(), null, () -> "es-0");
    Node node = new EmbeddedNode(environment);
    Thread closer = new Thread(() -> {
      try {
        node.close();
      } catch (Exception e) {
        // exiting anyway
      }
    });
    Runtime.getRuntime().addShutdownHook(closer);
    node.start();
    System.out.println("ready " + port);
    System.out.flush();
    // Exit when the parent goes away (stdin closes) even if it could not send a signal.
    while (System.in.read() != -1) {
      // ignore input
    }
    System.exit(0);
  }
}
