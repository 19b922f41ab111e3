"""The sealed-blob vector of docs/grants.md (docs/vectors/sealed-blob.json): deterministic keys
and randomness, so `python -m tests.sharing.blobvectors` rebuilds the file byte for byte."""

import json
import sys
from pathlib import Path

from lightclient.chip.crypto import backend
from lightclient.sharing import sealed_blob
from tests.chip.keys.keyhelpers import Drbg, secret

PATH = Path(__file__).resolve().parents[2] / "docs" / "vectors" / "sealed-blob.json"
CHAIN, OWNER, CLASS, EPOCH = ("mycroft-local-1", "mycroft1q9wlakdvk3zqakwcqgvkn3lnhvsxz09yrtvmrz",
                              "voice_samples", 2)
PLAINTEXT = b"RIFF....WAVEfmt a voice sample"


def build():
    g1, g2 = secret("grantee-1/x25519"), secret("grantee-2/x25519")
    pubs = [backend.x25519_public_key(s) for s in (g1, g2)]
    blob = sealed_blob.seal(CHAIN, OWNER, CLASS, EPOCH, PLAINTEXT, pubs, Drbg("sealed blob"))
    return {"chain_id": CHAIN, "owner": OWNER, "class": CLASS, "epoch": EPOCH,
            "plaintext": PLAINTEXT.hex(),
            "grantees": [{"x25519_secret": s.hex(), "x25519_public": p.hex()}
                         for s, p in zip((g1, g2), pubs)],
            "ad": sealed_blob.associated_data(CHAIN, OWNER, CLASS, EPOCH).hex(),
            "blob": blob.hex(), "sha256": __import__("hashlib").sha256(blob).hexdigest()}


def text():
    return json.dumps(build(), indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    PATH.write_text(text())
    sys.stdout.write("wrote %s\n" % PATH)
