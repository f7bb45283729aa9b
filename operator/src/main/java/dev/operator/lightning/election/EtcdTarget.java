package dev.operator.lightning.election;

import java.util.Objects;

/**
 * How to reach one etcd cluster: one client is shared by every LightningCluster whose target is
 * equal. The key namespace is not part of it: it is applied to the election prefix instead, so
 * clusters using different namespaces of one etcd still share the client.
 */
public record EtcdTarget(
    String endpoint, String caPem, String certPem, String keyPem, String user, String password) {

  public boolean tls() {
    return caPem != null;
  }

  /** Identity for logs: never includes key material or the password. */
  @Override
  public String toString() {
    return (tls() ? "https://" : "http://") + endpoint + (user != null ? " as " + user : "");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EtcdTarget t
        && Objects.equals(endpoint, t.endpoint)
        && Objects.equals(caPem, t.caPem)
        && Objects.equals(certPem, t.certPem)
        && Objects.equals(keyPem, t.keyPem)
        && Objects.equals(user, t.user)
        && Objects.equals(password, t.password);
  }

  @Override
  public int hashCode() {
    return Objects.hash(endpoint, caPem, certPem, user);
  }
}
