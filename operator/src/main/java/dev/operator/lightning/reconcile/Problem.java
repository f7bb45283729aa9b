package dev.operator.lightning.reconcile;

/**
 * Something the user must fix, reported as the Degraded condition and a Warning event. The message
 * says what was expected, what was found and what to do; it never holds a secret value.
 */
public record Problem(String reason, String message) {
  public static final String SECRET_NOT_FOUND = "SecretNotFound";
  public static final String SECRET_KEY_MISSING = "SecretKeyMissing";
  public static final String OBJECT_CONFLICT = "ObjectConflict";
  public static final String UPDATE_REJECTED = "UpdateRejected";
  public static final String INVALID_SECRET = "InvalidSecret";
  public static final String CHAIN_CERTIFICATE_INVALID = "ChainCertificateInvalid";
  public static final String DATABASE_DSN_INVALID = "DatabaseDsnInvalid";
  public static final String DATABASE_CERTIFICATE_INVALID = "DatabaseCertificateInvalid";
  public static final String ROUTING_FAILED = "RoutingFailed";
  public static final String REVOCATION_FAILED = "LeaseRevocationFailed";
  public static final String FENCING_FAILED = "FencingFailed";
  public static final String UNATTRIBUTED_LEADER = "UnattributedLeader";
  public static final String PREFIX_CONFLICT = "ElectionPrefixConflict";
  public static final String DATA_STORE_CONFLICT = "DataStoreConflict";

  /** Reasons whose pass is retried with backoff: each leaves a safety step undone. */
  static final java.util.Set<String> RETRIED =
      java.util.Set.of(ROUTING_FAILED, REVOCATION_FAILED, FENCING_FAILED);
}
