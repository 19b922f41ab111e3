"""Board definitions, the partition table, the littlefs image and the merged flash image."""

import copy
import json
import struct
import subprocess
import sys

import littlefs
import pytest
from esp_idf_defs import PartitionTable

import hw_fakes as fakes
from lightclient.hwtest import boards, image, parttable
from lightclient.hwtest.errors import HwTestError

BOARDS = boards.board_names()


def test_every_board_file_passes_the_layout_checks():
    assert len(BOARDS) >= 3
    for name in BOARDS:
        b = boards.load_board(name)
        assert b.app_offset == b.raw["app_offset"]
        assert b.vfs_partition.size == b.vfs["block_size"] * b.vfs["block_count"]
        assert b.partition(b.paylog["partition"]).size == 2 * b.paylog["sector_size"]
        assert b.partition(b.seqlog["partition"]).size == 2 * b.seqlog["sector_size"]


@pytest.mark.parametrize("mutate, check", [
    (lambda r: r.__setitem__("app_offset", r["app_offset"] + 0x10000), "app_offset"),
    (lambda r: r["vfs"].__setitem__("block_count", r["vfs"]["block_count"] + 1), "vfs"),
    (lambda r: r["partitions"][3].__setitem__("offset", r["partitions"][2]["offset"] + 0x10000),
     "overlaps"),                                                       # ota_1 inside ota_0
    (lambda r: r["partitions"][-1].__setitem__("size", r["partitions"][-1]["size"] * 2),
     "past the flash"),
    (lambda r: r["partitions"][0].__setitem__("offset", 0x9100), "aligned"),
    (lambda r: r["store"].__setitem__("sector_count", 63), "store"),
    (lambda r: r["paylog"].__setitem__("sector_count", 3), "paylog"),
    (lambda r: r["paylog"].__setitem__("partition", "lcstore"), "paylog"),
    (lambda r: r["seqlog"].__setitem__("partition", "lcpay"), "seqlog"),   # the payments' log
    (lambda r: r["partitions"][2].__setitem__("offset", 0x18000), "aligned"),   # ota_0
    (lambda r: r["partitions"][3].__setitem__("subtype", "factory"), "ota_0 and ota_1"),
    (lambda r: r["partitions"].pop(5), "otadata"),
    (lambda r: r.pop("micropython_heap"), "micropython_heap"),
    (lambda r: r.__setitem__("micropython_heap", 8 * 1024), "micropython_heap"),
    (lambda r: r["features"].__setitem__("download_lock", "open"), "download_lock"),
    (lambda r: r["features"].__setitem__("secure_boot_v2_min_revision", "3"),
     "secure_boot_v2_min_revision"),
])
def test_a_board_file_that_types_a_value_twice_differently_is_refused(mutate, check):
    raw = copy.deepcopy(boards.load_board("esp32-devkitc").raw)
    mutate(raw)
    with pytest.raises(HwTestError) as e:
        boards.check_board(raw)
    assert check in str(e.value)


@pytest.mark.parametrize("name", BOARDS)
def test_partition_table_parses_back_with_esp_idf_s_own_parser(name):
    b = boards.load_board(name)
    data = parttable.build(b)
    assert len(data) == parttable.TABLE_LENGTH
    ours = parttable.parse(data)
    assert parttable.matches_board(ours, b)
    # esp-idf-defs carries ESP-IDF's gen_esp32part.py: an independent reader of the format
    theirs = PartitionTable.from_binary(data)
    theirs.verify(partition_table_offset=b.partition_table_offset)
    assert [(p.name, p.type, p.subtype, p.offset, p.size) for p in theirs] == \
        [(p.name, p.type, p.subtype, p.offset, p.size) for p in b.partitions]
    assert theirs.to_binary() == data


@pytest.mark.parametrize("name", BOARDS)
def test_partition_csv_is_what_gen_esp32part_reads_into_the_same_table(name):
    b = boards.load_board(name)
    csv = parttable.to_csv(b)
    theirs = PartitionTable.from_csv(csv, partition_table_offset=b.partition_table_offset)
    theirs.verify(partition_table_offset=b.partition_table_offset)
    theirs.verify_size_fits(b.flash_size)
    assert theirs.to_binary() == parttable.build(b)
    slots = [(p.name, p.type, p.subtype) for p in theirs if p.type == 0]
    assert slots == [("ota_0", 0, 0x10), ("ota_1", 0, 0x11)]
    assert theirs.find_by_name("otadata").size == 0x2000


