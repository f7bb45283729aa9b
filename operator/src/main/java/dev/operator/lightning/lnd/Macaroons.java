package dev.operator.lightning.lnd;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Mints LND macaroons from the wallet's macaroon root key, which the operator chooses when it
 * creates the wallet ({@code initwallet}'s {@code macaroon_root_key}) and keeps in a Secret. So the
 * admin credentials can be re-created at any time, and narrower macaroons need no call to LND.
 *
 * <p>The format is the one LND's bakery (macaroon-bakery v2, bakery version 3) produces and checks:
 * the identifier is the byte 3 followed by a protobuf {@code MacaroonId{nonce=1, storageId=2,
 * ops=3}} with the operations sorted and grouped by entity; the signature is HMAC-SHA256 of the
 * identifier under HMAC-SHA256("macaroons-key-generator", rootKey); the macaroon is serialised in
 * the binary v2 format with LND's location "lnd" and no caveats.
 */
public final class Macaroons {
  /** The root key id LND uses for its default macaroons. */
  public static final byte[] DEFAULT_ROOT_KEY_ID = "0".getBytes(StandardCharsets.US_ASCII);

  /** Length of a macaroon root key. */
  public static final int ROOT_KEY_BYTES = 32;

  private static final String LOCATION = "lnd";
  private static final byte BAKERY_VERSION = 3;
  private static final byte[] KEY_GENERATOR =
      "macaroons-key-generator".getBytes(StandardCharsets.US_ASCII);

  /** One permission: an entity (info, offchain, ...) and an action (read, write, generate). */
  public record Op(String entity, String action) {}

  /** The permissions of LND's admin macaroon (lnd.go adminPermissions: all read and write). */
  public static final List<Op> ADMIN =
      List.of(
          new Op("onchain", "read"),
          new Op("offchain", "read"),
          new Op("address", "read"),
          new Op("message", "read"),
          new Op("peers", "read"),
          new Op("info", "read"),
          new Op("invoices", "read"),
          new Op("signer", "read"),
          new Op("macaroon", "read"),
          new Op("onchain", "write"),
          new Op("offchain", "write"),
          new Op("address", "write"),
          new Op("message", "write"),
          new Op("peers", "write"),
          new Op("info", "write"),
          new Op("invoices", "write"),
          new Op("signer", "generate"),
          new Op("macaroon", "generate"),
          new Op("macaroon", "write"));

  /**
   * The permissions of LND's read-only macaroon (rpcserver.go readPermissions): every read, no
   * write. Enough for GetInfo (info:read) and the channel backup export (offchain:read).
   */
  public static final List<Op> READ_ONLY =
      ADMIN.stream().filter(op -> "read".equals(op.action())).toList();

  /**
   * What the operator needs to reconnect a channel peer whose link lnd left down: ListChannels
   * (offchain:read), ListPeers (peers:read), GetNodeInfo (info:read), DisconnectPeer and
   * ConnectPeer (peers:write). Minted for each use, never stored: nothing that can move funds.
   */
  public static final List<Op> PEER_RECONNECTION =
      List.of(
          new Op("offchain", "read"),
          new Op("peers", "read"),
          new Op("info", "read"),
          new Op("peers", "write"));

  private Macaroons() {}

  /**
   * A macaroon granting {@code ops}, serialised as LND's REST and gRPC clients send it.
   *
   * @param nonce 16 random bytes, so that two minted macaroons differ
   */
  public static byte[] mint(byte[] rootKey, byte[] rootKeyId, List<Op> ops, byte[] nonce) {
    if (rootKey.length != ROOT_KEY_BYTES) {
      throw new IllegalArgumentException("a macaroon root key has " + ROOT_KEY_BYTES + " bytes");
    }
    byte[] id = identifier(rootKeyId, ops, nonce);
    byte[] signature = hmac(hmac(KEY_GENERATOR, rootKey), id);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(2); // binary format version 2
    packet(out, 1, LOCATION.getBytes(StandardCharsets.UTF_8));
    packet(out, 2, id);
    out.write(0); // end of the header section
    out.write(0); // end of the (empty) caveat section
    packet(out, 6, signature);
    return out.toByteArray();
  }

  static byte[] identifier(byte[] rootKeyId, List<Op> ops, byte[] nonce) {
    // The bakery sorts the operations by entity then action, drops duplicates and groups the
    // actions of one entity into one Op message.
    Map<String, TreeSet<String>> byEntity = new TreeMap<>();
    ops.stream()
        .sorted(Comparator.comparing(Op::entity).thenComparing(Op::action))
        .forEach(o -> byEntity.computeIfAbsent(o.entity(), e -> new TreeSet<>()).add(o.action()));
    ByteArrayOutputStream id = new ByteArrayOutputStream();
    id.write(BAKERY_VERSION);
    protoBytes(id, 1, nonce);
    protoBytes(id, 2, rootKeyId);
    for (Map.Entry<String, TreeSet<String>> e : byEntity.entrySet()) {
      ByteArrayOutputStream op = new ByteArrayOutputStream();
      protoBytes(op, 1, e.getKey().getBytes(StandardCharsets.UTF_8));
      for (String action : new ArrayList<>(e.getValue())) {
        protoBytes(op, 2, action.getBytes(StandardCharsets.UTF_8));
      }
      protoBytes(id, 3, op.toByteArray());
    }
    return id.toByteArray();
  }

  /** A protobuf length-delimited field. */
  private static void protoBytes(ByteArrayOutputStream out, int field, byte[] value) {
    varint(out, (field << 3) | 2);
    varint(out, value.length);
    out.writeBytes(value);
  }

  /** A macaroon v2 packet: field type, length, data. */
  private static void packet(ByteArrayOutputStream out, int type, byte[] data) {
    varint(out, type);
    varint(out, data.length);
    out.writeBytes(data);
  }

  private static void varint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  private static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }
}
