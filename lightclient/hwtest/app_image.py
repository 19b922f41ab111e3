"""ESP-IDF app images for a real board's OTA slots (docs/ota.md, "What the slots hold"): the
file `idf.py build` (MicroPython 1.27's esp32 port with the firmware frozen in) writes, checked
with esptool's own image parser before `mycroft-lc board release build --app` signs it. ESP-IDF
cannot be installed here (no toolchain in a package registry), so the image is built elsewhere;
this is what can be checked of it without the chip.

Each check names itself (HwTestError.check): app_size, app_magic, app_segments, app_parse,
app_chip, app_checksum, app_sha256, app_trailing, app_secure_boot, app_release_key.

With secure boot on, the app image carries a Secure Boot V2 signature sector (the esptool
package's `espsecure sign-data --version 2 --keyfile KEY.pem`: the image padded with 0xFF to a
4 KiB boundary, then one 4 KiB sector of signature blocks); given the public key, espsecure's
own verify_signature_v2 checks it, as the board's bootloader will.
"""

import contextlib
import io
import struct

from lightclient.hwtest.errors import HwTestError

APP_MAGIC = 0xE9          # ESP_IMAGE_HEADER_MAGIC
MAX_SEGMENTS = 16         # ESP_IMAGE_MAX_SEGMENTS
HEADER = 24               # esp_image_header_t
SECTOR = 4096             # Secure Boot V2: the signature sector is 4 KiB aligned


def _fail(check, message, **details):
    raise HwTestError(check, message, hint="build the app image with ESP-IDF for this board's "
                      "chip (docs/ota.md, \"What the slots hold\")", **details)


def check_app_image(data, chip, slot_size, release_key_hex=None, secure_boot_key=None):
    """data: the app image file; chip: the board's chip ("esp32", "esp32c3", ...); slot_size:
    the board's ota_0 size; release_key_hex: the release key the firmware must carry frozen
    in (its 64 hex characters appear as they are in the frozen module's constants);
    secure_boot_key: the Secure Boot V2 public key (PEM bytes) whose signature sector the
    image must end with, or None (no secure boot: nothing may follow the digest).
    -> {"segments", "bytes", "entry", "chip_id"}; HwTestError naming the first check failed."""
    from esptool.bin_image import LoadFirmwareImage
    from esptool.util import FatalError
    if not HEADER < len(data) <= slot_size:
        _fail("app_size", "an app image of %d bytes: not between its header (%d) and the "
              "slot's size (%d)" % (len(data), HEADER, slot_size), length=len(data),
              slot=slot_size)
    if data[0] != APP_MAGIC:
        _fail("app_magic", "not an ESP-IDF app image (magic 0x%02x, not 0xE9)" % data[0])
    if not 0 < data[1] <= MAX_SEGMENTS:
        _fail("app_segments", "%d segments (ESP-IDF loads 1..16)" % data[1])
    try:
        img = LoadFirmwareImage(chip, bytes(data))
    except (FatalError, RuntimeError, struct.error, KeyError) as e:
        _fail("app_parse", "esptool cannot parse the image: %s" % e)
    want = img.ROM_LOADER.IMAGE_CHIP_ID
    if img.chip_id != want:
        _fail("app_chip", "the image is for chip id %d, the board's %s is %d"
              % (img.chip_id, chip, want), image=img.chip_id, board=want)
    if img.checksum != img.calculate_checksum():
        _fail("app_checksum", "the segments do not match the image's checksum")
    if not img.append_digest:
        _fail("app_sha256", "the image has no appended SHA-256 (ESP-IDF apps carry one)")
    if img.stored_digest != img.calc_digest:
        _fail("app_sha256", "the appended SHA-256 is not the image's")
    end = img.data_length + len(img.stored_digest)
    if secure_boot_key is not None:
        _check_secure_boot(data, end, secure_boot_key)
    elif len(data) != end:
        _fail("app_trailing", "%d bytes after the image's digest (a Secure Boot V2 signed "
              "image needs the secure boot key to be checked)" % (len(data) - end))
    if release_key_hex is not None and release_key_hex.encode() not in data:
        _fail("app_release_key", "the firmware does not carry this release key frozen in "
              "(lightclient/chip/app/release_key.py of its build)", key=release_key_hex)
    return {"segments": len(img.segments), "bytes": len(data), "entry": img.entrypoint,
            "chip_id": img.chip_id}


def _check_secure_boot(data, end, key_pem):
    """The image, 0xFF up to a 4 KiB boundary, one signature sector that espsecure verifies
    with the secure boot key."""
    import espsecure
    from esptool.util import FatalError
    signed = (end + SECTOR - 1) // SECTOR * SECTOR
    if len(data) != signed + SECTOR or data[end:signed] != b"\xff" * (signed - end):
        _fail("app_secure_boot", "not an app image padded to 4 KiB and one Secure Boot V2 "
              "signature sector (espsecure sign-data --version 2)", length=len(data))
    try:
        with contextlib.redirect_stdout(io.StringIO()):   # espsecure reports on stdout
            espsecure.verify_signature_v2(False, None, io.BytesIO(key_pem), io.BytesIO(data))
    except (FatalError, ValueError) as e:
        _fail("app_secure_boot", "the Secure Boot V2 signature does not verify with the "
              "secure boot key: %s" % str(e)[:200])
