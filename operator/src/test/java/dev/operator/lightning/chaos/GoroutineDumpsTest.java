package dev.operator.lightning.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class GoroutineDumpsTest {
  @Test
  void findsTheProfilePortInEitherSpellingWithOrWithoutAHost() {
    assertThat(GoroutineDumps.profilePort("debuglevel=info\nprofile=9736\n")).contains(9736);
    assertThat(GoroutineDumps.profilePort("pprof.profile=0.0.0.0:9737")).contains(9737);
    assertThat(GoroutineDumps.profilePort("alias=a\n  profile = 9738  \n")).contains(9738);
  }

  @Test
  void noPortWithoutAProfileLine() {
    assertThat(GoroutineDumps.profilePort("")).isEqualTo(Optional.empty());
    assertThat(GoroutineDumps.profilePort(null)).isEqualTo(Optional.empty());
    assertThat(GoroutineDumps.profilePort("cpuprofile=/tmp/cpu\nmutexprofile=5")).isEmpty();
    assertThat(GoroutineDumps.profilePort("# profile=9736")).isEmpty();
  }
}
