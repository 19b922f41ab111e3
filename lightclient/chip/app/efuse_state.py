# How well the device key is protected, read from the chip's own eFuses (BLOCK0), so the answer
# comes from the silicon and not from what a Pi or a record claims.
#
#   key_protection(chip, read_word) -> "yes (...)", "partial (...)" or "no (development board)"
#   read_word(i): BLOCK0's read word i (on a board: machine.mem32[BLOCK0_READ[chip] + 4 * i])
#
# Field positions (word, bit, length) are espefuse 5.6's tables for each chip
# (espefuse/efuse/<chip>/fields); tests/hwtest/test_release_efuses.py checks them against the
# words espefuse writes into its virtual eFuse files. Shared subset: CPython and MicroPython.

DEVELOPMENT = "no (development board)"

# BLOCK0's first read register (espefuse/efuse/<chip>/mem_definition.py).
BLOCK0_READ = {"esp32": 0x3FF5A000, "esp32s3": 0x60007000 + 0x2C, "esp32c3": 0x60008800 + 0x2C}

FIELDS = {
    "esp32": {"crypt_cnt": (0, 20, 7), "secure_boot": (6, 5, 1), "download_off": (0, 27, 1),
              "jtag_off": (6, 6, 1)},
    "esp32s3": {"crypt_cnt": (2, 18, 3), "secure_boot": (3, 20, 1), "download_off": (4, 0, 1),
                "secure_download": (4, 5, 1), "jtag_off": (1, 19, 1), "usb_jtag_off": (3, 22, 1)},
    "esp32c3": {"crypt_cnt": (2, 18, 3), "secure_boot": (3, 20, 1), "download_off": (4, 0, 1),
                "secure_download": (4, 5, 1), "jtag_off": (1, 19, 1), "usb_jtag_off": (1, 9, 1)},
}
# The counter's value once every bit is burned: encryption on, and never turned off again.
CRYPT_RELEASE = {"esp32": 0x7F, "esp32s3": 7, "esp32c3": 7}


def _bits(v):
    n = 0
    while v:
        n += v & 1
        v >>= 1
    return n


def read_fields(chip, read_word):
    """-> {field: int} for the chip's security fields; KeyError for a chip not in FIELDS."""
    out = {}
    for name, (word, pos, length) in FIELDS[chip].items():
        out[name] = (read_word(word) >> pos) & ((1 << length) - 1)
    return out


def protection(chip, fields):
    """-> (missing protections as a list of words, whether anything was burned at all)."""
    cnt = fields["crypt_cnt"]
    missing = []
    if cnt != CRYPT_RELEASE[chip]:
        missing.append("flash encryption" if _bits(cnt) % 2 == 0
                       else "flash encryption release mode")
    if not fields["secure_boot"]:
        missing.append("secure boot")
    if not (fields["download_off"] or fields.get("secure_download")):
        missing.append("download mode")
    if not fields["jtag_off"] or not fields.get("usb_jtag_off", 1):
        missing.append("JTAG")
    touched = cnt or fields["secure_boot"] or fields["download_off"] or \
        fields.get("secure_download") or fields["jtag_off"]
    return missing, bool(touched)


def key_protection(chip, read_word):
    if chip not in FIELDS:
        return "unknown (no eFuse table for " + str(chip) + ")"
    missing, touched = protection(chip, read_fields(chip, read_word))
    if not missing:
        return "yes (flash encryption release mode, secure boot v2, download mode locked, JTAG off)"
    if not touched:
        return DEVELOPMENT
    return "partial (open: " + ", ".join(missing) + ")"