# Where a board provisioned by the previous version (one factory app partition) keeps its state:
# the device secret (nvs), the store and the two counter logs. The OTA layout leaves them in place,
# so re-flashing such a board with this version's image keeps its key and store.
KEPT = {"esp32-devkitc": (0x3BC000, 0x3BE000, 0x3C0000), "esp32c3-devkitm": (0x3BC000, 0x3BE000,
        0x3C0000), "esp32s3-devkitc": (0x7BC000, 0x7BE000, 0x7C0000)}


@pytest.mark.parametrize("name", BOARDS)
def test_a_board_provisioned_before_keeps_its_secret_and_store_across_the_new_layout(name):
    b = boards.load_board(name)
    seq, pay, store = KEPT[name]
    assert [(p.name, p.offset, p.size) for p in b.partitions
            if p.name in ("nvs", "lcseq", "lcpay", "lcstore")] == [
        ("nvs", 0x9000, 0x6000), ("lcseq", seq, 0x2000), ("lcpay", pay, 0x2000),
        ("lcstore", store, 0x40000)]
    kept = [b.partition(n) for n in ("nvs", "lcseq", "lcpay", "lcstore")]
    written = [b.partition(n) for n in ("otadata", "ota_0", "vfs")]
    assert not any(w.offset < k.end and k.offset < w.end for w in written for k in kept)
    assert b.partition_table_offset + parttable.TABLE_LENGTH <= 0x9000


def test_partition_table_damage_is_detected():
    data = bytearray(parttable.build(boards.load_board("esp32-devkitc")))
    data[4] ^= 1                        # first partition's offset
    with pytest.raises(HwTestError, match="MD5"):
        parttable.parse(bytes(data))
    with pytest.raises(HwTestError, match="no MD5"):
        parttable.parse(b"\xff" * parttable.TABLE_LENGTH)


def test_import_closure_follows_every_import_shape(fake_repo):
    files, external = image.import_closure(fake_repo)
    assert set(files) == fakes.FAKE_REPO_APP
    assert files["/main.py"] == fake_repo / "firmware" / "main.py"
    assert files["/lib/lightclient/txs.py"] == fake_repo / "lightclient" / "txs.py"
    assert external == ["esp32", "json", "machine", "struct", "sys"]


def test_missing_firmware_is_a_clear_error(tmp_path):
    with pytest.raises(HwTestError) as e:
        image.import_closure(tmp_path)
    assert e.value.check == "firmware_missing"


@pytest.mark.parametrize("name", ["esp32-devkitc", "esp32s3-devkitc"])
def test_filesystem_image_mounts_and_holds_exactly_the_expected_files(fake_repo, name, tmp_path):
    b = boards.load_board(name)
    prov = tmp_path / "p.json"
    prov.write_text('{"network": "scenarionet"}')
    files, manifest = image.filesystem_files(b, image.read_provision(prov), fake_repo)
    data = image.build_filesystem(b, files)
    assert len(data) == b.vfs_partition.size
    # mounted with littlefs-python directly, with the board's geometry
    v = b.vfs
    fs = littlefs.LittleFS(context=littlefs.UserContext(buffer=bytearray(data)), mount=False,
                           block_size=v["block_size"], block_count=v["block_count"],
                           read_size=v["read_size"], prog_size=v["prog_size"],
                           lookahead_size=v["lookahead_size"])
    fs.mount()
    found = {}
    for top, _, names in fs.walk("/"):
        for n in names:
            p = top.rstrip("/") + "/" + n
            with fs.open(p, "rb") as f:
                found[p] = f.read()
    assert set(found) == fakes.FAKE_REPO_APP | {"/board.json", "/provision.json", "/manifest.json"}
    for p in fakes.FAKE_REPO_APP:
        src = fake_repo / (p[len("/lib/"):] if p.startswith("/lib/") else "firmware" + p)
        assert found[p] == src.read_bytes(), p
    assert json.loads(found["/board.json"]) == b.raw
    assert json.loads(found["/provision.json"]) == {"network": "scenarionet"}
    m = json.loads(found["/manifest.json"])
    assert m["firmware_hash"] == manifest["firmware_hash"] == image.firmware_hash(
        {p: found[p] for p in fakes.FAKE_REPO_APP})
    # the superblock says littlefs on-disk 2.0 with MicroPython's block geometry
    st = fs.fs_stat()
    assert (st.block_size, st.block_count, st.disk_version) == (4096, v["block_count"], 0x20000)


