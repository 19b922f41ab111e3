"""Build what goes on a board's flash, from the board definition and nothing typed twice:

- the firmware's filesystem image: littlefs v2 with the parameters MicroPython uses on the board's
  vfs partition, holding the firmware application (firmware/main.py as /main.py and every
  repository module it imports, found by walking the imports, not from a hand-kept list), the
  board definition as /board.json, /manifest.json (file hashes and the firmware hash) and the
  provisioning data as /provision.json when given;
- the partition table binary (lightclient/hwtest/parttable.py);
- one merged flash image (esptool merge-bin) with the MicroPython firmware the tester supplies,
  either MicroPython's released download (bootloader + table + app in one .bin, written at the
  bootloader offset) or a bare application .bin plus a bootloader .bin.

Every part is checked against its partition before anything is written: a part larger than its
slot is refused here, never found out by a board that does not boot.
"""

import ast
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from lightclient.hwtest import parttable
from lightclient.hwtest.boards import load_board
from lightclient.hwtest.errors import HwTestError
from lightclient.hwtest.paths import ROOT as REPO, firmware_dir

# The firmware's source root: firmware/main.py is the board's /main.py (MicroPython runs /boot.py
# then /main.py from the vfs root); the repository root supplies the chip package
# (`lightclient.chip...`), which goes to /lib on the board (on MicroPython's sys.path; the layout
# firmware/README.md documents). firmware/manifest.py names the image variants (which crypto
# backend the image carries): the closure of one variant leaves out the other variants' modules.
MANIFEST = "manifest.py"
SHARED_PREFIX = "/lib/"
ENTRIES = ("main.py", "boot.py")   # boot.py only when it exists
MAX_PROVISION_BYTES = 16 * 1024
MAX_FIRMWARE_BYTES = 16 * 1024 * 1024
ESP_IMAGE_MAGIC = 0xE9
# Which chip an ESP-IDF image is built for (extended header byte 4; esptool's IMAGE_CHIP_ID).
IMAGE_CHIP_IDS = {"esp32": 0, "esp32s2": 2, "esp32c3": 5, "esp32s3": 9, "esp32c6": 13,
                  "esp32h2": 16}
# Names of the parts in a build directory.
PARTS = ("bootloader", "partition-table", "micropython", "vfs", "otadata")   # flash order


# --- the application's files ---------------------------------------------------------------------

def _roots(root):
    # firmware/ in a checkout, lightclient/_data/firmware in an installed wheel (paths.py)
    return [firmware_dir(root), Path(root)]


def _module_file(roots, dotted):
    """(source root, file) of an absolute module name, or None (a MicroPython built-in).
    A directory without __init__.py is a namespace package: (root, directory)."""
    for r in roots:
        base = r.joinpath(*dotted.split("."))
        if base.with_suffix(".py").is_file():
            return r, base.with_suffix(".py")
        if (base / "__init__.py").is_file():
            return r, base / "__init__.py"
        if base.is_dir():
            return r, base
    return None


def _imports(path, source_root):
    """Absolute module names a file imports (anywhere in it: inside functions and try blocks
    too, since the chip may take either branch)."""
    tree = ast.parse(path.read_text(), str(path))
    package = list(path.relative_to(source_root).parent.parts)
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module
            names.append(mod)
            # `from pkg import name` may name a submodule
            names.extend(mod + "." + a.name for a in node.names if a.name != "*")
    return [n for n in names if n]


def load_manifest(root=REPO):
    """firmware/manifest.py as data (its names, without MicroPython's manifest functions), or
    None when the firmware has none."""
    path = firmware_dir(root) / MANIFEST
    if not path.is_file():
        return None
    names = {"__file__": str(path)}
    exec(compile(path.read_text(), str(path), "exec"), names)
    return names


def variant_exclusions(root=REPO, variant=None):
    """(variant name, repository files of the other variants only) for an image variant of
    firmware/manifest.py (its default when None); (None, empty) without a manifest."""
    m = load_manifest(root)
    if m is None:
        if variant is not None:
            raise HwTestError("firmware_variant", "the firmware has no %s: no variants" % MANIFEST)
        return None, set()
    variant = variant or m["DEFAULT_VARIANT"]
    try:
        mine = set(m["variant_files"](variant))
    except ValueError as e:
        raise HwTestError("firmware_variant", str(e))
    others = set(f for fs in m["VARIANTS"].values() for f in fs) - mine
    return variant, set((Path(root) / f).resolve() for f in others)


