package dev.operator.lightning.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StoreEndpointsTest {
  @ParameterizedTest
  @CsvSource({
    "etcd:2379, a, etcd.a.svc:2379",
    "etcd.a:2379, b, etcd.a.svc:2379",
    "etcd.a.svc:2379, b, etcd.a.svc:2379",
    "etcd.a.svc.cluster.local.:2379, b, etcd.a.svc:2379",
    "ETCD:2379, A, etcd.a.svc:2379",
    "etcd.example.org:2379, a, etcd.example.org:2379",
    "10.0.0.1:2379, a, 10.0.0.1:2379",
    "pg-rw:5432/lnd, a, pg-rw.a.svc:5432/lnd",
    "[::1]:5432/lnd, a, [::1]:5432/lnd"
  })
  void oneServerHasOneSpellingWhateverNamespaceWroteIt(
      String endpoint, String namespace, String normal) {
    assertThat(StoreEndpoints.normal(endpoint, namespace)).isEqualTo(normal);
  }
}
