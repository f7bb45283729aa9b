package dev.operator.lightning.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** An etcd cluster the operator does not manage. */
public class ExternalEtcdSpec {
  public static final String USERNAME_KEY = "username";
  public static final String PASSWORD_KEY = "password";

  @Required
  @Pattern("^[A-Za-z0-9.\\-]+:[0-9]{1,5}$")
  @JsonPropertyDescription(
      "Client endpoint, host:port. LND's leader elector dials exactly one endpoint, so point"
          + " this at a name that reaches every etcd member (a Service or DNS name).")
  public String endpoint;

  @JsonPropertyDescription(
      "Secret with ca.crt (the CA that signed etcd's server certificate) and, for client"
          + " certificate authentication, tls.crt and tls.key. Absent: plain-text connection"
          + " (db.etcd.disabletls), for tests only.")
  public SecretRef tlsSecretRef;

  @JsonPropertyDescription("Secret with the etcd user under the keys username and password.")
  public SecretRef credentialsSecretRef;

  @Pattern("^[A-Za-z0-9/_.\\-]*$")
  @JsonPropertyDescription(
      "etcd key namespace (db.etcd.namespace) that separates this cluster's data from other"
          + " users of a shared etcd.")
  public String namespace;
}