def test_firmware_hash_changes_with_any_app_file_and_not_with_board_data(fake_repo):
    h1 = image.firmware_hash(image.app_files(fake_repo))
    (fake_repo / "lightclient" / "core" / "errors.py").write_text("# changed\n")
    h2 = image.firmware_hash(image.app_files(fake_repo))
    assert h1 != h2
    for name in BOARDS:
        _, m = image.filesystem_files(boards.load_board(name), None, fake_repo)
        assert m["firmware_hash"] == h2


def _firmware(tmp_path, board, app=None, released=True):
    app = app or fakes.app_image(board.chip)
    boot = fakes.bootloader_image(board.chip)
    if released:
        p = tmp_path / "mp.bin"
        p.write_bytes(fakes.released_firmware(board, app, boot))
        return p, None, app, boot
    p, bp = tmp_path / "app.bin", tmp_path / "bl.bin"
    p.write_bytes(app)
    bp.write_bytes(boot)
    return p, bp, app, boot


@pytest.mark.parametrize("name, released", [("esp32-devkitc", True), ("esp32s3-devkitc", False),
                                            ("esp32c3-devkitm", True)])
def test_merged_image_layout_matches_the_partition_table(fake_repo, tmp_path, name, released):
    b = boards.load_board(name)
    fw, bl, app, boot = _firmware(tmp_path, b, released=released)
    out = tmp_path / "out"
    m = image.build(name, fw, out, bootloader_path=bl, root=fake_repo)
    merged = (out / m["merged"]["file"]).read_bytes()
    base = m["merged"]["offset"]
    assert base == b.bootloader_offset

    def at(offset, n):
        return merged[offset - base:offset - base + n]

    assert at(b.bootloader_offset, len(boot)) == boot
    table = parttable.parse(at(b.partition_table_offset, parttable.TABLE_LENGTH))
    assert parttable.matches_board(table, b)
    by_name = {e["name"]: e for e in table}
    app_e = by_name[b.app_partition.name]
    assert at(app_e["offset"], len(app)) == app
    vfs_e = by_name["vfs"]
    vfs = at(vfs_e["offset"], vfs_e["size"])
    assert len(vfs) == vfs_e["size"]
    assert set(image.read_filesystem(b, vfs)) == set(m["filesystem"]["files"])
    assert len(merged) == max(p["offset"] + p["size"] for p in m["parts"]) - base
    # otadata erased: the bootloader starts ota_0, whatever a board updated before had chosen
    od = by_name["otadata"]
    assert at(od["offset"], od["size"]) == b"\xff" * od["size"] == b"\xff" * 0x2000
    # the gap between the app and the vfs partition is erased flash
    assert at(app_e["offset"] + len(app), 4096) == b"\xff" * 4096
    for p in m["parts"]:
        assert (out / p["file"]).stat().st_size == p["size"]


def test_esptool_image_info_accepts_the_application_and_bootloader(fake_repo, tmp_path):
    b = boards.load_board("esp32-devkitc")
    fw, _, app, _ = _firmware(tmp_path, b)
    out = tmp_path / "out"
    image.build(b.name, fw, out, root=fake_repo)
    for part in ("micropython.bin", "bootloader.bin"):
        r = subprocess.run([sys.executable, "-m", "esptool", "--chip", "esp32", "image-info",
                            str(out / part)], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "Checksum: 0x" in r.stdout and "(valid)" in r.stdout
        assert "Validation hash" in r.stdout and "(invalid)" not in r.stdout


def test_oversize_application_is_refused_before_anything_is_written(fake_repo, tmp_path):
    b = boards.load_board("esp32-devkitc")
    big = fakes.app_image("esp32", size=b.app_partition.size + 4096)
    fw, _, _, _ = _firmware(tmp_path, b, app=big)
    out = tmp_path / "out"
    with pytest.raises(HwTestError) as e:
        image.build(b.name, fw, out, root=fake_repo)
    assert e.value.check == "image_too_large"
    assert not out.exists()


def test_firmware_for_another_chip_or_damaged_is_refused(fake_repo, tmp_path):
    b = boards.load_board("esp32-devkitc")
    fw, _, _, _ = _firmware(tmp_path, b, app=fakes.app_image("esp32s3"))
    with pytest.raises(HwTestError) as e:
        image.build(b.name, fw, tmp_path / "o1", root=fake_repo)
    assert e.value.check == "firmware_chip"
    app = bytearray(fakes.app_image("esp32"))
    app[100] ^= 0xFF
    fw, _, _, _ = _firmware(tmp_path, b, app=bytes(app))
    with pytest.raises(HwTestError) as e:
        image.build(b.name, fw, tmp_path / "o2", root=fake_repo)
    assert e.value.check == "firmware_image"
    bare = tmp_path / "bare.bin"
    bare.write_bytes(fakes.app_image("esp32"))
    with pytest.raises(HwTestError) as e:
        image.build(b.name, bare, tmp_path / "o3", root=fake_repo)
    assert e.value.check == "bootloader_missing"
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"MZ" + bytes(5000))
    with pytest.raises(HwTestError) as e:
        image.build(b.name, junk, tmp_path / "o4", root=fake_repo)
    assert e.value.check in ("firmware_image", "bootloader_missing")


