"""The ESP-IDF partition table binary (the format gen_esp32part.py writes and the 2nd-stage
bootloader reads at partition_table_offset), built from a board definition and parsed back.

Layout: 32-byte entries `<2sBBLL16sL`: magic AA 50, type, subtype, offset, size, label (NUL
padded), flags; then an MD5 entry (EB EB, 14 x FF, MD5 of all entries before it); then FF up to
0xC00 bytes (the last 1 KiB of the sector is left for a secure-boot v1 signature).
"""

import hashlib
import struct

from lightclient.hwtest.boards import SUBTYPES
from lightclient.hwtest.errors import HwTestError

ENTRY = struct.Struct("<2sBBLL16sL")
MAGIC = b"\xaa\x50"
MD5_MAGIC = b"\xeb\xeb" + b"\xff" * 14
TABLE_LENGTH = 0xC00
MAX_ENTRIES = TABLE_LENGTH // ENTRY.size - 1   # room for the MD5 entry


def build(board):
    """Board -> partition table bytes (TABLE_LENGTH long)."""
    if len(board.partitions) > MAX_ENTRIES:
        raise HwTestError("partition_table", "too many partitions", count=len(board.partitions))
    out = b""
    for p in board.partitions:
        out += ENTRY.pack(MAGIC, p.type, p.subtype, p.offset, p.size,
                          p.name.encode().ljust(16, b"\0"), 0)
    out += MD5_MAGIC + hashlib.md5(out).digest()
    return out + b"\xff" * (TABLE_LENGTH - len(out))


def to_csv(board):
    """Board -> the partition table as gen_esp32part.py's CSV (what an ESP-IDF build of the
    firmware takes as CONFIG_PARTITION_TABLE_CUSTOM_FILENAME)."""
    lines = ["# %s: generated from board/%s.json by mycroft-lc (do not edit)"
             % (board.name, board.name), "# Name, Type, SubType, Offset, Size, Flags"]
    for p in board.partitions:
        sub = [k for k, v in SUBTYPES[p.type_name].items() if v == p.subtype]
        lines.append("%s, %s, %s, 0x%x, 0x%x," % (p.name, p.type_name,
                                                 sub[0] if sub else "0x%02x" % p.subtype,
                                                 p.offset, p.size))
    return "\n".join(lines) + "\n"


def parse(data):
    """Partition table bytes -> [dict(name, type, subtype, offset, size, flags)]; raises
    HwTestError on a bad magic, a missing or wrong MD5 entry, or a table with no end."""
    entries = []
    for i in range(0, min(len(data), TABLE_LENGTH), ENTRY.size):
        raw = data[i:i + ENTRY.size]
        if len(raw) < ENTRY.size:
            break
        if raw[:2] == MD5_MAGIC[:2]:
            if raw[:16] != MD5_MAGIC or raw[16:] != hashlib.md5(data[:i]).digest():
                raise HwTestError("partition_table", "MD5 entry does not match the entries",
                                  at=i)
            return entries
        if raw == b"\xff" * ENTRY.size:
            break
        magic, ptype, subtype, offset, size, label, flags = ENTRY.unpack(raw)
        if magic != MAGIC:
            raise HwTestError("partition_table", "bad entry magic", at=i, magic=magic.hex())
        entries.append({"name": label.rstrip(b"\0").decode("ascii", "replace"), "type": ptype,
                        "subtype": subtype, "offset": offset, "size": size, "flags": flags})
    raise HwTestError("partition_table", "no MD5 entry: table truncated or not written by us",
                      entries=len(entries))


def matches_board(entries, board):
    """True when the parsed table is exactly the board's partitions."""
    want = [(p.name, p.type, p.subtype, p.offset, p.size) for p in board.partitions]
    got = [(e["name"], e["type"], e["subtype"], e["offset"], e["size"]) for e in entries]
    return want == got
