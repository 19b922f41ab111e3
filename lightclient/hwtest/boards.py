"""Board definitions (board/*.json, see board/README.md), loaded and checked.

Every offset and size the tools use comes from here. The few values a board file states twice
(`app_offset` and the app partition's offset, `vfs.block_count` and the vfs partition's size,
the store's sector geometry and its partition's size) are checked against the partition table,
so a wrong edit fails loudly instead of producing an image that boots into a broken layout.
"""

import json
from pathlib import Path

from lightclient.hwtest.errors import HwTestError
from lightclient.hwtest.paths import board_dir

BOARD_DIR = board_dir()

SECTOR = 0x1000            # flash erase unit; data partitions align to it
APP_ALIGN = 0x10000        # ESP-IDF: app partitions start on a 64 KiB boundary (MMU page)
TABLE_SECTOR = 0x1000      # the partition table owns one sector
MAX_BOARD_FILE = 64 * 1024
CHIPS = ("esp32", "esp32s2", "esp32s3", "esp32c3", "esp32c6", "esp32h2")

# ESP-IDF partition types and subtypes (esp_partition.h / gen_esp32part.py).
TYPES = {"app": 0x00, "data": 0x01}
SUBTYPES = {
    "app": {"factory": 0x00, "test": 0x20, **{"ota_%d" % i: 0x10 + i for i in range(16)}},
    "data": {"ota": 0x00, "phy": 0x01, "nvs": 0x02, "coredump": 0x03, "nvs_keys": 0x04,
             "efuse": 0x05, "undefined": 0x06, "esphttpd": 0x80, "fat": 0x81, "spiffs": 0x82,
             "littlefs": 0x83},
}


def _fail(board, message, **details):
    raise HwTestError("board_definition", "%s: %s" % (board, message),
                      hint="fix board/%s.json (fields in board/README.md)" % board, **details)


def _int(board, v, field):
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        _fail(board, "%s must be a non-negative integer" % field, value=repr(v))
    return v


class Partition:
    def __init__(self, name, type_name, type_code, subtype_code, offset, size):
        self.name = name
        self.type_name = type_name
        self.type = type_code
        self.subtype = subtype_code
        self.offset = offset
        self.size = size

    @property
    def end(self):
        return self.offset + self.size

    def __repr__(self):
        return "Partition(%s, 0x%x+0x%x)" % (self.name, self.offset, self.size)


class Board:
    """A checked board definition. `raw` is the file's JSON (what goes into the image as
    board.json, unchanged)."""

    def __init__(self, raw, path):
        self.raw = raw
        self.path = path
        self.name = raw["name"]
        self.chip = raw["chip"]
        self.flash_size = raw["flash_size"]
        self.bootloader_offset = raw["bootloader_offset"]
        self.partition_table_offset = raw["partition_table_offset"]
        self.partitions = []
        self.vfs = raw["vfs"]
        self.store = raw["store"]
        self.paylog = raw.get("paylog")  # the payment counter log's partition (two sectors)
        self.seqlog = raw.get("seqlog")  # the transaction sequence log's partition (two sectors)
        self.uart = raw["uart"]
        self.micropython_heap = raw["micropython_heap"]

    def partition(self, name):
        for p in self.partitions:
            if p.name == name:
                return p
        raise HwTestError("board_definition", "%s has no partition %r" % (self.name, name))

    @property
    def app_partition(self):
        return [p for p in self.partitions if p.type_name == "app"][0]

    @property
    def otadata_partition(self):
        return self.partition("otadata")

    @property
    def vfs_partition(self):
        return self.partition(self.vfs["partition"])

    @property
    def app_offset(self):
        return self.app_partition.offset


def _subtype(board, type_name, v):
    if isinstance(v, str):
        if v in SUBTYPES[type_name]:
            return SUBTYPES[type_name][v]
        try:
            code = int(v, 0)
        except ValueError:
            _fail(board, "unknown %s subtype %r" % (type_name, v))
    else:
        code = _int(board, v, "subtype")
    if not 0 <= code <= 0xFE:
        _fail(board, "subtype out of range", subtype=v)
    return code