def import_closure(root=REPO, variant=None):
    """{image path: source file} of the firmware's entry files and every repository module
    they reach (with the __init__.py of each package on the way), and the sorted names that
    did not resolve to a repository file (MicroPython's own modules: machine, esp32, ...).
    `variant` (firmware/manifest.py; its default when None) leaves out the modules only other
    variants carry: the crypto backend the variant does not ship is an import the chip tries
    and falls back from."""
    roots = _roots(root)
    fw = roots[0]
    if not (fw / ENTRIES[0]).is_file():
        raise HwTestError("firmware_missing", "no %s in %s" % (ENTRIES[0], fw),
                          hint="the firmware application (issue 4) must exist before an image "
                               "can be built")
    _, excluded = variant_exclusions(root, variant)
    found = {}            # source file -> its source root
    external = set()
    todo = [(fw, fw / e) for e in ENTRIES if (fw / e).is_file()]
    while todo:
        r, f = todo.pop()
        if f in found:
            continue
        found[f] = r
        for name in _imports(f, r):
            parts = name.split(".")
            for i in range(1, len(parts) + 1):   # every package on the way is imported too
                hit = _module_file(roots, ".".join(parts[:i]))
                if hit is None:
                    if i == 1:
                        external.add(parts[0])
                    break
                if hit[1].resolve() in excluded:
                    break
                if hit[1].is_file() and hit[1] not in found:
                    todo.append(hit)
    files = {}
    for f, r in found.items():
        path = ("/" if r == fw else SHARED_PREFIX) + str(f.relative_to(r))
        if path in files:
            raise HwTestError("firmware_layout", "two source files land on %s" % path,
                              files=[str(files[path]), str(f)])
        files[path] = f
    return dict(sorted(files.items())), sorted(external)


def firmware_hash(app):
    """SHA-256 over the application's files: path, NUL, SHA-256 of the content, newline, in
    path order. The same firmware gives the same hash on every board (board.json and
    provision.json are per-board data and not part of it)."""
    h = hashlib.sha256()
    for path in sorted(app):
        h.update(path.encode() + b"\0" + hashlib.sha256(app[path]).hexdigest().encode() + b"\n")
    return h.hexdigest()


def app_files(root=REPO, variant=None):
    """{image path: bytes} of the firmware application (one image variant)."""
    files, _ = import_closure(root, variant)
    return {p: f.read_bytes() for p, f in files.items()}


def filesystem_files(board, provision=None, root=REPO, variant=None):
    """Everything the vfs image holds: {path: bytes}, and the manifest it holds."""
    app = app_files(root, variant)
    _, external = import_closure(root, variant)
    files = dict(app)
    files["/board.json"] = (Path(board.path).read_bytes() if board.path != "<memory>"
                            else json.dumps(board.raw, indent=1).encode())
    if provision is not None:
        files["/provision.json"] = provision
    manifest = {
        "firmware_hash": firmware_hash(app),
        "board": board.name,
        "files": {p: hashlib.sha256(app[p]).hexdigest() for p in sorted(app)},
        "micropython_modules": external,
        "variant": variant_exclusions(root, variant)[0],
    }
    files["/manifest.json"] = json.dumps(manifest, indent=1, sort_keys=True).encode()
    for p in ("/board.json", "/provision.json", "/manifest.json"):
        if p in app:
            raise HwTestError("firmware_layout", "the firmware has its own %s" % p)
    return files, manifest


def read_provision(path):
    """The provisioning data file: a JSON object, at most MAX_PROVISION_BYTES."""
    data = Path(path).read_bytes()
    if len(data) > MAX_PROVISION_BYTES:
        raise HwTestError("provision_data", "provisioning data larger than %d bytes"
                          % MAX_PROVISION_BYTES, path=str(path))
    try:
        obj = json.loads(data)
    except ValueError as e:
        raise HwTestError("provision_data", "provisioning data is not JSON: %s" % e)
    if not isinstance(obj, dict):
        raise HwTestError("provision_data", "provisioning data must be a JSON object")
    return data


