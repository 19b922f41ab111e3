# Who signs the device's writes. The device key normally lives on the microcontroller and never
# leaves it (McuSigner asks the chip to sign); a Pi without a co-processor, and the tests, keep a
# 32-byte Ed25519 seed in a file readable by the service only (SeedFileSigner).
#
# The interface is two methods: public_key() -> 32 bytes, sign(message) -> 64 bytes. Every
# signature is checked against the public key before a write is queued, so a faulty chip or a
# wrong seed file is a clear error at request time, not a transaction refused hours later.

import os

from lightclient.chip.crypto import ed25519
from lightclient.chip.core.errors import LightClientError, SignatureError

SEED_BYTES = 32


class SignerError(LightClientError):
    """The signer is unusable (missing or unsafe seed file, microcontroller not answering)."""


def _verify(pub, msg, sig):
    try:
        from lightclient.native import verify
        from lightclient.chip.core.types import ED25519
        return verify(ED25519, pub, msg, sig)
    except ImportError:                      # no native backend: the core's ZIP-215 verifier
        return ed25519.verify(pub, msg, sig)


class Signer:
    """Interface. Subclasses implement public_key() and _sign(message)."""

    def public_key(self):
        raise NotImplementedError

    def _sign(self, message):
        raise NotImplementedError

    def key_protection(self):
        """How well the device key is kept, in words (the status route shows it)."""
        return "no (the device key is a file on the Pi)"

    def sign(self, message):
        sig = bytes(self._sign(bytes(message)))
        if len(sig) != 64:
            raise SignerError("signature_length", "signer returned a signature of the wrong size",
                              length=len(sig))
        if not _verify(self.public_key(), bytes(message), sig):
            raise SignatureError("device_signature", "the signer's signature does not verify "
                                 "against its public key")
        return sig


def _parse_seed(data):
    text = data.strip()
    if len(data) == SEED_BYTES:
        return bytes(data)
    try:
        seed = bytes.fromhex(text.decode("ascii"))
    except (UnicodeError, ValueError):
        seed = b""
    if len(seed) != SEED_BYTES:
        raise SignerError("seed_format", "seed file must hold 32 raw bytes or 64 hex digits")
    return seed


class SeedFileSigner(Signer):
    """Ed25519 with a seed held in this process, read from a file that only its owner may read
    (refused when group or others have any access: the key would not be the device's alone)."""

    def __init__(self, path, check_mode=True):
        try:
            st = os.stat(path)
        except OSError as e:
            raise SignerError("seed_file", "cannot read the seed file", path=str(path),
                              error=e.strerror or str(e))
        if check_mode and st.st_mode & 0o077:
            raise SignerError("seed_file_mode", "seed file is readable by others; chmod 600 it",
                              path=str(path), mode=oct(st.st_mode & 0o777))
        if st.st_size > 256:
            raise SignerError("seed_format", "seed file too large", path=str(path))
        with open(path, "rb") as f:
            self._seed = _parse_seed(f.read(257))
        self._native = None
        try:
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
            self._native = Ed25519PrivateKey.from_private_bytes(self._seed)
        except ImportError:
            pass
        self._pub = ed25519.public_key(self._seed)

    def public_key(self):
        return self._pub

    def _sign(self, message):
        if self._native is not None:
            return self._native.sign(message)
        return ed25519.sign(self._seed, message)

    def __repr__(self):                      # never show the seed
        return "SeedFileSigner(pub=" + self._pub.hex()[:16] + "...)"


