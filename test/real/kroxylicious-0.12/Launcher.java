/*
 * Minimal stand-in for io.kroxylicious.app.Kroxylicious (kroxylicious-app is not served by the reachable
 * Maven Central at any version). Mirrors its call(): ConfigParser -> Configuration -> Features ->
 * new KafkaProxy(registry, config, features) -> startup() -> block(), close() on shutdown.
 * Signatures checked with javap against kroxylicious-runtime 0.12.0:
 *   KafkaProxy(PluginFactoryRegistry, Configuration, Features); KafkaProxy startup(); void block(); void close()
 *   ConfigParser(); Configuration parseConfiguration(InputStream)
 *   Features.builder().enable(Feature).build()
 * Usage: java -cp 'lib/*:classes' Launcher --config proxy.yaml
 */
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kroxylicious.proxy.KafkaProxy;
import io.kroxylicious.proxy.config.ConfigParser;
import io.kroxylicious.proxy.config.Configuration;
import io.kroxylicious.proxy.internal.config.Feature;
import io.kroxylicious.proxy.internal.config.Features;

public class Launcher {
    private static final Logger LOGGER = LoggerFactory.getLogger("io.kroxylicious.proxy.StartupShutdownLogger");

    public static void main(String[] args) throws Exception {
        Path configFile = null;
        for (int i = 0; i < args.length; i++) {
            if ((args[i].equals("-c") || args[i].equals("--config")) && i + 1 < args.length) {
                configFile = Path.of(args[++i]);
            }
        }
        if (configFile == null || !Files.exists(configFile)) {
            System.err.println("usage: Launcher --config <existing proxy config file>");
            System.exit(2);
        }
        ConfigParser parser = new ConfigParser();
        Configuration config;
        try (InputStream in = Files.newInputStream(configFile)) {
            config = parser.parseConfiguration(in);
        }
        Features.FeaturesBuilder fb = Features.builder();
        for (Feature f : Feature.values()) {
            String v = "KROXYLICIOUS_UNLOCK_" + f.name();
            if (Boolean.parseBoolean(System.getProperty(v, System.getenv(v)))) {
                fb.enable(f);
            }
        }
        Features features = fb.build();
        String jar = String.valueOf(KafkaProxy.class.getProtectionDomain().getCodeSource().getLocation());
        LOGGER.info("Kroxylicious version: {} (ktrail real-stack launcher, Java {})", jar.substring(jar.lastIndexOf('/') + 1), Runtime.version());
        features.warnings().forEach(LOGGER::warn);
        KafkaProxy proxy = new KafkaProxy(parser, config, features);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                proxy.close();
            }
            catch (Exception e) {
                LOGGER.warn("Error during shutdown hook", e);
            }
            finally {
                org.apache.logging.log4j.LogManager.shutdown(); // log4j's own hook is disabled in the yaml
            }
        }, "proxy-shutdown-hook"));
        proxy.startup();
        proxy.block();
    }
}