# --- littlefs ------------------------------------------------------------------------------------

def _lfs(board, context=None):
    import littlefs
    v = board.vfs
    return littlefs.LittleFS(
        context=context, mount=False,
        block_size=v["block_size"], block_count=v["block_count"], read_size=v["read_size"],
        prog_size=v["prog_size"], lookahead_size=v["lookahead_size"],
        # as MicroPython's extmod/vfs_lfsx.c configures littlefs
        block_cycles=100, cache_size=min(v["block_size"], 4 * max(v["read_size"], v["prog_size"])),
        name_max=255,
        # on-disk version 2.0: every littlefs v2 release mounts it
        disk_version=0x00020000)


def build_filesystem(board, files):
    """{path: bytes} -> the vfs partition's bytes (exactly the partition's size)."""
    fs = _lfs(board)
    fs.format()
    fs.mount()
    for path in sorted(files):
        d = os.path.dirname(path)
        if d and d != "/":
            fs.makedirs(d, exist_ok=True)
        with fs.open(path, "wb") as f:
            f.write(files[path])
    fs.unmount()
    data = bytes(fs.context.buffer)
    size = board.vfs_partition.size
    if len(data) != size:
        raise HwTestError("vfs_size", "filesystem image is not the partition's size",
                          image=len(data), partition=size)
    return data


def read_filesystem(board, data):
    """The vfs partition's bytes -> {path: bytes}, mounted with the board's littlefs parameters
    (raises littlefs.LittleFSError when it does not mount)."""
    import littlefs
    if len(data) != board.vfs_partition.size:
        raise HwTestError("vfs_size", "filesystem image is not the vfs partition's size",
                          image=len(data), partition=board.vfs_partition.size)
    ctx = littlefs.UserContext(buffer=bytearray(data))
    fs = _lfs(board, ctx)
    fs.mount()
    out = {}
    for top, dirs, names in fs.walk("/"):
        for n in names:
            p = (top.rstrip("/") + "/" + n)
            with fs.open(p, "rb") as f:
                out[p] = f.read()
    fs.unmount()
    return out


# --- the MicroPython firmware the tester supplies -----------------------------------------------

def _esp_image(board, data, what):
    """Check an ESP-IDF image with esptool's own parser: magic, chip, checksum, digest."""
    from esptool.bin_image import LoadFirmwareImage
    if not data or data[0] != ESP_IMAGE_MAGIC:
        raise HwTestError("firmware_image", "%s is not an ESP image (first byte 0x%02x, want 0xe9)"
                          % (what, data[0] if data else 0),
                          hint="supply MicroPython's .bin for %s (%s)"
                               % (board.name, board.raw.get("micropython_firmware")))
    try:
        img = LoadFirmwareImage(board.chip, bytes(data))
    except Exception as e:
        raise HwTestError("firmware_image", "%s does not parse as an %s image: %s"
                          % (what, board.chip, e))
    if img.chip_id != IMAGE_CHIP_IDS[board.chip]:
        raise HwTestError("firmware_chip", "%s is built for another chip (image chip id %d, "
                          "%s is %d)" % (what, img.chip_id, board.chip, IMAGE_CHIP_IDS[board.chip]),
                          hint="download the %s build of MicroPython"
                               % board.raw.get("micropython_firmware"))
    if img.checksum != img.calculate_checksum():
        raise HwTestError("firmware_image", "%s: checksum does not match (damaged file?)" % what)
    if img.append_digest and img.stored_digest != img.calc_digest:
        raise HwTestError("firmware_image", "%s: SHA-256 digest does not match (damaged file?)"
                          % what)
    return img


