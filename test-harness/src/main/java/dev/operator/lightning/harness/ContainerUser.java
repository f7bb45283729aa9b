package dev.operator.lightning.harness;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContext;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Who a container's process runs as, from its security context as a kubelet reads it: the
 * container's runAsUser and runAsGroup over the pod's, with fsGroup and supplementalGroups as extra
 * groups. Without runAsUser the process runs as root (the harness has no image metadata), and a
 * runAsNonRoot container without one is refused as a kubelet refuses a root image.
 *
 * @param uid null for root
 * @param gid null for root's group
 * @param groups supplementary groups (fsGroup first)
 * @param fsGroup group that owns the pod's volumes, or null
 */
record ContainerUser(Long uid, Long gid, List<Long> groups, Long fsGroup) {

  static ContainerUser of(Pod pod, Container c) {
    PodSecurityContext p = pod.getSpec().getSecurityContext();
    SecurityContext s = c.getSecurityContext();
    Long uid =
        s != null && s.getRunAsUser() != null
            ? s.getRunAsUser()
            : p == null ? null : p.getRunAsUser();
    Long gid =
        s != null && s.getRunAsGroup() != null
            ? s.getRunAsGroup()
            : p == null ? null : p.getRunAsGroup();
    Boolean nonRoot =
        s != null && s.getRunAsNonRoot() != null
            ? s.getRunAsNonRoot()
            : p == null ? null : p.getRunAsNonRoot();
    if (Boolean.TRUE.equals(nonRoot) && (uid == null || uid == 0)) {
      throw new IllegalArgumentException(
          "container has runAsNonRoot and image will run as root (pod: \""
              + pod.getMetadata().getName()
              + "\", container: "
              + c.getName()
              + ")");
    }
    Set<Long> groups = new LinkedHashSet<>();
    Long fsGroup = p == null ? null : p.getFsGroup();
    if (fsGroup != null) {
      groups.add(fsGroup);
    }
    if (p != null && p.getSupplementalGroups() != null) {
      groups.addAll(p.getSupplementalGroups());
    }
    return new ContainerUser(uid, gid, List.copyOf(groups), fsGroup);
  }

  boolean root() {
    return uid == null || uid == 0;
  }

  /**
   * The words that run a command as this user (setpriv from util-linux, without the capabilities
   * and privileges root would keep); empty for root.
   */
  List<String> runAs() {
    if (root()) {
      return List.of();
    }
    List<String> cmd = new ArrayList<>();
    cmd.add("setpriv");
    cmd.add("--reuid=" + uid);
    cmd.add("--regid=" + (gid != null ? gid : 0));
    if (groups.isEmpty()) {
      cmd.add("--clear-groups");
    } else {
      cmd.add("--groups=" + String.join(",", groups.stream().map(String::valueOf).toList()));
    }
    cmd.add("--inh-caps=-all");
    cmd.add("--bounding-set=-all");
    cmd.add("--no-new-privs");
    cmd.add("--");
    return cmd;
  }
}
