# The chip's user-held keys (issue 20, docs/pairing.md): its X25519 key, the SPAKE2+ verifier
# (w0, L) that provisioning leaves and the setup code it never keeps, pairing with the owner's tool
# under a window and an attempt counter, the paired owner, and opening sealed settings.
# Store records (beside device.py's):
#   "xkey"     the X25519 secret, made here; never returned, never logged
#   "pake"     CBOR [w0 (32 bytes, big-endian), L (32 bytes), chain id (text)]: the chain this
#              chip is made for, named by the tester at provisioning (a verified checkpoint of
#              another chain is refused for pairing)
#   "pairfail" the count of pairing attempts not (yet) confirmed, decimal ASCII. It is raised and
#              committed before the chip answers a PAIR_START, and cleared only by a confirmed
#              pairing, so pulling the plug mid-attempt still counts it.
#   "paired"   CBOR {"owner": secp256k1 key, "owner_x": X25519 key, "statement": bytes,
#              "chain_id": text, "x": this chip's X25519 public key (absent in records paired
#              before session 7: then made from "xkey")}
#   "setver"   the newest version of each of the device's owner-written records (its settings,
#              location, skills: epochs.DEVICE_RECORDS) seen authentic (writer's signature
#              verified), decimal ASCII joined by ",", trailing zeros left out ("3": settings 3;
#              "3,0,2": skills 2): an older one is refused (envelope_replayed), across reboots.
#              One record for the three, so a Pi cannot replay an older location either
# The backoff clock is the time since boot: after a power cut the chip waits the full backoff
# again, so unplugging it never buys a guess.

from lightclient.chip.core import cbor
from lightclient.chip.crypto import backend as crypto
from lightclient.chip.keys import envelope, epochs, group_ed25519, pairing, spake2plus
from lightclient.chip.keys.errors import EnvelopeError, PairingError
from lightclient.chip.smp import keys as K
from lightclient.chip.smp import lc

from lightclient.chip.app.device import lc_error

RECORDS = ("xkey", "pake", "pairfail", "paired", "setver")


def _scalar(random):
    # a uniform scalar mod L: 64 random bytes reduced (bias 2^-250)
    return int.from_bytes(random(64), "big") % group_ed25519.ORDER


MAX_FLOORS = 64   # "setver": three versions < 2^63, two commas


def _floors(raw):
    """The "setver" record -> [settings, location, skills] floors (0: none seen). The chip's
    own flash, yet bounded and checked: a record it cannot read is a typed error, never a
    floor of 0 (that would let any old version back)."""
    out = [0] * len(epochs.DEVICE_RECORDS)
    if raw is None:
        return out
    parts = bytes(raw).split(b",") if 0 < len(raw) <= MAX_FLOORS else ()
    if not 0 < len(parts) <= len(out) or not all(p and p.isdigit() for p in parts):
        raise lc_error(lc.E_STORE, "store_setver", "the version floors record is malformed")
    for i, p in enumerate(parts):
        out[i] = int(p)
    return out


def _floors_bytes(floors):
    n = len(floors)
    while n > 1 and floors[n - 1] == 0:
        n -= 1
    return b",".join(str(v).encode() for v in floors[:n])


def _x25519_public(paired, xkey):
    # the public half kept in the paired record (as the pairing statement names it): making it
    # again is a scalar multiplication on every open; a record paired before it was kept
    # (or not 32 bytes) makes it
    x = paired.get("x")
    return x if isinstance(x, bytes) and len(x) == 32 else crypto.x25519_public_key(xkey)


def _tag(e, rc):
    e.rc = rc
    return e