def image_length(data, what):
    """Bytes an ESP-IDF image occupies: headers, segments, checksum, and the SHA-256 digest when
    the extended header says one is appended. Bounded by len(data)."""
    import struct
    if len(data) < 24 or data[0] != ESP_IMAGE_MAGIC:
        raise HwTestError("firmware_image", "%s is not an ESP image" % what)
    pos = 24
    for _ in range(data[1]):
        if pos + 8 > len(data):
            raise HwTestError("firmware_image", "%s is truncated" % what)
        _, n = struct.unpack_from("<II", data, pos)
        pos += 8 + n
    pos += 16 - pos % 16           # zero padding, the checksum in the last byte of the line
    if data[23] == 1:
        pos += 32
    if pos > len(data):
        raise HwTestError("firmware_image", "%s is truncated" % what)
    return pos


def split_firmware(board, firmware, bootloader=None):
    """The tester's MicroPython -> (bootloader bytes, app bytes).

    MicroPython's released .bin holds bootloader, partition table and app from the bootloader
    offset on; a bare app .bin (from a MicroPython build's build-*/micropython.bin) needs the
    bootloader beside it. The released table is replaced by the board's own (it has no store
    partition)."""
    if len(firmware) > MAX_FIRMWARE_BYTES:
        raise HwTestError("firmware_image", "firmware file larger than %d bytes"
                          % MAX_FIRMWARE_BYTES)
    table_at = board.partition_table_offset - board.bootloader_offset
    app_at = board.app_offset - board.bootloader_offset
    combined = (len(firmware) > app_at and firmware[table_at:table_at + 2] == parttable.MAGIC)
    if combined:
        if bootloader is not None:
            raise HwTestError("firmware_image", "the firmware already holds a bootloader; "
                              "give either a combined .bin or an app .bin with --bootloader")
        boot = firmware[:image_length(firmware[:table_at], "bootloader")]
        app = firmware[app_at:]
    else:
        if bootloader is None:
            raise HwTestError("bootloader_missing", "the firmware is a bare application image "
                              "and no bootloader was given",
                              hint="use MicroPython's released .bin (it holds the bootloader) "
                                   "or add --bootloader build-*/bootloader/bootloader.bin")
        boot, app = bootloader, firmware
    _esp_image(board, boot, "bootloader")
    _esp_image(board, app, "MicroPython application")
    check_fits("bootloader", len(boot), table_at)
    check_fits("MicroPython application", len(app), board.app_partition.size)
    return boot, app


def check_fits(what, size, room):
    if size > room:
        raise HwTestError("image_too_large", "%s is %d bytes, %d more than its partition holds "
                          "(%d)" % (what, size, size - room, room),
                          hint="nothing was written to the board; use a smaller build or a "
                               "board definition with a larger partition")


# --- the build -----------------------------------------------------------------------------------

def _sha(data):
    return hashlib.sha256(data).hexdigest()