def test_a_part_changed_after_the_build_is_refused(fake_repo, tmp_path):
    b = boards.load_board("esp32-devkitc")
    fw, _, _, _ = _firmware(tmp_path, b)
    out = tmp_path / "out"
    image.build(b.name, fw, out, root=fake_repo)
    image.load_build(out)
    p = out / "vfs.bin"
    data = bytearray(p.read_bytes())
    data[0] ^= 1
    p.write_bytes(bytes(data))
    with pytest.raises(HwTestError) as e:
        image.load_build(out)
    assert e.value.check == "build_changed"


def test_a_merged_image_changed_or_moved_after_the_build_is_refused(fake_repo, tmp_path):
    """`flash --merged` writes the merged file alone: its bytes and its offset are checked like
    the parts', so a swapped file or an edited build.json never reaches esptool."""
    b = boards.load_board("esp32-devkitc")
    fw, _, _, _ = _firmware(tmp_path, b)
    out = tmp_path / "out"
    image.build(b.name, fw, out, root=fake_repo)
    merged = out / ("%s-merged.bin" % b.name)
    good = merged.read_bytes()
    merged.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    with pytest.raises(HwTestError) as e:
        image.load_build(out)
    assert e.value.check == "build_changed"
    merged.write_bytes(good)
    m = json.loads((out / "build.json").read_text())
    m["merged"]["offset"] = 0
    (out / "build.json").write_text(json.dumps(m))
    with pytest.raises(HwTestError) as e:
        image.load_build(out)
    assert e.value.check == "build_layout"


def test_image_length_reads_the_esp_image_format():
    for img in (fakes.app_image(), fakes.bootloader_image(), fakes.esp_image(digest=False)):
        assert image.image_length(img + b"\xff" * 64, "x") == len(img)
    with pytest.raises(HwTestError):
        image.image_length(fakes.app_image()[:1000], "x")
    # the header count says more segments than the bytes hold
    bad = bytearray(fakes.bootloader_image())
    bad[1] = 9
    with pytest.raises(HwTestError):
        image.image_length(bytes(bad), "x")
    assert struct.unpack_from("<B", fakes.app_image(), 0)[0] == 0xE9


# The image's files alone importing in MicroPython, per variant: tests/chip/test_boundary.py.


def test_the_real_firmware_builds_and_its_filesystem_holds_exactly_the_closure(tmp_path):
    b = boards.load_board("esp32-devkitc")
    fw, _, _, _ = _firmware(tmp_path, b)
    m = image.build(b.name, fw, tmp_path / "out")
    closure, _ = image.import_closure()
    fs = image.read_filesystem(b, (tmp_path / "out" / "vfs.bin").read_bytes())
    assert set(fs) == set(closure) | {"/board.json", "/manifest.json"} == set(
        m["filesystem"]["files"])
    for path, src in closure.items():
        assert fs[path] == src.read_bytes()
    assert "/main.py" in fs and "/lib/lightclient/chip/core/verifier.py" in fs
    assert not any("emulated" in p or "/tests/" in p or "/tools/" in p for p in fs)
    assert json.loads(fs["/manifest.json"])["firmware_hash"] == m["firmware_hash"]
