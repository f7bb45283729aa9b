package dev.operator.lightning.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContainerEnvironmentTest {
  private static final Pod POD =
      new PodBuilder()
          .withNewMetadata()
          .withName("demo-etcd-1")
          .withNamespace("ns1")
          .withUid("u-1")
          .withLabels(Map.of("app", "etcd"))
          .endMetadata()
          .withNewSpec()
          .withNodeName("local-node")
          .endSpec()
          .build();

  @Test
  void expandsDefinedVariablesKeepsUndefinedOnesAndUnescapesDollars() {
    Map<String, String> env = Map.of("POD_NAME", "demo-etcd-1", "EMPTY", "");
    assertThat(ContainerEnvironment.expand("--name=$(POD_NAME)", env))
        .isEqualTo("--name=demo-etcd-1");
    assertThat(ContainerEnvironment.expand("https://$(POD_NAME).peers:$(PORT)", env))
        .isEqualTo("https://demo-etcd-1.peers:$(PORT)");
    assertThat(ContainerEnvironment.expand("$$(POD_NAME) costs $$5", env))
        .isEqualTo("$(POD_NAME) costs $5");
    assertThat(ContainerEnvironment.expand("a$(EMPTY)b $(unclosed", env))
        .isEqualTo("ab $(unclosed");
  }

  @Test
  void resolvesDownwardApiKeysAndEarlierVariablesInOrder() {
    List<EnvVar> env =
        List.of(
            field("POD_NAME", "metadata.name"),
            field("POD_NAMESPACE", "metadata.namespace"),
            field("POD_IP", "status.podIP"),
            field("APP", "metadata.labels['app']"),
            new EnvVarBuilder()
                .withName("URL")
                .withValue("https://$(POD_NAME).$(POD_NAMESPACE)")
                .build(),
            new EnvVarBuilder().withName("LATER").withValue("$(DEFINED_AFTER)").build(),
            new EnvVarBuilder().withName("DEFINED_AFTER").withValue("x").build(),
            walletPassword());
    Map<String, String> out =
        ContainerEnvironment.resolve(
            POD,
            "10.200.0.7",
            env,
            (kind, key) ->
                kind.equals("Secret") && key.equals("wallet/password") ? "s3cret" : null);
    assertThat(out)
        .containsEntry("POD_NAME", "demo-etcd-1")
        .containsEntry("POD_NAMESPACE", "ns1")
        .containsEntry("POD_IP", "10.200.0.7")
        .containsEntry("APP", "etcd")
        .containsEntry("URL", "https://demo-etcd-1.ns1")
        .containsEntry("LATER", "$(DEFINED_AFTER)")
        .containsEntry("PASSWORD", "s3cret");
    assertThat(ContainerEnvironment.expandAll(List.of("--name=$(POD_NAME)", "--ip=$(POD_IP)"), out))
        .containsExactly("--name=demo-etcd-1", "--ip=10.200.0.7");
  }

  @Test
  void aMissingSecretKeyIsAnErrorNotAnEmptyValue() {
    List<EnvVar> env = List.of(walletPassword());
    assertThatThrownBy(() -> ContainerEnvironment.resolve(POD, "10.0.0.1", env, (k, n) -> null))
        .hasMessageContaining("Secret wallet has no key password");
  }

  private static EnvVar walletPassword() {
    return new EnvVarBuilder()
        .withName("PASSWORD")
        .withNewValueFrom()
        .withNewSecretKeyRef("password", "wallet", false)
        .endValueFrom()
        .build();
  }

  private static EnvVar field(String name, String path) {
    return new EnvVarBuilder()
        .withName(name)
        .withNewValueFrom()
        .withNewFieldRef()
        .withFieldPath(path)
        .endFieldRef()
        .endValueFrom()
        .build();
  }
}
