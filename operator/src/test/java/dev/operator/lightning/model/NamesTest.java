package dev.operator.lightning.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.api.LightningCluster;
import dev.operator.lightning.api.LightningClusterSpec;
import dev.operator.lightning.api.ManagedEtcdSpec;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The CRD's limit on metadata.name, recomputed from every name the operator derives: adding a
 * longer suffix to {@link Names} fails this test until the limit is lowered.
 */
class NamesTest {
  /** Kubernetes' limit for DNS labels: Service names, pod hostnames and label values. */
  private static final int DNS_LABEL = 63;

  /** The StatefulSet controller's revision label: {@code <statefulset>-<hash of up to 10>}. */
  private static final int REVISION_HASH = 10;

  @Test
  void theNameLimitIsTheLongestNameWhoseDerivedNamesFitKubernetesLimits() {
    int longestFitting = 0;
    for (int length = 1; length <= DNS_LABEL; length++) {
      if (longest(derived(new Names("a".repeat(length), "ns"))) <= DNS_LABEL) {
        longestFitting = length;
      }
    }
    assertThat(LightningCluster.MAX_NAME_LENGTH)
        .as("the CEL rule on metadata.name must allow exactly the names that fit")
        .isEqualTo(longestFitting);
  }

  @Test
  void everyDerivedNameIsCoveredByTheScan() {
    List<String> names = derived(new Names("c", "ns"));
    // Secrets, Services, pods, the StatefulSet and its revision label: a method the scan misses
    // (a new signature) would escape the limit.
    assertThat(names)
        .contains(
            "c",
            "c-members",
            "c-etcd-client",
            "c-etcd-server-tls",
            "c-wallet-seed",
            "c-leader",
            "c-" + maxOrdinal(LightningClusterSpec.class),
            "c-etcd-" + maxOrdinal(ManagedEtcdSpec.class),
            "c-etcd-" + "h".repeat(REVISION_HASH));
  }

  /**
   * Every name a {@link Names} method derives from the cluster name (methods without arguments or
   * with an ordinal, at the highest ordinal the schema allows), plus the etcd StatefulSet's
   * controller-revision-hash label value.
   */
  private static List<String> derived(Names n) {
    List<String> out = new ArrayList<>();
    for (Method m : Names.class.getDeclaredMethods()) {
      if (!Modifier.isPublic(m.getModifiers())
          || Modifier.isStatic(m.getModifiers())
          || m.getReturnType() != String.class
          || m.getName().equals("namespace")
          || m.getName().equals("toString")) {
        continue;
      }
      try {
        if (m.getParameterCount() == 0) {
          out.add((String) m.invoke(n));
        } else if (Arrays.equals(m.getParameterTypes(), new Class<?>[] {int.class})) {
          int max =
              m.getName().startsWith("etcd")
                  ? maxOrdinal(ManagedEtcdSpec.class)
                  : maxOrdinal(LightningClusterSpec.class);
          out.add((String) m.invoke(n, max));
        }
      } catch (ReflectiveOperationException e) {
        throw new AssertionError(e);
      }
    }
    out.add(n.etcd() + "-" + "h".repeat(REVISION_HASH));
    return out;
  }

  /** The highest ordinal of a member (9 members) or of an etcd member (5 members). */
  private static int maxOrdinal(Class<?> spec) {
    return spec == ManagedEtcdSpec.class ? 4 : 8;
  }

  private static int longest(List<String> names) {
    return names.stream().mapToInt(String::length).max().orElseThrow();
  }
}
