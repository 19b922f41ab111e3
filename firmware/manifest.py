# The chip's freeze manifest (MicroPython 1.27 manifest syntax, tools/manifestfile.py): what goes
# on the microcontroller, per image variant.
#   pure    the pure-Python crypto of lightclient/chip/crypto: any stock MicroPython 1.27 (default)
#   native  crypto from our C module `lccrypto`, compiled into the firmware as a user C module;
#           the pure-Python curve and SHA-512 modules are not shipped
# Frozen build: a board manifest with include("<repo>/firmware/manifest.py", variant="native")
# given to the port's make as FROZEN_MANIFEST. `mycroft-lc board image build --variant V` puts the
# same modules on the board's littlefs instead (with /main.py, which stays a file in both cases:
# the port runs /main.py from the filesystem). tests/chip/test_boundary.py checks that each list
# below equals the import closure of firmware/main.py for its variant, that it lies inside
# lightclient/chip, and that the chip package imports nothing outside ALLOWED_IMPORTS.

# Modules the chip package may import besides its own. Only these three groups exist on the chip.
MICROPYTHON_MODULES = (   # MicroPython 1.27's built-ins (ESP32 port) that the chip's code uses
    "binascii", "esp32", "gc", "hashlib", "json", "machine", "micropython", "os", "random",
    "struct", "sys", "time",
)
MICROPYTHON_LIB = ()      # micropython-lib modules, each pinned with require() below: none yet
NATIVE_MODULES = ("lccrypto",)   # our C modules (the native variant's firmware build)
ALLOWED_IMPORTS = MICROPYTHON_MODULES + MICROPYTHON_LIB + NATIVE_MODULES

# Files under the repository root, frozen as their path below lightclient/.
COMMON = [
    "lightclient/__init__.py",
    "lightclient/chip/__init__.py",
    "lightclient/chip/app/__init__.py",
    "lightclient/chip/app/boot.py",
    "lightclient/chip/app/common.py",
    "lightclient/chip/app/device.py",
    "lightclient/chip/app/efuse_state.py",
    "lightclient/chip/app/firmware.py",
    "lightclient/chip/app/img_group.py",
    "lightclient/chip/app/keyring.py",
    "lightclient/chip/app/keys_group.py",
    "lightclient/chip/app/lc_group.py",
    "lightclient/chip/app/os_group.py",
    "lightclient/chip/app/ota.py",
    "lightclient/chip/app/otadata.py",
    "lightclient/chip/app/partition_slots.py",
    "lightclient/chip/app/pay_group.py",
    "lightclient/chip/app/payments.py",
    "lightclient/chip/app/release_image.py",
    "lightclient/chip/app/release_key.py",
    "lightclient/chip/app/seq_log.py",
    "lightclient/chip/app/settings_proof.py",
    "lightclient/chip/bech32.py",
    "lightclient/chip/cosmos_tx.py",
    "lightclient/chip/core/__init__.py",
    "lightclient/chip/core/cbor.py",
    "lightclient/chip/core/cbor_fields.py",
    "lightclient/chip/core/errors.py",
    "lightclient/chip/core/ics23.py",
    "lightclient/chip/core/ics23_types.py",
    "lightclient/chip/core/ics23_native.py",
    "lightclient/chip/core/merkle.py",
    "lightclient/chip/core/proof_chain.py",
    "lightclient/chip/core/proto.py",
    "lightclient/chip/core/signatures.py",
    "lightclient/chip/core/trusted_at_rest.py",
    "lightclient/chip/core/types.py",
    "lightclient/chip/core/update.py",
    "lightclient/chip/core/valset.py",
    "lightclient/chip/core/verifier.py",
    "lightclient/chip/core/votes.py",
    "lightclient/chip/crypto/__init__.py",
    "lightclient/chip/crypto/backend.py",
    "lightclient/chip/crypto/hmac_sha256.py",
    "lightclient/chip/crypto/ripemd160.py",
    "lightclient/chip/keys/__init__.py",
    "lightclient/chip/keys/envelope.py",
    "lightclient/chip/keys/epochs.py",
    "lightclient/chip/keys/errors.py",
    "lightclient/chip/keys/group_ed25519.py",
    "lightclient/chip/keys/pairing.py",
    "lightclient/chip/keys/spake2plus.py",
    "lightclient/chip/pay/__init__.py",
    "lightclient/chip/pay/caps.py",
    "lightclient/chip/pay/ledger.py",
    "lightclient/chip/pay/receipt.py",
    "lightclient/chip/pay/voucher.py",
    "lightclient/chip/sign_policy.py",
    "lightclient/chip/smp/__init__.py",
    "lightclient/chip/smp/frame.py",
    "lightclient/chip/smp/header.py",
    "lightclient/chip/smp/keys.py",
    "lightclient/chip/smp/lc.py",
    "lightclient/chip/smp/pay.py",
    "lightclient/chip/store/__init__.py",
    "lightclient/chip/store/counter_log.py",
    "lightclient/chip/store/flash_format.py",
    "lightclient/chip/store/sector_writer.py",
    "lightclient/chip/store/store.py",
    "lightclient/chip/txs.py",
    "lightclient/chip/usage_request.py",
]
VARIANTS = {
    "pure": [
        "lightclient/chip/crypto/pure.py",
        "lightclient/chip/crypto/ed25519.py",
        "lightclient/chip/crypto/edwards25519.py",
        "lightclient/chip/crypto/secp256k1.py",
        "lightclient/chip/crypto/secp256k1_group.py",
        "lightclient/chip/crypto/sha512.py",
        "lightclient/chip/crypto/x25519.py",
        "lightclient/chip/crypto/chacha20poly1305.py",
        "lightclient/chip/crypto/hkdf_sha256.py",
    ],
    "native": [
        "lightclient/chip/crypto/native.py",
    ],
}
DEFAULT_VARIANT = "pure"


def variant_files(variant):
    """The repository files of one variant's image, besides firmware/main.py."""
    if variant not in VARIANTS:
        raise ValueError("unknown image variant %r (known: %s)" % (variant, ", ".join(VARIANTS)))
    return sorted(COMMON + VARIANTS[variant])


if "package" in globals() and "options" in globals():   # run by MicroPython's makemanifest
    options.defaults(variant=DEFAULT_VARIANT)  # noqa: F821 (manifest globals)
    for _f in MICROPYTHON_LIB:
        require(_f)  # noqa: F821
    package("lightclient", base_path="..",  # noqa: F821
            files=[f[len("lightclient/"):] for f in variant_files(options.variant)])  # noqa: F821