def merge(board, parts, out_path):
    """esptool merge-bin of [(offset, path)] into out_path, the output starting at the
    bootloader offset (where it is written)."""
    cmd = [sys.executable, "-m", "esptool", "--chip", board.chip, "merge-bin", "-o",
           str(out_path), "--target-offset", hex(board.bootloader_offset)]
    for off, path in parts:
        cmd += [hex(off), str(path)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise HwTestError("merge_bin", "esptool merge-bin failed: " + (r.stderr or r.stdout)[-600:])
    return cmd


def build(board, firmware_path, out_dir, bootloader_path=None, provision_path=None,
          root=REPO, log=None, variant=None):
    """Build the board's images into out_dir; returns the build manifest (also written as
    out_dir/build.json). Nothing is written unless every part fits its partition."""
    t0 = time.monotonic()
    if isinstance(board, str):
        board = load_board(board)
    firmware = Path(firmware_path).read_bytes()
    boot_in = Path(bootloader_path).read_bytes() if bootloader_path else None
    boot, app = split_firmware(board, firmware, boot_in)
    provision = read_provision(provision_path) if provision_path else None
    files, fs_manifest = filesystem_files(board, provision, root, variant)
    vfs = build_filesystem(board, files)
    table = parttable.build(board)
    if not parttable.matches_board(parttable.parse(table), board):
        raise HwTestError("partition_table", "the built table does not parse back to the board")
    check_fits("partition table", len(table),
               board.partitions[0].offset - board.partition_table_offset)
    check_fits("filesystem image", len(vfs), board.vfs_partition.size)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    blobs = {"bootloader": (board.bootloader_offset, boot),
             "partition-table": (board.partition_table_offset, table),
             # erased, as ESP-IDF's ota_data_initial.bin: the bootloader starts ota_0 (a board
             # updated before would otherwise go on starting its other slot)
             "otadata": (board.otadata_partition.offset, b"\xff" * board.otadata_partition.size),
             "micropython": (board.app_offset, app),
             "vfs": (board.vfs_partition.offset, vfs)}
    parts = []
    for name in PARTS:
        off, data = blobs[name]
        path = out / (name + ".bin")
        path.write_bytes(data)
        parts.append({"name": name, "offset": off, "size": len(data), "sha256": _sha(data),
                      "file": path.name})
    merged = out / ("%s-merged.bin" % board.name)
    merge(board, [(p["offset"], out / p["file"]) for p in parts], merged)
    mdata = merged.read_bytes()
    manifest = {
        "board": board.name, "chip": board.chip, "flash_size": board.flash_size,
        "parts": parts,
        "merged": {"file": merged.name, "offset": board.bootloader_offset, "size": len(mdata),
                   "sha256": _sha(mdata)},
        "firmware_hash": fs_manifest["firmware_hash"],
        "variant": fs_manifest["variant"],
        "filesystem": {"files": sorted(files), "bytes": sum(len(v) for v in files.values()),
                       "micropython_modules": fs_manifest["micropython_modules"]},
        "provisioned": provision is not None,
        "build_seconds": round(time.monotonic() - t0, 3),
    }
    (out / "build.json").write_text(json.dumps(manifest, indent=1) + "\n")
    if log:
        log("built %s for %s in %.1f s: %s" % (merged, board.name, manifest["build_seconds"],
            ", ".join("%s %d B at 0x%x" % (p["name"], p["size"], p["offset"]) for p in parts)))
    return manifest


def load_build(out_dir, board=None):
    """A build directory's manifest, every part's hash and size re-checked against the files and
    its partition (so a file swapped after the build is refused before flashing)."""
    out = Path(out_dir)
    try:
        manifest = json.loads((out / "build.json").read_text())
    except (OSError, ValueError) as e:
        raise HwTestError("build_missing", "no readable build.json in %s (%s)" % (out, e),
                          hint="run `mycroft-lc board image build` first")
    board = board or load_board(manifest["board"])
    room = {"bootloader": board.partition_table_offset - board.bootloader_offset,
            "partition-table": parttable.TABLE_LENGTH,
            "otadata": board.otadata_partition.size,
            "micropython": board.app_partition.size, "vfs": board.vfs_partition.size}
    want_offset = {"bootloader": board.bootloader_offset,
                   "partition-table": board.partition_table_offset,
                   "otadata": board.otadata_partition.offset,
                   "micropython": board.app_offset, "vfs": board.vfs_partition.offset}
    for p in manifest["parts"]:
        data = (out / p["file"]).read_bytes()
        if _sha(data) != p["sha256"]:
            raise HwTestError("build_changed", "%s changed since the build" % p["file"],
                              hint="rebuild with `mycroft-lc board image build`")
        if p["offset"] != want_offset[p["name"]]:
            raise HwTestError("build_layout", "%s is at 0x%x, the board says 0x%x"
                              % (p["name"], p["offset"], want_offset[p["name"]]))
        check_fits(p["name"], len(data), room[p["name"]])
    # `flash --merged` writes this one file: the same checks, against the whole flash
    m = manifest["merged"]
    data = (out / m["file"]).read_bytes()
    if _sha(data) != m["sha256"]:
        raise HwTestError("build_changed", "%s changed since the build" % m["file"],
                          hint="rebuild with `mycroft-lc board image build`")
    if m["offset"] != board.bootloader_offset:
        raise HwTestError("build_layout", "%s is at 0x%x, the board says 0x%x"
                          % (m["file"], m["offset"], board.bootloader_offset))
    check_fits(m["file"], len(data), board.flash_size - board.bootloader_offset)
    return manifest, board
