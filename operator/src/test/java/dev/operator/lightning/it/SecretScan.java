package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.LoggerFactory;

/**
 * Safety invariant 7 over a whole run: everything the operator logs (every logger but the test
 * harness's own), every event, every status and every pod's arguments and environment, searched for
 * every secret value the run created, in the forms it could leak in (as is, base64, hex).
 */
final class SecretScan implements AutoCloseable {
  private final ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
  private final AppenderBase<ILoggingEvent> appender =
      new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent e) {
          if (e.getLoggerName().startsWith("dev.operator.lightning.harness")) {
            return;
          }
          lines.add(e.getLoggerName() + " " + e.getFormattedMessage());
          if (e.getThrowableProxy() != null) {
            lines.add(ThrowableProxyUtil.asString(e.getThrowableProxy()));
          }
        }
      };

  /** Starts recording the log. */
  SecretScan() {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    appender.setContext(ctx);
    appender.start();
    ctx.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(appender);
  }

  /** Whether some recorded log line contains {@code text}: a scan over nothing proves nothing. */
  boolean logged(String text) {
    return lines.stream().anyMatch(l -> l.contains(text));
  }

  /**
   * Fails if any value of any Secret in the namespace (every key: passwords, seed, macaroons, keys,
   * credentials) appears in the log, the events, the cluster's status or the pods' specs.
   */
  void assertNoSecretIn(KubernetesClient client, String ns) {
    Map<String, String> needles = new LinkedHashMap<>();
    for (Secret s : client.secrets().inNamespace(ns).list().getItems()) {
      if (s.getData() == null) {
        continue;
      }
      s.getData()
          .forEach(
              (key, b64) -> {
                byte[] raw = Base64.getDecoder().decode(b64);
                String what = s.getMetadata().getName() + "/" + key;
                for (String form : forms(key, raw)) {
                  needles.put(form, what);
                }
              });
    }
    assertThat(needles).as("secret values to look for").isNotEmpty();
    List<String> haystacks = new ArrayList<>(lines);
    client.v1().events().inNamespace(ns).list().getItems().stream()
        .map(e -> "event " + e.getReason() + ": " + e.getMessage())
        .forEach(haystacks::add);
    client
        .resources(dev.operator.lightning.api.LightningCluster.class)
        .inNamespace(ns)
        .list()
        .getItems()
        .forEach(c -> haystacks.add("status " + Serialization.asJson(c.getStatus())));
    client.pods().inNamespace(ns).list().getItems().stream()
        .map(
            p -> "pod " + Serialization.asJson(p.getSpec()) + Serialization.asJson(p.getMetadata()))
        .forEach(haystacks::add);
    List<String> found = new ArrayList<>();
    for (String text : haystacks) {
      needles.forEach(
          (needle, what) -> {
            if (text.contains(needle)) {
              found.add(what + " in: " + text.substring(0, Math.min(200, text.length())));
            }
          });
    }
    assertThat(found).as("secret values that leaked").isEmpty();
  }

  /**
   * The forms a value could leak in. A seed is searched for by each pair of neighbouring words (a
   * single word may be an ordinary one); PEM keys by each base64 line of their body.
   */
  private static List<String> forms(String key, byte[] raw) {
    List<String> out = new ArrayList<>();
    String text = new String(raw, StandardCharsets.UTF_8);
    if (key.equals("mnemonic")) {
      String[] words = text.trim().split("\\s+");
      for (int i = 0; i + 1 < words.length; i++) {
        out.add(words[i] + " " + words[i + 1]);
      }
      return out;
    }
    if (text.contains("-----BEGIN")) {
      if (text.contains("PRIVATE KEY")) {
        text.lines().filter(l -> !l.startsWith("-----") && l.length() >= 16).forEach(out::add);
      }
      // Certificates are public.
      return out;
    }
    if (raw.length >= 8) {
      out.add(text);
      out.add(Base64.getEncoder().encodeToString(raw));
      out.add(HexFormat.of().formatHex(raw));
    }
    return out;
  }

  @Override
  public void close() {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ctx.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(appender);
    appender.stop();
  }
}
