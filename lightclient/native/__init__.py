# The Pi's crypto backend: native libraries behind the chip package's one crypto interface
# (lightclient.chip.crypto.backend), installed once when this module is first imported. OpenSSL
# (`cryptography`) checks Ed25519 with a pure ZIP-215 re-check of every rejection, libsecp256k1
# (`coincurve`) checks secp256k1; both keep CometBFT's acceptance rules exactly (see their
# modules). A library that is not installed leaves the pure code in place. The chip package never
# imports these libraries: the Pi shell imports this module (client, sync, checkpoint, cli, ...).
#
#   verify(key_type, public_key, message, signature) -> bool    the interface's, as installed

from lightclient.chip.crypto import backend


def _load():
    fns, names = {}, []
    from lightclient.native import ed25519   # imports without `cryptography` (AVAILABLE False)
    if ed25519.AVAILABLE:
        fns["ed25519_verify"] = ed25519.verify
        names.append("openssl-ed25519")
    try:
        from lightclient.native import secp256k1
        fns["secp256k1_verify"] = secp256k1.verify
        fns["secp256k1_sign"] = secp256k1.sign
        fns["secp256k1_public_key"] = secp256k1.public_key
        names.append("libsecp256k1")
    except ImportError:
        pass
    if fns:
        backend.install("host:" + "+".join(names), **fns)


_load()
verify = backend.verify
