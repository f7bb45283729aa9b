package dev.operator.lightning.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.operator.lightning.Main;
import dev.operator.lightning.harness.EtcdServer;
import dev.operator.lightning.harness.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** scripts/kubectl-lnc run by bash with the real kubectl against a running cluster. */
class KubectlPluginIT {
  record Result(int exit, String output) {}

  @Test
  void statusLeaderAndSwitchoverWorkAgainstARunningCluster() throws Exception {
    var client = ApiServerSupport.client();
    try (EtcdServer etcd = EtcdServer.start();
        Main.Running op = Main.start(client, Main.Settings.forTests());
        MemberScenario s = new MemberScenario(client, etcd, "plugin", "omega", 90, null)) {
      String leader = s.awaitRoutedLeader(null);
      org.awaitility.Awaitility.await()
          .atMost(MemberScenario.DEADLINE)
          .until(() -> "3/3".equals(s.status().ready));

      Result status = plugin("status", "omega", "-n", s.ns);
      assertThat(status.exit()).as(status.output()).isZero();
      System.out.print(status.output());
      assertThat(status.output())
          .contains(s.ns + "/omega")
          .contains("phase:    Running")
          .contains("leader:   " + leader + " since")
          .contains("ready:    3/3")
          .containsPattern("(?m)^  " + leader + " +leader +")
          .contains("Ready           True");
      for (int i = 0; i < 3; i++) {
        assertThat(status.output()).contains("  omega-" + i + " ");
      }

      assertThat(plugin("leader", "omega", "-n", s.ns)).isEqualTo(new Result(0, leader + "\n"));

      Result refused = plugin("switchover", "omega", "-n", s.ns);
      assertThat(refused.exit()).isEqualTo(1);
      assertThat(refused.output()).contains("add --yes");
      assertThat(s.routed()).as("nothing happened without --yes").isEqualTo(leader);

      Result switched = plugin("switchover", "omega", "-n", s.ns, "--yes");
      assertThat(switched.exit()).as(switched.output()).isZero();
      String next = s.awaitRoutedLeader(leader);
      assertThat(next).isNotEqualTo(leader);
      assertThat(s.events("Failover"))
          .singleElement()
          .asString()
          .contains("from " + leader)
          .contains("(Resigned)");

      Result missing = plugin("status", "no-such-cluster", "-n", s.ns);
      assertThat(missing.exit()).isNotZero();
      assertThat(missing.output()).contains("not found");
      s.assertInvariantHeld();
    }
  }

  private static Result plugin(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add("bash");
    cmd.add(Tools.locate().repoRoot().resolve("scripts/kubectl-lnc").toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("KUBECTL", Tools.locate().binary("kubectl").toString());
    pb.environment().put("KUBECONFIG", Kubectl.kubeconfig().toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), out);
  }
}