class McuSigner(Signer):
    """The device key on the microcontroller: wraps an object with sign(message) -> 64 bytes and
    public_key() -> 32 bytes (lightclient.mcu.McuClient). The public key is asked once."""

    def __init__(self, client, account=False):
        """account: the signer of a Cosmos SDK chain's transactions (the chip's secp256k1
        account key, account_key() / sign_doc()); the chip's Ed25519 key is then not asked."""
        self.client = client
        self._pub = None
        if account:
            pub = self.account_key()
            if len(pub) != 33:
                raise SignerError("mcu_account_key", "microcontroller account key has the "
                                  "wrong size", length=len(pub))
            self._account = pub
            return
        try:
            pub = bytes(client.public_key())
        except LightClientError:
            raise
        except Exception as e:               # serial errors surface as one typed error
            raise SignerError("mcu", "microcontroller did not give its public key", error=str(e))
        if len(pub) != 32:
            raise SignerError("mcu_public_key", "microcontroller public key has the wrong size",
                              length=len(pub))
        self._pub = pub

    @classmethod
    def from_port(cls, port, account=False, **kwargs):
        from lightclient.mcu import McuClient
        try:
            client = McuClient(port, **kwargs)
        except Exception as e:               # serial.SerialException, OSError
            raise SignerError("mcu_port", "cannot open the microcontroller's serial port",
                              port=str(port), error=str(e))
        return cls(client, account=account)

    def public_key(self):
        return self._pub

    def key_protection(self):
        """What the chip reads from its own eFuses: "no (development board)" on a board that
        was not locked (`board provision --release`)."""
        try:
            return str(self.client.status().get("key_protection") or "unknown")
        except Exception as e:   # a status route must answer even when the chip does not
            return "unknown (the microcontroller did not answer: %s)" % type(e).__name__

    def account_key(self):
        """The 33-byte secp256k1 public key of the device's chain account (made on the chip)."""
        if getattr(self, "_account", None) is not None:
            return self._account
        try:
            pub = bytes(self.client.account_key())
        except LightClientError:
            raise
        except Exception as e:
            raise SignerError("mcu", "microcontroller did not give its account key",
                              error=str(e))
        return pub

    def sign_doc(self, doc):
        """The chip's SIGN_MODE_DIRECT signature of a SignDoc: it reads the document, signs
        only a device write of its own account, and echoes what it read (McuClient.sign_tx)."""
        try:
            return bytes(self.client.sign_tx(bytes(doc)))
        except LightClientError:
            raise
        except Exception as e:
            raise SignerError("mcu", "microcontroller did not sign", error=str(e))

    def _sign(self, message):
        raise SignerError("signer_kind", "the chip signs the device's writes as SignDocs only "
                          "(sign_doc)")


class Secp256k1FileSigner(SeedFileSigner):
    """The device's chain account key (secp256k1) in a file on the Pi, for a Pi without a
    co-processor and for tests; the same file rules as SeedFileSigner. It signs SignDocs only:
    one secret is never used by two signature schemes."""

    def __init__(self, path, check_mode=True):
        super().__init__(path, check_mode)
        from lightclient.chip.crypto import backend
        self._account = backend.secp256k1_public_key(self._seed)

    def _sign(self, message):
        raise SignerError("signer_kind", "a secp256k1 account key signs SignDocs only")

    def account_key(self):
        return self._account

    def sign_doc(self, doc):
        from lightclient.chip import cosmos_tx
        return cosmos_tx.sign_secp256k1(self._seed)(bytes(doc))

    def __repr__(self):
        return "Secp256k1FileSigner(pub=" + self._account.hex()[:16] + "...)"


def signer_from_spec(spec, account=False):
    """'seed:PATH', 'secp256k1:PATH' or 'mcu:PORT' (the --signer option) -> Signer. account:
    for a Cosmos SDK chain's transactions (the chip's account key)."""
    kind, _, arg = str(spec).partition(":")
    if kind == "seed" and arg:
        return SeedFileSigner(arg)
    if kind == "secp256k1" and arg:
        return Secp256k1FileSigner(arg)
    if kind == "mcu" and arg:
        return McuSigner.from_port(arg, account=account)
    raise SignerError("signer_spec", "signer must be seed:PATH, secp256k1:PATH or mcu:PORT",
                      spec=str(spec))
