# ESP-IDF app images for the tests, written by esptool's own image classes (esptool.bin_image:
# header, extended header with the chip id, segments, XOR checksum, appended SHA-256), so what
# the stand-in esp32 (fake_esp32.app_image_fault) and the release build's check accept is
# esptool's layout, not ours. A real one is MicroPython's esp32 port built by ESP-IDF.
import hashlib

from esptool.bin_image import ELFSection, LoadFirmwareImage

# a flash-mapped (DROM) and an IRAM load address per chip, as an ESP-IDF app's segments have
ADDRESSES = {"esp32": (0x3F400020, 0x40080000), "esp32c3": (0x3C000020, 0x40380000),
             "esp32s3": (0x3C000020, 0x40378000)}


def app_image(tag, size=6000, chip="esp32", embed=b""):
    """-> the bytes of an app image for `chip` with two segments whose contents derive from
    `tag` (and carry `embed`, e.g. a frozen release key's text)."""
    cls = type(LoadFirmwareImage(chip, _minimal(chip)))
    img = cls()
    drom, iram = ADDRESSES[chip]
    fill = hashlib.sha256(tag.encode()).digest() * (size // 32 + 1)
    rodata = (embed + fill)[:size - size % 4]
    img.entrypoint = iram
    img.segments = [ELFSection(b".flash.rodata", drom, rodata, 0),
                    ELFSection(b".iram0.text", iram, fill[:256], 0)]
    return img.save(None)


def _minimal(chip):
    # the class esptool uses for `chip` is the one LoadFirmwareImage picks: ask it with the
    # smallest image it parses (no segment, checksum byte, no digest)
    ids = {"esp32": 0, "esp32c3": 5, "esp32s3": 9}
    head = bytes([0xE9, 0, 2, 0x20, 0, 0, 0, 0, 0xEE, 0, 0, 0, ids[chip], 0, 0, 0, 0, 0, 0,
                  0, 0, 0, 0, 0])
    return head + bytes(7) + b"\xef"


def flipped(data, at):
    b = bytearray(data)
    b[at] ^= 0x01
    return bytes(b)
