package dev.operator.lightning.harness;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A pod's volumes on the local node: Secret and ConfigMap keys written as files with their items
 * and modes, emptyDir folders, and a folder per PersistentVolumeClaim that outlives its pods and
 * follows them to any node (as network-attached storage does); and the host directories the kubelet
 * bind-mounts them over.
 */
final class PodVolumes {
  private final KubernetesClient client;
  private final String namespace;
  private final Path claims;
  private final Set<Path> createdMountPoints = ConcurrentHashMap.newKeySet();

  /**
   * @param claims the cluster's storage: one folder per claim, shared by every node
   */
  PodVolumes(KubernetesClient client, String namespace, Path claims) {
    this.client = client;
    this.namespace = namespace;
    this.claims = claims;
  }

  /** The host folder that holds the volume's files, filled from its source. */
  Path materialise(Path podDir, Volume v) throws IOException {
    Path dir = podDir.resolve("volumes").resolve(v.getName());
    if (v.getPersistentVolumeClaim() != null) {
      // Outlives the pod, as a bound volume does: a StatefulSet pod gets its data back.
      Path claim = claims.resolve(v.getPersistentVolumeClaim().getClaimName());
      return Files.createDirectories(claim);
    }
    Files.createDirectories(dir);
    if (v.getEmptyDir() != null) {
      return dir;
    }
    if (v.getSecret() != null) {
      Secret s =
          client.secrets().inNamespace(namespace).withName(v.getSecret().getSecretName()).get();
      if (s == null) {
        throw new IllegalArgumentException(
            "Secret " + v.getSecret().getSecretName() + " not found");
      }
      Map<String, byte[]> data = new LinkedHashMap<>();
      if (s.getData() != null) {
        s.getData().forEach((k, b64) -> data.put(k, Base64.getDecoder().decode(b64)));
      }
      if (s.getStringData() != null) {
        s.getStringData().forEach((k, val) -> data.put(k, val.getBytes(StandardCharsets.UTF_8)));
      }
      writeKeys(dir, data, v.getSecret().getItems(), v.getSecret().getDefaultMode());
      return dir;
    }
    if (v.getConfigMap() != null) {
      ConfigMap cm =
          client.configMaps().inNamespace(namespace).withName(v.getConfigMap().getName()).get();
      if (cm == null) {
        throw new IllegalArgumentException(
            "ConfigMap " + v.getConfigMap().getName() + " not found");
      }
      Map<String, byte[]> data = new LinkedHashMap<>();
      if (cm.getData() != null) {
        cm.getData().forEach((k, val) -> data.put(k, val.getBytes(StandardCharsets.UTF_8)));
      }
      if (cm.getBinaryData() != null) {
        cm.getBinaryData().forEach((k, b64) -> data.put(k, Base64.getDecoder().decode(b64)));
      }
      writeKeys(dir, data, v.getConfigMap().getItems(), v.getConfigMap().getDefaultMode());
      return dir;
    }
    throw new IllegalArgumentException(
        "volume "
            + v.getName()
            + ": the local kubelet supports secret, configMap, emptyDir and persistentVolumeClaim");
  }

  private static void writeKeys(
      Path dir, Map<String, byte[]> data, List<KeyToPath> items, Integer mode) throws IOException {
    Map<String, String> keyToPath = new LinkedHashMap<>();
    if (items == null || items.isEmpty()) {
      data.keySet().forEach(k -> keyToPath.put(k, k));
    } else {
      for (KeyToPath i : items) {
        if (!data.containsKey(i.getKey())) {
          throw new IllegalArgumentException("volume item " + i.getKey() + " not found");
        }
        keyToPath.put(i.getKey(), i.getPath());
      }
    }
    for (var e : keyToPath.entrySet()) {
      Path file = dir.resolve(e.getValue());
      Files.createDirectories(file.getParent());
      Files.write(file, data.get(e.getKey()));
      Files.setPosixFilePermissions(file, permissions(mode == null ? 0644 : mode));
    }
  }

  private static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {
      PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_READ,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
          PosixFilePermission.OWNER_READ
    };
    for (int bit = 0; bit < order.length; bit++) {
      if ((mode & (1 << bit)) != 0) {
        set.add(order[bit]);
      }
    }
    return set;
  }

  /**
   * What a kubelet does to a volume for the pod's fsGroup: the group owns every file and directory
   * (directories get the set-group-ID bit, so new files stay in the group), and gains read access
   * to read-only volumes (Secret, ConfigMap) and read-write access to the others. An emptyDir is
   * open to everyone, as a kubelet creates it.
   */
  static void applyFsGroup(Path volume, Volume v, long gid) throws IOException {
    boolean readOnly = v.getSecret() != null || v.getConfigMap() != null;
    try (var walk = Files.walk(volume)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        Files.setAttribute(p, "unix:gid", (int) gid, LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) Files.getAttribute(p, "unix:mode") & 07777;
        mode |= readOnly ? 0440 : 0660;
        if (Files.isDirectory(p)) {
          mode |= 02110;
          if (v.getEmptyDir() != null && p.equals(volume)) {
            mode |= 0777;
          }
        }
        Files.setAttribute(p, "unix:mode", mode);
      }
    }
  }

  /** A Secret's (decoded) or ConfigMap's value by kind and "name/key", or null. */
  String keyOf(String kind, String nameAndKey) {
    String name = nameAndKey.substring(0, nameAndKey.indexOf('/'));
    String key = nameAndKey.substring(nameAndKey.indexOf('/') + 1);
    if (kind.equals("Secret")) {
      Secret s = client.secrets().inNamespace(namespace).withName(name).get();
      String b64 = s == null || s.getData() == null ? null : s.getData().get(key);
      return b64 == null
          ? null
          : new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
    }
    ConfigMap cm = client.configMaps().inNamespace(namespace).withName(name).get();
    return cm == null || cm.getData() == null ? null : cm.getData().get(key);
  }

  /** Mount points must exist on the host to bind over them; the ones made here go on close. */
  void createMountPoint(Path target, boolean directory) throws IOException {
    Path existing = target;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == target) {
      return;
    }
    Path firstCreated = target;
    while (firstCreated.getParent() != null && !firstCreated.getParent().equals(existing)) {
      firstCreated = firstCreated.getParent();
    }
    createdMountPoints.add(firstCreated);
    if (directory) {
      Files.createDirectories(target);
    } else {
      Files.createDirectories(target.getParent());
      Files.createFile(target);
    }
  }

  /** Removes the mount points made here, unless some hold files. */
  void removeCreatedMountPoints() {
    createdMountPoints.forEach(PodVolumes::removeEmptyDirectories);
  }

  /** Removes a tree of mount points only if it holds no files. */
  private static void removeEmptyDirectories(Path top) {
    try (var walk = Files.walk(top)) {
      if (walk.anyMatch(p -> !Files.isDirectory(p) && p.toFile().length() > 0)) {
        return;
      }
    } catch (IOException | UncheckedIOException e) {
      return;
    }
    Folders.deleteRecursively(top);
  }
}
