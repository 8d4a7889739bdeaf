/*
 * One workload action per JVM run, with the Kafka 4.x Java client from test/real/kafka/lib.
 * Appends one JSON line describing what it did to the file named by --out.
 *
 *   java -cp 'kafka/lib/*:client/classes' Workload --out actions.jsonl --label L --via proxy|direct-sasl|direct-plaintext
 *        --bootstrap H:P [--user U --password P --mechanism PLAIN|SCRAM-SHA-512] --client-id C --expect ok|denied|auth-failure
 *        ACTION args...
 *   ACTION: produce TOPIC N | consume GROUP TOPIC N | create-topic TOPIC | delete-topic TOPIC | describe TOPIC | list-topics
 *
 * produce sends N records one at a time (send().get(), acks=all, linger.ms=0) so that, barring retries, one record is
 * one PRODUCE request; consume commits offsets synchronously once (commitSync) after reading N records or timing out.
 */
import java.io.FileWriter;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class Workload {
    public static void main(String[] a) throws Exception {
        Map<String, String> o = new LinkedHashMap<>();
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < a.length; i++) {
            if (a[i].startsWith("--")) {
                o.put(a[i].substring(2), a[++i]);
            }
            else {
                rest.add(a[i]);
            }
        }
        String action = rest.get(0);
        Properties p = new Properties();
        p.put("bootstrap.servers", o.get("bootstrap"));
        p.put("client.id", o.get("client-id"));
        p.put("request.timeout.ms", "10000");
        p.put("default.api.timeout.ms", "20000");
        String user = o.get("user");
        if (user != null) {
            String mech = o.getOrDefault("mechanism", "SCRAM-SHA-512");
            String module = mech.equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                    : "org.apache.kafka.common.security.scram.ScramLoginModule";
            p.put("security.protocol", "SASL_PLAINTEXT");
            p.put("sasl.mechanism", mech);
            p.put("sasl.jaas.config", module + " required username=\"" + user + "\" password=\"" + o.get("password") + "\";");
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("label", o.get("label"));
        r.put("start", Instant.now().toString());
        r.put("action", action);
        r.put("args", rest.subList(1, rest.size()));
        r.put("via", o.get("via"));
        r.put("bootstrap", o.get("bootstrap"));
        r.put("principal", user == null ? "User:ANONYMOUS" : "User:" + user);
        r.put("mechanism", user == null ? null : o.getOrDefault("mechanism", "SCRAM-SHA-512"));
        r.put("clientId", o.get("client-id"));
        r.put("expect", o.get("expect"));
        String outcome = "ok";
        String error = null;
        try {
            switch (action) {
                case "produce" -> produce(p, rest.get(1), Integer.parseInt(rest.get(2)), r);
                case "consume" -> consume(p, rest.get(1), rest.get(2), Integer.parseInt(rest.get(3)), r);
                case "create-topic" -> {
                    try (Admin ad = Admin.create(p)) {
                        ad.createTopics(List.of(new NewTopic(rest.get(1), 1, (short) 1))).all().get();
                    }
                }
                case "delete-topic" -> {
                    try (Admin ad = Admin.create(p)) {
                        ad.deleteTopics(List.of(rest.get(1))).all().get();
                    }
                }
                case "describe" -> {
                    try (Admin ad = Admin.create(p)) {
                        r.put("description", ad.describeTopics(List.of(rest.get(1))).allTopicNames().get().toString());
                    }
                }
                case "list-topics" -> {
                    try (Admin ad = Admin.create(p)) {
                        Set<String> names = ad.listTopics().names().get();
                        r.put("topics", new ArrayList<>(names));
                    }
                }
                default -> throw new IllegalArgumentException("unknown action " + action);
            }
        }
        catch (Throwable t) {
            Throwable c = (t instanceof ExecutionException && t.getCause() != null) ? t.getCause() : t;
            while (c instanceof org.apache.kafka.common.KafkaException && c.getCause() != null
                    && c.getCause() instanceof org.apache.kafka.common.KafkaException) {
                c = c.getCause();
            }
            error = c.getClass().getSimpleName() + ": " + c.getMessage();
            String n = c.getClass().getSimpleName();
            outcome = n.contains("Authentication") || n.contains("SaslAuthentication") ? "auth-failure"
                    : n.contains("Authorization") ? "denied" : "error";
        }
        r.put("end", Instant.now().toString());
        r.put("outcome", outcome);
        r.put("error", error);
        r.put("asExpected", outcome.equals(o.get("expect")));
        String line = toJson(r);
        try (FileWriter w = new FileWriter(o.get("out"), true)) {
            w.write(line + "\n");
        }
        System.out.println(line);
        System.exit(0);
    }

    static void produce(Properties p, String topic, int n, Map<String, Object> r) throws Exception {
        p.put("acks", "all");
        p.put("linger.ms", "0");
        p.put("max.block.ms", "15000");
        p.put("delivery.timeout.ms", "20000");
        p.put("retries", "0");
        p.put("enable.idempotence", "false");
        int sent = 0;
        List<Long> offsets = new ArrayList<>();
        try (KafkaProducer<String, String> pr = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            try {
                for (int i = 0; i < n; i++) {
                    RecordMetadata md = pr.send(new ProducerRecord<>(topic, "k" + i, r.get("label") + "-" + i)).get();
                    offsets.add(md.offset());
                    sent++;
                }
            }
            finally {
                r.put("produceRequestsAcked", sent);
                r.put("offsets", offsets);
            }
        }
    }

    static void consume(Properties p, String group, String topic, int n, Map<String, Object> r) throws Exception {
        p.put("group.id", group);
        p.put("auto.offset.reset", "earliest");
        p.put("enable.auto.commit", "false");
        int got = 0;
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            c.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 20000;
            try {
                while (got < n && System.currentTimeMillis() < deadline) {
                    ConsumerRecords<String, String> recs = c.poll(Duration.ofMillis(500));
                    got += recs.count();
                }
                c.commitSync();
                r.put("committed", true);
            }
            finally {
                r.put("recordsConsumed", got);
            }
        }
    }

    static String toJson(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Boolean || v instanceof Number) {
            return v.toString();
        }
        if (v instanceof Map<?, ?> m) {
            StringBuilder b = new StringBuilder("{");
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (b.length() > 1) {
                    b.append(',');
                }
                b.append(toJson(e.getKey().toString())).append(':').append(toJson(e.getValue()));
            }
            return b.append('}').toString();
        }
        if (v instanceof List<?> l) {
            StringBuilder b = new StringBuilder("[");
            for (Object x : l) {
                if (b.length() > 1) {
                    b.append(',');
                }
                b.append(toJson(x));
            }
            return b.append(']').toString();
        }
        String s = v.toString();
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (ch < 0x20) {
                        b.append(String.format("\\u%04x", (int) ch));
                    }
                    else {
                        b.append(ch);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
