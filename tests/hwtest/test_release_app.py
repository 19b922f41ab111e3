# A real board's release (`mycroft-lc board release build --app firmware.bin --board B`,
# lightclient/hwtest/release_build.py and app_image.py): an ESP-IDF app image built elsewhere,
# checked with esptool's own parser, signed as the release payload of kind "app"; anything else
# refused with the check it failed. The app images are written by esptool's classes
# (tests/firmware/esp_app_images.py), so the oracle is esptool.
import hashlib
import json
import sys
from pathlib import Path

import pytest

from lightclient import cli
from lightclient.chip.app import release_image as R
from lightclient.chip.crypto import ed25519
from lightclient.hwtest import release_build as RB
from lightclient.hwtest.boards import load_board
from lightclient.hwtest.errors import HwTestError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "firmware"))
import esp_app_images as A  # noqa: E402

SEED = hashlib.sha256(b"test release key").digest()
PUB = ed25519.public_key(SEED)
BOARD = load_board("esp32-devkitc")
GOOD = A.app_image("1.0.0", embed=PUB.hex().encode())


def test_an_esp_idf_app_image_is_signed_as_the_release_payload():
    img, summary = RB.build_app(SEED, GOOD, BOARD, "1.0.0", 2)
    assert summary["kind"] == "app" and summary["segments"] == 2
    m, start = R.check_head(img[:400], len(img), PUB, R.KIND_APP)
    assert img[start:] == GOOD and (m["v"], m["sv"], m["k"]) == ("1.0.0", 2, R.KIND_APP)
    # the same check the chip makes (kind included): a ROMFS board would refuse it
    approved = {hashlib.sha256(img).digest(): 2}
    assert R.check_image(lambda o, n: img[o:o + n], len(img), PUB, approved, 0,
                         R.KIND_APP)["v"] == "1.0.0"
    with pytest.raises(R.ReleaseError, match="release_kind"):
        R.check_image(lambda o, n: img[o:o + n], len(img), PUB, approved, 0, R.KIND_ROMFS)


def _patched(at, value):
    b = bytearray(GOOD)
    b[at] = value
    return bytes(b)


@pytest.mark.parametrize("app,check", [
    (b"\x00" + GOOD[1:], "app_magic"),
    (_patched(1, 17), "app_segments"),
    (GOOD[:600], "app_parse"),                                   # a segment cut short
    (A.app_image("1.0.0", chip="esp32c3", embed=PUB.hex().encode()), "app_chip"),
    (A.flipped(GOOD, 1000), "app_checksum"),                     # segment data
    (A.flipped(GOOD, 2), "app_sha256"),                          # the header's flash mode
    (GOOD + b"\xff" * 16, "app_trailing"),
    (A.app_image("1.0.0"), "app_release_key"),                   # another key frozen in
    (GOOD + b"\xff" * 0x160000, "app_size"),
])
def test_anything_else_is_refused_by_the_check_it_fails(app, check):
    with pytest.raises(HwTestError) as e:
        RB.build_app(SEED, app, BOARD, "1.0.0", 2)
    assert e.value.check == check, e.value


def test_the_cli_builds_an_app_release_and_the_key_module(tmp_path, capsys):
    key = tmp_path / "release.key"
    key.write_text(SEED.hex())
    app = tmp_path / "firmware.bin"
    app.write_bytes(GOOD)
    out = tmp_path / "r.img"
    assert cli.main(["board", "release", "build", "--key", str(key), "--version", "1.0.0",
                     "--security-version", "2", "--app", str(app), "--board",
                     "esp32-devkitc", "--out", str(out), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["kind"] == "app" and s["image_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    mod = tmp_path / "release_key.py"
    assert cli.main(["board", "release", "key-module", "--key", str(key), "--out",
                     str(mod)]) == 0
    ns = {}
    exec(mod.read_text(), ns)
    assert ns["RELEASE_KEY"] == PUB.hex()


def test_a_secure_boot_v2_signed_app_is_checked_with_espsecure(tmp_path):
    """With secure boot on, the app ends with the signature sector espsecure's sign-data
    appends; espsecure's own verify_signature_v2 checks it against the secure boot key."""
    import contextlib
    import io

    import espsecure
    pubs = []
    with contextlib.redirect_stdout(io.StringIO()):   # espsecure reports on stdout
        for n in range(2):   # RSA-3072: Secure Boot V2's scheme on the ESP32, C3 and S3
            key, pub = tmp_path / ("sb%d.pem" % n), tmp_path / ("pub%d.pem" % n)
            espsecure.generate_signing_key("2", "rsa3072", str(key))
            with open(key, "rb") as kf, open(pub, "wb") as pf:
                espsecure.extract_public_key("2", kf, pf)
            pubs.append(pub.read_bytes())
    app = tmp_path / "app.bin"
    board = load_board("esp32c3-devkitm")
    c3 = A.app_image("1.0.0", chip="esp32c3", embed=PUB.hex().encode())
    app.write_bytes(c3)
    with open(tmp_path / "sb0.pem", "rb") as kf, open(app, "rb") as df, \
            contextlib.redirect_stdout(io.StringIO()):
        espsecure.sign_data("2", [kf], str(tmp_path / "signed-c3.bin"), False, False, None,
                            None, None, df)
    signed = (tmp_path / "signed-c3.bin").read_bytes()
    img, s = RB.build_app(SEED, signed, board, "1.0.0", 2, secure_boot_key=pubs[0])
    assert s["secure_boot_signed"] and len(signed) % 4096 == 0 and signed.startswith(c3)
    other = A.app_image("1.0.1", chip="esp32c3", embed=PUB.hex().encode())
    moved = other + b"\xff" * (-len(other) % 4096) + signed[-4096:]   # another app's signature
    for bad, key in ((signed, pubs[1]), (moved, pubs[0]), (c3, pubs[0])):
        with pytest.raises(HwTestError) as e:
            RB.build_app(SEED, bad, board, "1.0.0", 2, secure_boot_key=key)
        assert e.value.check == "app_secure_boot", e.value
    with pytest.raises(HwTestError, match="app_trailing"):     # signed, but no key to check
        RB.build_app(SEED, signed, board, "1.0.0", 2)
