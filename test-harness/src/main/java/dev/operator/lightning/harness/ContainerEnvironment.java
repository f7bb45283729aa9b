package dev.operator.lightning.harness;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectFieldSelector;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * A container's environment and arguments as the kubelet computes them: {@code value}s with {@code
 * $(VAR)} references to earlier variables, the downward API ({@code fieldRef}), Secret and
 * ConfigMap keys; then command and args expanded against that environment. {@code $$} escapes a
 * dollar; a reference to an undefined variable stays as written, as in Kubernetes.
 */
public final class ContainerEnvironment {
  private ContainerEnvironment() {}

  /**
   * @param keyLookup (kind "Secret" or "ConfigMap", "name/key") to the decoded value, or null
   */
  public static Map<String, String> resolve(
      Pod pod, String podIp, List<EnvVar> env, BiFunction<String, String, String> keyLookup) {
    Map<String, String> out = new LinkedHashMap<>();
    for (EnvVar e : env == null ? List.<EnvVar>of() : env) {
      if (e.getValueFrom() == null) {
        out.put(e.getName(), expand(e.getValue() == null ? "" : e.getValue(), out));
      } else if (e.getValueFrom().getFieldRef() != null) {
        out.put(e.getName(), field(pod, podIp, e.getValueFrom().getFieldRef()));
      } else if (e.getValueFrom().getSecretKeyRef() != null) {
        var ref = e.getValueFrom().getSecretKeyRef();
        out.put(e.getName(), required(keyLookup, "Secret", ref.getName(), ref.getKey()));
      } else if (e.getValueFrom().getConfigMapKeyRef() != null) {
        var ref = e.getValueFrom().getConfigMapKeyRef();
        out.put(e.getName(), required(keyLookup, "ConfigMap", ref.getName(), ref.getKey()));
      } else {
        throw new IllegalArgumentException(
            "env " + e.getName() + ": only value, fieldRef, secretKeyRef and configMapKeyRef");
      }
    }
    return out;
  }

  private static String required(
      BiFunction<String, String, String> lookup, String kind, String name, String key) {
    String v = lookup.apply(kind, name + "/" + key);
    if (v == null) {
      throw new IllegalArgumentException(kind + " " + name + " has no key " + key);
    }
    return v;
  }

  /** Expands each of command or args. */
  public static List<String> expandAll(List<String> values, Map<String, String> env) {
    List<String> out = new ArrayList<>();
    (values == null ? List.<String>of() : values).forEach(v -> out.add(expand(v, env)));
    return out;
  }

  /** Kubernetes' $(VAR) syntax: $(NAME) is replaced when NAME is defined, $$ becomes $. */
  public static String expand(String in, Map<String, String> env) {
    StringBuilder b = new StringBuilder();
    int i = 0;
    while (i < in.length()) {
      char c = in.charAt(i);
      if (c == '$' && i + 1 < in.length()) {
        char d = in.charAt(i + 1);
        if (d == '$') {
          b.append('$');
          i += 2;
          continue;
        }
        if (d == '(') {
          int close = in.indexOf(')', i + 2);
          if (close > 0) {
            String name = in.substring(i + 2, close);
            String value = env.get(name);
            b.append(value != null ? value : in.substring(i, close + 1));
            i = close + 1;
            continue;
          }
        }
      }
      b.append(c);
      i++;
    }
    return b.toString();
  }

  private static String field(Pod pod, String podIp, ObjectFieldSelector ref) {
    String path = ref.getFieldPath();
    var meta = pod.getMetadata();
    if (path.startsWith("metadata.labels['") || path.startsWith("metadata.annotations['")) {
      String key = path.substring(path.indexOf("['") + 2, path.length() - 2);
      Map<String, String> map =
          path.startsWith("metadata.labels") ? meta.getLabels() : meta.getAnnotations();
      return map == null ? "" : map.getOrDefault(key, "");
    }
    return switch (path) {
      case "metadata.name" -> meta.getName();
      case "metadata.namespace" -> meta.getNamespace();
      case "metadata.uid" -> meta.getUid();
      case "spec.nodeName" -> pod.getSpec().getNodeName();
      case "spec.serviceAccountName" -> pod.getSpec().getServiceAccountName();
      case "status.podIP", "status.podIPs" -> podIp;
      case "status.hostIP", "status.hostIPs" -> podIp;
      default -> throw new IllegalArgumentException("unsupported fieldRef " + path);
    };
  }
}
