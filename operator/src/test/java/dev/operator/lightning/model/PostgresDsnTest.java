package dev.operator.lightning.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PostgresDsnTest {
  /** CloudNativePG's <cluster>-app Secret, key uri. */
  private static final String CNPG = "postgresql://app:p%40ss%2Bw0rd@lnd-db-rw.db:5432/app";

  @Test
  void readsCloudNativePgsUri() {
    PostgresDsn d = PostgresDsn.parse(CNPG + "\n");
    assertThat(d.host()).isEqualTo("lnd-db-rw.db");
    assertThat(d.port()).isEqualTo(5432);
    assertThat(d.database()).isEqualTo("app");
    assertThat(d.user()).isEqualTo("app");
    assertThat(d.password()).isEqualTo("p@ss+w0rd");
    assertThat(d.endpoint()).isEqualTo("lnd-db-rw.db:5432/app");
    assertThat(d.toString()).doesNotContain("p@ss", "p%40ss");
  }

  @Test
  void aMountedCaTurnsOnVerificationUnlessTheStringChoseAMode() {
    PostgresDsn d = PostgresDsn.parse(CNPG);
    assertThat(d.forLnd(false)).isEqualTo(CNPG);
    assertThat(d.sslMode(false)).isEqualTo("prefer");
    assertThat(d.forLnd(true)).isEqualTo(CNPG + "?sslmode=verify-full");
    assertThat(d.sslMode(true)).isEqualTo("verify-full");
    PostgresDsn q = PostgresDsn.parse(CNPG + "?connect_timeout=5");
    assertThat(q.forLnd(true)).isEqualTo(CNPG + "?connect_timeout=5&sslmode=verify-full");
    PostgresDsn chosen = PostgresDsn.parse(CNPG + "?sslmode=require");
    assertThat(chosen.forLnd(true)).isEqualTo(CNPG + "?sslmode=require");
    assertThat(chosen.sslMode(true)).isEqualTo("require");
    PostgresDsn kv = PostgresDsn.parse("host=pg user=lnd dbname=lnd");
    assertThat(kv.forLnd(true)).isEqualTo("host=pg user=lnd dbname=lnd sslmode=verify-full");
  }

  @Test
  void readsKeyValuePairsWithQuotes() {
    PostgresDsn d =
        PostgresDsn.parse("host=pg.db.svc port=6432 user=lnd password='a b\\'c' dbname=lnd");
    assertThat(d.host()).isEqualTo("pg.db.svc");
    assertThat(d.port()).isEqualTo(6432);
    assertThat(d.user()).isEqualTo("lnd");
    assertThat(d.database()).isEqualTo("lnd");
    assertThat(d.password()).isEqualTo("a b'c");
  }

  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of("", "empty"),
        Arguments.of(CNPG + "\ndb.backend=bolt", "line break"),
        Arguments.of("postgresql://app:pw@pg:5432/app\rdb.backend=bolt", "line break"),
        Arguments.of("\"" + CNPG + "\"", "double quote"),
        Arguments.of(CNPG + "?sslmode=verify-full&sslrootcert=/ca.crt", "caSecretRef"),
        Arguments.of(CNPG + "?sslmode=sometimes", "unknown sslmode"),
        Arguments.of("postgresql://app:pw@a:5432,b:5432/app", "several hosts"),
        Arguments.of("postgresql://app:pw@/app?host=/var/run/postgresql", "Unix socket"),
        Arguments.of("postgresql://app:pw@pg:99999/app", "invalid port"),
        Arguments.of("postgresql://app:pw@pg:5432", "no database"),
        Arguments.of("postgresql://pg:5432/app", "no user"),
        Arguments.of("just some words", "neither"),
        Arguments.of("host=pg user=lnd dbname=lnd password='open", "unclosed quote"));
  }

  @ParameterizedTest
  @MethodSource("refused")
  void refusesWhatLndCouldNotUseOrWhatWouldReachOtherLines(String dsn, String message) {
    assertThatThrownBy(() -> PostgresDsn.parse(dsn))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("pw", "p%40ss"));
  }
}
