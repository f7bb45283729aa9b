package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** An etcd cluster the operator does not manage. */
@ValidationRule(
    value = "self.endpoint == oldSelf.endpoint",
    message =
        "etcd.external.endpoint is immutable: another etcd holds other (or no) wallet and channel"
            + " state, and running members campaign on this one")
@ValidationRule(
    value =
        // "namespace" is a CEL reserved word: Kubernetes escapes the field as __namespace__.
        "(has(self.__namespace__) ? self.__namespace__ : '') == (has(oldSelf.__namespace__) ?"
            + " oldSelf.__namespace__ : '')",
    message = "etcd.external.namespace is immutable: LND's wallet and channel state live under it")
public class ExternalEtcdSpec {
  public static final String USERNAME_KEY = "username";
  public static final String PASSWORD_KEY = "password";

  @Required
  @Size(max = 259)
  @Pattern("^[A-Za-z0-9.\\-]+:[0-9]{1,5}$")
  @JsonPropertyDescription(
      "Client endpoint, host:port. LND's leader elector dials exactly one endpoint, so point"
          + " this at a name that reaches every etcd member (a Service or DNS name). Immutable;"
          + " clusters sharing one etcd must name it the same way, since the operator compares"
          + " endpoints as written to keep their election prefixes apart.")
  public String endpoint;

  @JsonPropertyDescription(
      "Secret with ca.crt (the CA that signed etcd's server certificate) and, for client"
          + " certificate authentication, tls.crt and tls.key. Absent: plain-text connection"
          + " (db.etcd.disabletls), for tests only.")
  public SecretRef tlsSecretRef;

  @JsonPropertyDescription("Secret with the etcd user under the keys username and password.")
  public SecretRef credentialsSecretRef;

  @Size(max = 255)
  @Pattern("^[A-Za-z0-9/_.\\-]*$")
  @JsonPropertyDescription(
      "etcd key namespace (db.etcd.namespace) that separates this cluster's data from other"
          + " users of a shared etcd; end it with / (LND joins it to its keys without a"
          + " separator). A newer cluster whose namespace on the same endpoint is equal to,"
          + " inside or a parent of an older cluster's (none is the whole key space) is refused"
          + " with DataStoreConflict, as two LND nodes on one channel database can lose funds."
          + " Immutable.")
  public String namespace;
}
