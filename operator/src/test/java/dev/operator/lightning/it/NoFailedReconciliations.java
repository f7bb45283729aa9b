package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.Main;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test when a reconciliation of the running operator threw during it. A pass that throws is
 * retried, so the test may still pass, but everything after the throw was skipped: a bug.
 */
final class NoFailedReconciliations implements BeforeEachCallback, AfterEachCallback {
  private final Supplier<Main.Running> operator;
  private double before;

  NoFailedReconciliations(Supplier<Main.Running> operator) {
    this.operator = operator;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    before = Reconciliations.failed(operator.get());
  }

  @Override
  public void afterEach(ExtensionContext context) {
    assertThat(Reconciliations.failed(operator.get()))
        .as("reconciliations that threw during the test (see the log for the exception)")
        .isEqualTo(before);
  }
}
