package dev.operator.lightning.it;

import dev.operator.lightning.harness.EtcdServer;
import io.etcd.jetcd.Client;
import java.util.concurrent.TimeUnit;

/** What etcd itself says of a lease, read with a client of the test's own. */
final class EtcdLeases {
  private EtcdLeases() {}

  /** Seconds the lease has left; -1 once it is gone (revoked or expired). */
  static long ttl(EtcdServer etcd, long lease) {
    try (Client c = Client.builder().endpoints(etcd.url()).build()) {
      return c.getLeaseClient()
          .timeToLive(lease, io.etcd.jetcd.options.LeaseOption.DEFAULT)
          .get(5, TimeUnit.SECONDS)
          .getTTL();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** How many keys are attached to a lease in the test etcd; 0 once it or its keys are gone. */
  static int attachedKeys(EtcdServer etcd, long lease) {
    try (Client c = Client.builder().endpoints(etcd.url()).build()) {
      return c.getLeaseClient()
          .timeToLive(lease, io.etcd.jetcd.options.LeaseOption.builder().withAttachedKeys().build())
          .get(5, TimeUnit.SECONDS)
          .getKeys()
          .size();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
