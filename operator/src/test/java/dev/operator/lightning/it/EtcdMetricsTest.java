package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Reading one gauge out of an etcd member's metrics, as etcd 3.6 prints them. */
class EtcdMetricsTest {
  private static final String METRICS =
      String.join(
          "\n",
          "# HELP etcd_debugging_mvcc_watch_stream_total Total number of watch streams.",
          "# TYPE etcd_debugging_mvcc_watch_stream_total gauge",
          "etcd_debugging_mvcc_watch_stream_total 4",
          "etcd_debugging_mvcc_watcher_total 17",
          "etcd_mvcc_db_total_size_in_bytes 5.8687488e+07",
          "process_resident_memory_bytes 1.23456e+08",
          "grpc_server_handled_total{grpc_code=\"OK\"} 12");

  @Test
  void aGaugeIsReadByItsExactNameInEitherNotation() {
    assertThat(EtcdMetrics.gauge(METRICS, "etcd_debugging_mvcc_watch_stream_total")).isEqualTo(4);
    assertThat(EtcdMetrics.gauge(METRICS, "etcd_debugging_mvcc_watcher_total")).isEqualTo(17);
    assertThat(EtcdMetrics.gauge(METRICS, "etcd_mvcc_db_total_size_in_bytes"))
        .isEqualTo(58_687_488);
    assertThat(EtcdMetrics.gauge(METRICS, "process_resident_memory_bytes")).isEqualTo(123_456_000);
  }

  @Test
  void aMissingOrLabelledMetricIsMinusOne() {
    assertThat(EtcdMetrics.gauge(METRICS, "etcd_debugging_mvcc_watch")).isEqualTo(-1);
    assertThat(EtcdMetrics.gauge(METRICS, "grpc_server_handled_total")).isEqualTo(-1);
  }
}
