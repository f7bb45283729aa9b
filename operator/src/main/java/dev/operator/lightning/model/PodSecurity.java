package dev.operator.lightning.model;

import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;

/**
 * The security settings of every pod the operator creates: they meet the Kubernetes Pod Security
 * Standard {@code restricted}, so clusters run in namespaces that enforce it. The processes run as
 * a fixed non-root user (the one node-image/ creates), and {@code fsGroup} makes the Secret files
 * and data volumes readable and writable by it.
 */
public final class PodSecurity {
  /** uid and gid of LND and etcd in their pods. */
  public static final long USER = 10001;

  private PodSecurity() {}

  public static PodSecurityContext pod() {
    return new PodSecurityContextBuilder()
        .withRunAsNonRoot(true)
        .withRunAsUser(USER)
        .withRunAsGroup(USER)
        .withFsGroup(USER)
        .withNewSeccompProfile()
        .withType("RuntimeDefault")
        .endSeccompProfile()
        .build();
  }

  /** Nothing is written outside the declared volumes, and no privilege can be gained. */
  public static SecurityContext container() {
    return new SecurityContextBuilder()
        .withAllowPrivilegeEscalation(false)
        .withReadOnlyRootFilesystem(true)
        .withRunAsNonRoot(true)
        .withNewCapabilities()
        .addToDrop("ALL")
        .endCapabilities()
        .build();
  }
}