def check_board(raw, path="<memory>"):
    """raw JSON of a board file -> Board, after checking every layout rule."""
    if not isinstance(raw, dict):
        raise HwTestError("board_definition", "%s: a board file holds a JSON object" % path)
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise HwTestError("board_definition", "%s: board has no name" % path)
    for f in ("chip", "flash_size", "bootloader_offset", "partition_table_offset", "app_offset",
              "partitions", "vfs", "store", "uart", "micropython_heap"):
        if f not in raw:
            _fail(name, "field %r missing" % f)
    if raw["chip"] not in CHIPS:
        _fail(name, "unknown chip %r" % raw["chip"], known=list(CHIPS))
    for f in ("flash_size", "bootloader_offset", "partition_table_offset", "app_offset"):
        _int(name, raw[f], f)
    b = Board(raw, path)
    if b.partition_table_offset % SECTOR or b.bootloader_offset >= b.partition_table_offset:
        _fail(name, "the partition table must be sector aligned and after the bootloader",
              bootloader_offset=b.bootloader_offset,
              partition_table_offset=b.partition_table_offset)
    if not isinstance(raw["partitions"], list) or not raw["partitions"]:
        _fail(name, "partitions must be a non-empty list")
    prev_end = b.partition_table_offset + TABLE_SECTOR
    seen = set()
    for i, p in enumerate(raw["partitions"]):
        if not isinstance(p, dict):
            _fail(name, "partition %d is not an object" % i)
        pname = p.get("name")
        if not isinstance(pname, str) or not 0 < len(pname.encode()) <= 16 or pname in seen:
            _fail(name, "partition %d: name must be unique and 1..16 bytes" % i, name=pname)
        seen.add(pname)
        tname = p.get("type")
        if tname not in TYPES:
            _fail(name, "partition %s: type must be app or data" % pname, type=tname)
        off = _int(name, p.get("offset"), pname + ".offset")
        size = _int(name, p.get("size"), pname + ".size")
        align = APP_ALIGN if tname == "app" else SECTOR
        if off % align or size % SECTOR or size == 0:
            _fail(name, "partition %s: offset must be 0x%x aligned and size a non-zero multiple "
                  "of 0x%x" % (pname, align, SECTOR), offset=off, size=size)
        if off < prev_end:
            _fail(name, "partition %s overlaps what comes before it (partitions in order, "
                  "the first after the partition table's sector)" % pname,
                  offset=off, previous_end=prev_end)
        prev_end = off + size
        b.partitions.append(Partition(pname, tname, TYPES[tname],
                                      _subtype(name, tname, p.get("subtype")), off, size))
    if prev_end > b.flash_size:
        _fail(name, "partitions end past the flash", end=prev_end, flash_size=b.flash_size)
    apps = [p for p in b.partitions if p.type_name == "app"]
    if not apps:
        _fail(name, "no app partition")
    if [(p.name, p.subtype, p.size) for p in apps] != [("ota_0", 0x10, apps[0].size),
                                                        ("ota_1", 0x11, apps[0].size)]:
        _fail(name, "the app partitions must be two slots ota_0 and ota_1 of one size "
              "(firmware updates, docs/ota.md)", apps=[p.name for p in apps])
    od = [p for p in b.partitions if p.type_name == "data" and p.subtype == 0x00]
    if [(p.name, p.size) for p in od] != [("otadata", 0x2000)]:
        _fail(name, "one otadata partition (data, ota) of 0x2000 bytes: the slot choice")
    if raw["app_offset"] != apps[0].offset:
        _fail(name, "app_offset disagrees with the app partition %s" % apps[0].name,
              app_offset=raw["app_offset"], partition_offset=apps[0].offset)
    vfs = b.vfs
    if not isinstance(vfs, dict) or vfs.get("filesystem") != "littlefs2":
        _fail(name, "vfs.filesystem must be littlefs2")
    for f in ("block_size", "block_count", "read_size", "prog_size", "lookahead_size"):
        _int(name, vfs.get(f), "vfs." + f)
    vp = b.partition(vfs.get("partition"))
    if vp.type_name != "data" or vfs["block_size"] * vfs["block_count"] != vp.size:
        _fail(name, "vfs block_size x block_count must equal the %s partition's size" % vp.name,
              block_size=vfs["block_size"], block_count=vfs["block_count"], size=vp.size)
    if not 16 * 1024 <= _int(name, raw["micropython_heap"], "micropython_heap") <= 8 << 20:
        _fail(name, "micropython_heap must be between 16 KiB and 8 MiB",
              value=raw["micropython_heap"])
    feats = raw.get("features") or {}
    if not isinstance(feats, dict):
        _fail(name, "features must be an object")
    for f in ("secure_boot_v2_min_revision", "download_lock_min_revision"):
        if f in feats:
            _int(name, feats[f], "features." + f)
    if feats.get("download_lock", "secure") not in ("secure", "disable"):
        _fail(name, "features.download_lock must be secure or disable",
              value=feats.get("download_lock"))
    st = b.store
    sp = b.partition(st.get("partition"))
    if (_int(name, st.get("sector_size"), "store.sector_size")
            * _int(name, st.get("sector_count"), "store.sector_count") != sp.size):
        _fail(name, "store sector_size x sector_count must equal the %s partition's size"
              % sp.name, size=sp.size)
    logs = []
    for what, pl in (("paylog", b.paylog), ("seqlog", b.seqlog)):
        if pl is None:
            continue
        if not isinstance(pl, dict):
            _fail(name, what + " must be an object")
        pp = b.partition(pl.get("partition"))
        if (pp.type_name != "data" or pp is sp or pp in logs
                or _int(name, pl.get("sector_count"), what + ".sector_count") != 2
                or _int(name, pl.get("sector_size"), what + ".sector_size") * 2 != pp.size):
            _fail(name, what + ": two sectors filling a data partition of its own",
                  partition=pp.name, size=pp.size)
        logs.append(pp)
    return b


def board_files():
    return sorted(BOARD_DIR.glob("*.json"))


def board_names():
    return [p.stem for p in board_files()]


def load_board(name_or_path):
    """A board by name (board/<name>.json) or by path to a JSON file."""
    p = Path(name_or_path)
    if not p.suffix == ".json":
        p = BOARD_DIR / (str(name_or_path) + ".json")
    if not p.is_file():
        raise HwTestError("board_unknown", "no board definition %s" % p,
                          hint="known boards: " + ", ".join(board_names()))
    data = p.read_bytes()
    if len(data) > MAX_BOARD_FILE:
        raise HwTestError("board_definition", "%s is larger than %d bytes" % (p, MAX_BOARD_FILE))
    try:
        raw = json.loads(data)
    except ValueError as e:
        raise HwTestError("board_definition", "%s is not valid JSON: %s" % (p, e))
    b = check_board(raw, str(p))
    if p.parent == BOARD_DIR and b.name != p.stem:
        _fail(b.name, "the board's name must be its file name", file=p.name)
    return b
