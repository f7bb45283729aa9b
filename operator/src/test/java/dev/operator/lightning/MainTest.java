package dev.operator.lightning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The operator's settings as its environment gives them. */
class MainTest {
  @Test
  void reconcileThreadsDefaultWhenUnsetAndRefuseNonsense() {
    assertThat(Main.reconcileThreads(null)).isEqualTo(Main.Settings.DEFAULT_RECONCILE_THREADS);
    assertThat(Main.reconcileThreads(" ")).isEqualTo(Main.Settings.DEFAULT_RECONCILE_THREADS);
    assertThat(Main.reconcileThreads(" 120 ")).isEqualTo(120);
    assertThatThrownBy(() -> Main.reconcileThreads("0"))
        .hasMessageContaining("RECONCILE_THREADS must be at least 1");
    assertThatThrownBy(() -> Main.reconcileThreads("many"))
        .hasMessageContaining("RECONCILE_THREADS must be a number");
  }

  @Test
  void watchNamespacesAreTrimmedAndEmptyMeansAll() {
    assertThat(Main.watchNamespaces("")).isEmpty();
    assertThat(Main.watchNamespaces(" a, b ,,")).containsExactlyInAnyOrder("a", "b");
  }
}