class Keyring:
    def __init__(self, device):
        self.device = device
        self.window_until = None     # ms since boot; RAM only: a power cut closes the window
        self.last_fail_ms = 0        # RAM only: after boot the backoff starts from boot
        self.session = None

    # --- records ------------------------------------------------------------------------------

    def _get(self, name):
        return self.device._get(name)

    def _failures(self):
        v = self._get("pairfail")
        return int(v) if v else 0

    def x25519_public(self):
        sk = self._get("xkey")
        return crypto.x25519_public_key(sk) if sk is not None else None

    def paired(self):
        p = self._get("paired")
        return cbor.loads(p) if p is not None else None

    def _chain_id(self, provisioned):
        t = self.device.trusted
        if t is not None and t.header.chain_id != provisioned:
            raise lc_error(K.E_PAKE, "pairing_chain", "the chip's verified chain is not the one "
                           "it was provisioned for", verified=t.header.chain_id,
                           provisioned=provisioned)
        return provisioned

    def info(self, now_ms):
        p = self.paired()
        n = self._failures()
        wait = pairing.backoff_ms(n) - (now_ms - self.last_fail_ms)
        return {"pub": self.device.pub, "x25519": self.x25519_public(),
                "has_verifier": self._get("pake") is not None,
                "owner": p["owner"] if p else None, "failures": n,
                "wait_ms": wait if wait > 0 else 0,
                "window_open": self.window_until is not None and now_ms < self.window_until}

    # --- provisioning -------------------------------------------------------------------------

    def provision(self, random, chain_id):
        """Make the X25519 key and the setup code; keep only the verifier. The code is in this
        answer and nowhere else (the tester prints the label and forgets it)."""
        if self.device.pub is None:
            raise lc_error(lc.E_NO_KEY, "no_key", "no device key yet (generate_key)")
        if self._get("pake") is not None:
            raise lc_error(lc.E_ALREADY, "verifier_exists", "already provisioned for pairing; "
                           "a factory reset comes first")
        xkey = self._get("xkey") or random(32)
        code = pairing.new_setup_code(random)
        w0, w1 = pairing.derive_w0_w1(code, self.device.pub)
        w0b, L = spake2plus.verifier_record(group_ed25519, w0, w1)
        self.device._commit({"xkey": xkey, "pake": cbor.dumps([w0b, L, chain_id])})
        return {"code": code, "x25519": crypto.x25519_public_key(xkey)}

    # --- pairing ------------------------------------------------------------------------------

    def open_window(self, now_ms):
        self.window_until = now_ms + pairing.WINDOW_MS
        self.session = None
        return self.window_until

    def _check_window(self, now_ms):
        if self.window_until is None or now_ms >= self.window_until:
            self.session = None
            raise lc_error(K.E_WINDOW, "pairing_window", "the pairing window is closed")

    def start(self, share_p, owner_pub, now_ms, random):
        pake = self._get("pake")
        if pake is None:
            raise lc_error(K.E_NO_VERIFIER, "no_verifier", "not provisioned for pairing")
        self._check_window(now_ms)
        if self._get("paired") is not None:
            # one owner at a time: a second owner needs the first one's factory reset, so the
            # label's code alone never takes a paired device over
            raise lc_error(lc.E_ALREADY, "already_paired", "this chip has an owner; a factory "
                           "reset (the owner's signature or the board's button) comes first")
        n = self._failures()
        wait = pairing.backoff_ms(n) - (now_ms - self.last_fail_ms)
        if wait > 0:
            raise lc_error(K.E_BACKOFF, "pairing_backoff", "too many failed attempts",
                           failures=n, wait_ms=wait)
        if len(owner_pub) != 33 or owner_pub[0] not in (2, 3):
            raise lc_error(K.E_PAKE, "owner_key", "the owner key is a 33-byte secp256k1 key")
        # counted before any answer: a power cut from here on leaves the attempt counted
        self.device._commit({"pairfail": str(n + 1).encode()})
        self.last_fail_ms = now_ms
        w0b, L, chain_id = cbor.loads(pake)
        chain_id = self._chain_id(chain_id)
        v = spake2plus.Verifier(group_ed25519, pairing.context(chain_id), bytes(owner_pub),
                                self.device.pub, int.from_bytes(w0b, "big"), L)
        try:
            share_v, confirm_v = v.respond(share_p, _scalar(random))
        except PairingError as e:
            raise _tag(e, K.E_PAKE)
        self.session = (v, bytes(owner_pub), chain_id)
        return {"share": share_v, "confirm": confirm_v, "pub": self.device.pub,
                "x25519": self.x25519_public()}

    def finish(self, confirm_p, owner_sig, owner_x25519, now_ms):
        self._check_window(now_ms)
        if self.session is None:
            raise lc_error(K.E_SESSION, "pairing_session", "no pairing attempt in progress")
        v, owner_pub, chain_id = self.session
        self.session = None
        self.last_fail_ms = now_ms
        try:
            v.finish(confirm_p)
        except PairingError as e:
            raise _tag(e, K.E_PAKE)
        x_pub = self.x25519_public()
        th = pairing.transcript_hash(v.context, v.idp, v.idv, v.share_p, v.share_v,
                                     v.confirm_p(), v.confirm_v())
        st = pairing.statement(chain_id, owner_pub, self.device.pub, x_pub, th)
        msg = pairing.signing_bytes(st)
        if not crypto.secp256k1_verify(owner_pub, msg, owner_sig):
            raise lc_error(K.E_STATEMENT, "owner_statement_signature", "the owner's signature "
                           "over the pairing statement does not verify")
        if len(owner_x25519) != 32:
            raise lc_error(K.E_STATEMENT, "owner_x25519", "the owner's X25519 key is 32 bytes")
        seed = self._get("key")
        sig = crypto.ed25519_sign(seed, msg)
        seed = None
        self.device._commit({"pairfail": None, "paired": cbor.dumps(
            {"owner": owner_pub, "owner_x": bytes(owner_x25519), "statement": st,
             "chain_id": chain_id, "x": x_pub})})
        self.window_until = None
        return {"statement": st, "sig": sig}

    # --- sealed settings ----------------------------------------------------------------------

    def _epoch(self, epoch_no, owner_id, epoch_env, p=None):
        """(paired record, owner writer, epoch secret) from the owner-signed epoch envelope,
        opened with our X25519 key. p: the paired record when the caller has read it."""
        if p is None:
            p = self.paired()
        if p is None:
            raise lc_error(K.E_NOT_PAIRED, "not_paired", "no owner has paired this chip")
        owner = ("secp256k1", p["owner"])
        xkey = self._get("xkey")
        try:
            secret = epochs.open_epoch(epoch_env, p["chain_id"], owner_id, epoch_no, owner,
                                       xkey, _x25519_public(p, xkey))
        except EnvelopeError as e:
            raise _tag(e, K.E_ENVELOPE)
        return p, owner, secret

    def open_sealed(self, epoch_no, owner_id, epoch_env, record_key, record_env, min_version):
        """The epoch key with our X25519 key, then the record with the epoch key: the Pi gets
        the plaintext, never a key."""
        p, owner, secret = self._epoch(epoch_no, owner_id, epoch_env)
        # a device's own write (another of the owner's devices, or this one) has one writer:
        # the device its record key names; any other record, the owner or this device
        writer = epochs.write_writer(record_key)
        writers = [writer] if writer else [owner, ("ed25519", self.device.pub)]
        try:
            opened = envelope.decrypt_with_secret(envelope.verify(
                record_env, p["chain_id"], record_key, min_version, writers), secret)
        except EnvelopeError as e:
            raise _tag(e, K.E_ENVELOPE)
        secret = None
        return {"plaintext": opened.plaintext, "version": opened.version,
                "epoch": opened.epoch}

    def open_settings(self, height, proofs, name="device"):
        """A device record of its own (name: its settings, location or skills), proven at the
        chip's trusted header (app/settings_proof): both envelopes are the values of x/devices proofs (proofs: the request's payload, whose
        "env_proof" and "epoch_proof" are taken out of it here, so that nothing holds the
        request once they are verified) checked against the app hash of the header this chip
        verified itself, at height `height` (which must be that header's: an older proof is
        refused, envelope_proof_height). The record key is made here from the
        paired owner and this chip's account key (a Pi cannot hand it another device's or
        another record's envelope), the epoch's key from the record's epoch, and the version
        must not be older than the last authentic one seen here. A newer one is committed once
        its writer's signature and both proofs verify, before anything is decrypted (the heap
        is then at its emptiest for the store's buffers) and before the plaintext leaves, so a
        power cut never lets an older envelope back."""
        from lightclient.chip.app import settings_proof as SP
        p = self.paired()
        if p is None:
            raise lc_error(K.E_NOT_PAIRED, "not_paired", "no owner has paired this chip")
        if self.device.acct_pub is None:
            raise lc_error(lc.E_NO_KEY, "no_account_key", "no account key: the settings "
                           "record is named by the device's account")
        t = self.device.trusted
        if t is None:
            raise lc_error(lc.E_NOT_PROVISIONED, "not_provisioned", "no trusted header to "
                           "prove the settings against")
        if height != t.header.height:
            raise _tag(EnvelopeError("envelope_proof_height", "the proofs are not at the chip's "
                                     "trusted header", height=height,
                                     trusted_height=t.header.height), K.E_ENVELOPE)
        if name not in epochs.DEVICE_RECORDS:
            raise lc_error(lc.E_DECODE, "record_name", "not a device record", name=name)
        owner_id = SP.account_bech32(p["owner"])
        key = epochs.device_settings_key(owner_id, SP.account_bech32(self.device.acct_pub), name)
        # the replay floors of the three records share one small store record, read once
        slot = epochs.DEVICE_RECORDS.index(name)
        floors = _floors(self._get("setver"))
        seen = floors[slot]
        try:
            # the small epoch proof copied, the record's verified: then no view into the
            # request is left, and its buffer is free for what follows (the 96 KiB heap)
            epoch_ops = SP.decode_ops(proofs.pop("epoch_proof"), "epoch_proof", copy=True)
            record_env = SP.proven_envelope(SP.decode_ops(proofs.pop("env_proof"), "env_proof"),
                                            t.header.app_hash, key, "env_proof")
            # no collection here: the next one (the allocator's, or before the commit) frees the
            # request's buffer; one here cost 0.36 M instructions and no heap (92 KiB either way)
            m = envelope.verify(record_env, p["chain_id"], key, seen,
                                [("secp256k1", p["owner"]), ("ed25519", self.device.pub)], True)
            record_env = None
            epoch_no = m[envelope.K_EPOCH]
            epoch_env = SP.proven_envelope(epoch_ops, t.header.app_hash,
                                           epochs.epoch_record_key(owner_id, epoch_no),
                                           "epoch_proof")
            epoch_ops = None
        except EnvelopeError as e:
            raise _tag(e, K.E_ENVELOPE)
        if m[envelope.K_VERSION] > seen:
            floors[slot] = m[envelope.K_VERSION]
            self.device._commit({"setver": _floors_bytes(floors)})
        floors = None
        _, _, secret = self._epoch(epoch_no, owner_id, epoch_env, p)
        epoch_env = None
        try:
            opened = envelope.decrypt_with_secret(m, secret)
        except EnvelopeError as e:
            raise _tag(e, K.E_ENVELOPE)
        secret = None
        return {"plaintext": opened.plaintext, "version": opened.version, "epoch": opened.epoch,
                "key": key, "height": height}

    def seal_own(self, epoch_no, epoch_env, kind, version, plaintext, random):
        """What the device writes itself (skill settings, settings meta, metrics), sealed to the
        epoch key it was given (checked by opening the owner's epoch envelope, so a Pi cannot
        make it seal to a key of its own) and signed by the device key, under the record key
        made here from the paired owner and this device (a Pi cannot make it write another
        record, the owner's settings among them). -> {"env", "key"}."""
        if kind not in epochs.WRITE_KINDS:
            raise lc_error(lc.E_DECODE, "write_kind", "not a device write kind", kind=kind)
        p = self.paired()
        if p is None:
            raise lc_error(K.E_NOT_PAIRED, "not_paired", "no owner has paired this chip")
        from lightclient.chip import cosmos_tx as ct
        owner_id = ct.bech32_address(p["owner"])
        record_key = epochs.device_write_key(owner_id, self.device.pub, kind)
        _, _, secret = self._epoch(epoch_no, owner_id, epoch_env)
        epoch_pub = epochs.epoch_public(secret)
        secret = None
        seed = self._get("key")
        try:
            return {"env": envelope.seal(p["chain_id"], record_key, version, epoch_no, plaintext,
                                         [epoch_pub], ("ed25519", self.device.pub),
                                         lambda m: crypto.ed25519_sign(seed, m), random),
                    "key": record_key}
        finally:
            seed = None

    # --- factory reset ------------------------------------------------------------------------

    def factory_reset(self, owner_sig, physical=False):
        """Clears keys, settings and the attempt count. A paired chip needs its owner's
        signature over keys.reset_message, unless the reset is the board's physical action."""
        p = self.paired()
        if p is not None and not physical:
            msg = K.reset_message(self.device.pub or b"", self.device.store.generation)
            if owner_sig is None or not crypto.secp256k1_verify(p["owner"], msg, owner_sig):
                raise lc_error(lc.E_SIGNATURE, "owner_signature", "a paired chip's factory "
                               "reset needs its owner's signature")
        names = RECORDS + ("key", "pub", "trusted", "config", "record")
        self.device._commit({n: None for n in names})
        self.device.pub = self.device.trusted = self.device.config = self.device.record = None
        self.session = self.window_until = None
        self.last_fail_ms = 0
        return {"generation": self.device.store.generation}
