# The user-held-keys SMP group (issue 20): pairing with the owner's tool through whatever relays
# lie between, the device's X25519 key, opening sealed settings, factory reset. Ids and error codes
# are shared by the firmware (lightclient/chip/app/keys_group.py) and the Pi's client; payloads in
# docs/pairing.md. Its own group id, so the light-client group's ids stay as they are.
# Shared subset: CPython and MicroPython.

GROUP = 0x4B59   # "KY"

PROVISION = 0        # write: make the X25519 key, the setup code and the SPAKE2+ verifier
KEY_INFO = 1         # read: the device's Ed25519 and X25519 public keys, paired owner, attempts
OPEN_WINDOW = 2      # write: open the pairing window (a button on a board)
PAIR_START = 3       # write: the owner's share -> the chip's share and confirmation
PAIR_FINISH = 4      # write: the owner's confirmation and signature -> the device's signature
OPEN_SEALED = 5      # write: an epoch envelope and a record envelope -> the plaintext
FACTORY_RESET = 6    # write: clear keys, settings and the attempt count (owner-signed)
SEAL_OWN = 7         # write: what the device writes itself (skill settings, settings meta,
                     # metrics), sealed to the owner's epoch key and signed by the device key,
                     # under write/<owner>/<device>.<kind> made on the chip
OPEN_SETTINGS = 8    # write: a device record's envelope (settings, location or skills) and its
                     # epoch's, inside their x/devices proofs at the chip's trusted header (the
                     # record key made on the chip, the settings' version not older than the last
                     # one accepted) -> the plaintext

E_NO_VERIFIER = 20   # never provisioned for pairing
E_WINDOW = 21        # the pairing window is closed
E_BACKOFF = 22       # too many wrong codes: wait (the answer's wait_ms)
E_PAKE = 23          # a SPAKE2+ check failed (a wrong code, a tampered message)
E_STATEMENT = 24     # the owner's signature over the pairing statement does not verify
E_ENVELOPE = 25      # a sealed envelope that must not be opened (its check says why)
E_NOT_PAIRED = 26    # no owner yet
E_SESSION = 27       # PAIR_FINISH without a PAIR_START in this window

RESET_PREFIX = b"mycroft-lc/factory-reset/v1\x00"


def reset_message(device_pub, generation):
    """What the owner signs to factory-reset a paired chip: bound to the chip and to the store's
    generation, so a signature is good once."""
    return RESET_PREFIX + bytes(device_pub) + str(generation).encode()
