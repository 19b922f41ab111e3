# The device's secrets and verified state, kept in the secure record store:
#
#   "key"      the Ed25519 seed, generated here (os.urandom); never returned, never logged
#   "acct"     the secp256k1 secret of the device's chain account (generated here, never
#              returned, never logged): it signs the device's SDK transactions (SIGN_TX)
#   "acct_pub" its compressed public key (33 bytes)
#   "pub"      its public key, kept so a boot does not derive it (a scalar multiplication);
#              a store written before it existed derives it from "key", as before
#   "trusted"  the trusted light-client state, packed (trusted_at_rest.pack_trusted: the
#              validator sets as flat buffers with their hashes, so a boot decodes and hashes
#              no validator); a store written before it holds version 1 (CBOR), read as before
#              and packed at the next commit (docs/store-format.md, "The trusted state record")
#   "config"   CBOR {"tp": trusting period ns, "uuid": device uuid or null}
#   "reg_owner" the owner account (20 bytes) of the registration statement the chip signed
#   "txpolicy" the owner's signing limits (lightclient/chip/sign_policy.py), owner-signed
#   "acct_seq" CBOR {"n": account number, "s": sequence, "h": height}: the device's own x/auth
#              account as last proven by a verified update (the sequence floor of SIGN_TX)
#   "record"   CBOR {"s": store, "k": key, "v": value or null, "h": height, "t": header time ns}:
#              the device's own record as last proven by a verified update
#
# Every change is one store.commit(), so a power cut leaves the old state or the new one. The
# highest sequence signed is not a store record: it changes with every transaction, so it has a
# counter log of its own (app/seq_log.py), one small program per transaction.
# The chip accepts a new trusted state only after verifying it itself against the one it holds,
# with its own time floor (the last verified header time), so a compromised Pi cannot poison it.

import binascii
import gc
import hashlib

from lightclient.chip import txs
from lightclient.chip.core import cbor, update
from lightclient.chip.core import trusted_at_rest
from lightclient.chip.crypto import backend as crypto
from lightclient.chip.core.errors import DecodeError, LightClientError
from lightclient.chip.core.verifier import Options, TrustedState
from lightclient.chip.smp import lc

from lightclient.chip.app.common import FULL_GC

DEFAULT_TRUSTING_PERIOD_NS = 14 * 24 * 3600 * 1000000000
# The settings answer carries the cached record: 7 KiB keeps it well inside one SMP message
# (common.MAX_MESSAGE, the 16 KiB buf_size the link advertises) with its CBOR envelope.
MAX_RECORD_VALUE = 7 * 1024
REG_OWNER = "reg_owner"  # the 20-byte owner account this chip consented to be registered by
TX_POLICY = "txpolicy"   # CBOR {"p": the owner's limits (sign_policy), "sig": owner signature}
ACCT_SEQ = "acct_seq"    # CBOR {"n", "s", "h"}: the device's account as last proven to it
ACC_STORE = "acc"        # x/auth's store (cosmos_tx.ACC_STORE, without importing cosmos_tx)


def slim(state):
    """Keep only what vouches for the next headers (the next validator set): the header's own
    set is not needed again, and it is half the RAM and flash of a trusted state."""
    if state.next_validators is not None and state.validators is not None:
        return TrustedState(state.header, state.next_validators, None, state.header_hash)
    return state


def lc_error(rc, check, message, **details):
    e = lc.LinkError(check, message, **details)
    e.rc = rc
    return e


class Device:
    def __init__(self, store, rng, store_error=None, limits=None, seqlog=None):
        """store: a mounted securestore RecordStore, or None with store_error saying why it
        could not be mounted (the link still answers, and says so). rng(n) -> n random bytes.
        seqlog: (block device of two sectors, device secret) for the sequence log, or None on
        a board without one (the replay floor is then kept in RAM only, lost at reboot)."""
        self.store = store
        self.store_error = store_error
        self.rng = rng
        self.limits = limits
        self.pub = None
        self.acct_pub = None
        self.trusted = None
        self.config = None
        self.record = None
        self._repack = False  # "trusted" is still version 1 on flash: pack it at the next commit
        self.ota = None   # app.ota.Ota when the board has a second slot (boot.build)
        self._policy = None      # the owner's signing limits, read on the first SIGN_TX
        self._seqlog_dev = seqlog
        self._seqlog = None      # app.seq_log.SeqLog, mounted on the first SIGN_TX
        self._signed_seq = {}    # without a seqlog: account number -> highest signed since boot
        self.acct_seq = None     # {"n", "s", "h"}: the account as last proven to this chip
        if store is not None:
            self._load()

    # --- loading what the store holds ---------------------------------------------------------

    def _get(self, name):
        self._need_store()
        try:
            return self.store.get(name)
        except Exception as e:  # the store's errors (StoreError...): report, never crash the link
            raise lc_error(lc.E_STORE, "store_read", str(e), name=name)

    def _commit(self, changes):
        self._need_store()
        if self._repack and "trusted" not in changes:
            changes["trusted"] = trusted_at_rest.pack_trusted_parts(self.trusted)
        try:
            self.store.commit(changes)
        except Exception as e:
            raise lc_error(lc.E_STORE, "store_write", str(e))
        self._repack = False

    def _need_store(self):
        if self.store is None:
            raise lc_error(lc.E_STORE, "store_unavailable", str(self.store_error))

    def _load(self):
        try:
            self.pub = self._get("pub")
            if self.pub is None or len(self.pub) != 32:
                seed = self._get("key")
                self.pub = crypto.ed25519_public_key(seed) if seed is not None else None
                seed = None
            self.acct_pub = self._get("acct_pub")
            c = self._get("config")
            self.config = cbor.loads(c) if c is not None else None
            r = self._get("record")
            self.record = cbor.loads(r) if r is not None else None
            r = self._get(ACCT_SEQ)
            self.acct_seq = cbor.loads(r) if r is not None else None
            c = r = None
            if FULL_GC:
                gc.collect()  # the state is kept: build it low in a clean heap (less fragmentation)
            t = self._get("trusted")
            if FULL_GC:
                gc.collect()  # and the read's garbage goes before the state's buffers are made
            if t is not None:
                self.trusted, packed = trusted_at_rest.load_trusted(t, self.limits)
                self._repack = not packed
            t = None
        except LightClientError as e:
            # A store that mounts but holds something we cannot read: keep answering.
            self.store_error = e

    # --- key ----------------------------------------------------------------------------------

    def _owner_key(self):
        """The owner's key named by this chip's verified device record, or None before the
        chip has verified one (the factory step: no identity to protect yet)."""
        r = self.record
        if r is None or r.get("v") is None:
            return None
        try:
            return binascii.unhexlify(txs.decode_record(r["v"])["owner_pubkey"])
        except (LightClientError, ValueError, TypeError):
            return None

    def owner_key_for(self, owner_pub=None):
        """The key whose signature stands for the owner: the verified record's, or else, on
        the chain, owner_pub if it is the key of the account this chip consented to be
        registered by (sign_registration); None when neither names one."""
        owner = self._owner_key()
        if owner is None and owner_pub is not None:
            from lightclient.chip import cosmos_tx
            reg = self._get(REG_OWNER)
            if reg is not None and cosmos_tx.account_address(owner_pub) == reg:
                owner = bytes(owner_pub)
        return owner

    def _authorize(self, op, payload_hash, owner_sig):
        """A forced re-provisioning of a chip with a verified record needs its owner's
        signature over lc.reprovision_message: the Pi alone may not do it."""
        owner = self._owner_key()
        if owner is None:
            return
        if owner_sig is None:
            raise lc_error(lc.E_REFUSED, "owner_signature_required", "this device has a "
                           "verified record: re-provisioning needs its owner's signature", op=op)
        msg = lc.reprovision_message(op, self.pub or b"", self.store.generation, payload_hash)
        if (len(owner) != 32 or len(owner_sig) != 64
                or not crypto.ed25519_verify(owner, msg, owner_sig)):
            raise lc_error(lc.E_SIGNATURE, "owner_signature", "the owner's signature does not "
                           "verify for this operation, chip and store generation", op=op)

    def generate_key(self, force, owner_sig=None):
        if self.pub is not None and not force:
            raise lc_error(lc.E_ALREADY, "key_exists", "the device already has a key; "
                           "generating a new one needs force")
        if self.pub is not None:
            self._authorize("generate_key", b"", owner_sig)
        seed = bytes(self.rng(32))
        if len(seed) != 32:
            raise lc_error(lc.E_UNKNOWN, "rng", "random source returned too few bytes")
        pub = crypto.ed25519_public_key(seed)
        self._commit({"key": seed, "pub": pub})
        seed = None
        self.pub = pub
        return pub

    def public_key(self):
        if self.pub is None:
            raise lc_error(lc.E_NO_KEY, "no_key", "no device key yet (generate_key)")
        return self.pub

    def sign(self, kind, message):
        self.public_key()                     # no key yet: no_key
        if kind not in lc.SIGN_KINDS:
            raise lc_error(lc.E_REFUSED, "sign_kind", "unknown kind of message", kind=kind)
        if len(message) > lc.MAX_SIGN_BYTES:
            raise lc_error(lc.E_TOO_LARGE, "sign_length", "message too long",
                           length=len(message), max_len=lc.MAX_SIGN_BYTES)
        signed = lc.sign_message(kind, message)
        seed = self._get("key")
        if seed is None:
            raise lc_error(lc.E_NO_KEY, "no_key", "the device key is missing from the store")
        sig = crypto.ed25519_sign(seed, signed)
        seed = None
        return sig

    # --- the account key: secp256k1, the device's Cosmos SDK account -------------------------

    def generate_account_key(self, force, owner_sig=None):
        if self.acct_pub is not None and not force:
            raise lc_error(lc.E_ALREADY, "account_key_exists", "the device already has an "
                           "account key; generating a new one needs force")
        if self.acct_pub is not None:
            self._authorize("generate_account_key", b"", owner_sig)
        pub = None
        for _ in range(4):   # a secret outside [1, n-1] has odds 2^-128; never loop for ever
            secret = bytes(self.rng(32))
            if len(secret) != 32:
                raise lc_error(lc.E_UNKNOWN, "rng", "random source returned too few bytes")
            try:
                pub = crypto.secp256k1_public_key(secret)
                break
            except (ValueError, DecodeError):
                secret = None
        if pub is None:
            raise lc_error(lc.E_UNKNOWN, "rng", "no valid secp256k1 secret from the random source")
        self._commit({"acct": secret, "acct_pub": pub})
        secret = None
        self.acct_pub = pub
        return pub

    def account_key(self):
        if self.acct_pub is None:
            raise lc_error(lc.E_NO_KEY, "no_account_key", "no account key yet: "
                           "`mycroft-lc board provision` makes it on the chip "
                           "(generate_account_key; the device key stays)")
        return self.acct_pub

    def _account_secret(self):
        secret = self._get("acct")
        if secret is None:
            raise lc_error(lc.E_NO_KEY, "no_account_key", "the account key is missing from "
                           "the store")
        return secret

    def _tx_policy(self):
        """The owner's signing limits (sign_policy.Policy) from the store, read on first use."""
        from lightclient.chip import sign_policy
        if self._policy is None:
            r = self._get(TX_POLICY)
            self._policy = (sign_policy.decode_policy(cbor.loads(r)["p"]) if r is not None
                            else sign_policy.DEFAULT)
        return self._policy

    def set_tx_policy(self, encoded, sig, owner_pub=None):
        """Stores the owner's signing limits: signed by the owner this chip's verified record
        names (or, on the chain, the account it consented to be registered by: owner_pub is
        that account's key), for this chip's account key and chain, newer than those held."""
        from lightclient.chip import cosmos_tx, sign_policy
        owner = self.owner_key_for(owner_pub)
        reg = self._get(REG_OWNER)
        if owner is None:
            raise lc_error(lc.E_REFUSED, "no_owner", "no verified device record or "
                           "registration names an owner (key) yet")
        msg = sign_policy.policy_bytes(encoded)
        if not (crypto.ed25519_verify(owner, msg, sig) if len(owner) == 32 else
                crypto.secp256k1_verify(owner, msg, sig)):
            raise lc_error(lc.E_SIGNATURE, "owner_signature", "the limits are not signed by "
                           "the owner")
        p = sign_policy.decode_policy(encoded)
        if reg is not None and p.owner and p.owner != cosmos_tx.bech32_address_of(reg):
            raise lc_error(lc.E_REFUSED, "policy_owner", "the limits name another owner "
                           "account than the one this chip consented to")
        if p.device != self.account_key():
            raise lc_error(lc.E_REFUSED, "policy_device", "limits for another account key")
        if self.trusted is None or p.chain_id != self.trusted.header.chain_id:
            raise lc_error(lc.E_REFUSED, "policy_chain", "limits for another chain")
        if p.version <= self._tx_policy().version:
            raise lc_error(lc.E_REFUSED, "policy_version", "limits not newer than the ones held",
                           version=p.version, held=self._tx_policy().version)
        self._commit({TX_POLICY: cbor.dumps({"p": bytes(encoded), "sig": bytes(sig)})})
        self._policy = p
        return p

    def sign_tx(self, body, auth_info, chain_id, account_number):
        """Signs the SignDoc made of these fields after reading all of it against the owner's
        limits (sign_policy.check: this chip's chain and key, account number, no replayed
        sequence, fee, payer and granter, memo, timeout height, and only allowlisted messages).
        Returns (signature, what was signed, its human summary)."""
        from lightclient.chip import cosmos_tx  # on first use: its code stays off a boot's heap
        from lightclient.chip import sign_policy
        pub = self.account_key()
        if self.trusted is None:
            raise lc_error(lc.E_NOT_PROVISIONED, "not_provisioned", "no checkpoint: the chip "
                           "does not know its chain yet")
        doc = cosmos_tx.sign_doc(body, auth_info, chain_id, account_number)
        d = cosmos_tx.decode_sign_doc(doc)
        h = self.trusted.header
        n = d["account_number"]
        log = self._sequence_log()
        floor = log.floor(n) if log is not None else self._signed_seq.get(n, 0)
        a = self.acct_seq
        proven = a["s"] if a is not None and a["n"] == n else 0
        try:
            text = sign_policy.check(d, cosmos_tx.bech32_address(pub), pub, self._tx_policy(),
                                     h.chain_id, h.height, floor, proven, self.pub)
        except sign_policy.SignRefused as e:   # the link's refusal, as the device's others
            raise lc_error(lc.E_REFUSED, e.check, e.message, **e.details)
        secret = self._account_secret()
        # the same sequence may be signed again (a transaction CheckTx refused takes none), an
        # older one never: that is a replay of a request already answered. The new floor is on
        # flash before the signature exists, so no power cut lets an older one be signed.
        if log is not None:
            try:
                log.remember(n, d["sequence"])
            except LightClientError as e:
                raise lc_error(lc.E_STORE, e.check, e.message)
        else:
            self._signed_seq[n] = d["sequence"]
        sig = crypto.secp256k1_sign(secret, doc)
        secret = None
        return sig, d, text

    def _sequence_log(self):
        """The sequence log (app.seq_log), mounted on first use; None on a board without one."""
        if self._seqlog is None and self._seqlog_dev is not None:
            from lightclient.chip.app.seq_log import SeqLog
            dev, secret = self._seqlog_dev
            try:
                self._seqlog = SeqLog(dev, secret)
            except LightClientError as e:   # never sign on a floor it could not read
                raise lc_error(lc.E_STORE, e.check, e.message)
        return self._seqlog

    def sign_registration(self, chain_id, owner20):
        """The device's consent to be registered by this owner on this chain: the x/devices
        statement (cosmos_tx.registration_statement, which starts with 0x00 so it never
        parses as a SignDoc), built here around this chip's own account key."""
        from lightclient.chip import cosmos_tx
        pub = self.account_key()
        if len(owner20) != 20 or not 0 < len(chain_id) <= cosmos_tx.MAX_CHAIN_ID:
            raise lc_error(lc.E_DECODE, "sign_registration", "want a 20-byte owner address "
                           "and a chain id")
        if self.trusted is not None and chain_id != self.trusted.header.chain_id:
            raise lc_error(lc.E_REFUSED, "sign_tx_chain", "registration on another chain",
                           chain_id=chain_id[:50])
        secret = self._account_secret()
        sig = crypto.secp256k1_sign(secret, cosmos_tx.registration_statement(chain_id, owner20,
                                                                            pub))
        secret = None
        if self._get(REG_OWNER) != bytes(owner20):
            self._commit({REG_OWNER: bytes(owner20)})   # whose limits it will take (set_tx_policy)
        return sig

    def sign_usage_request(self, request):
        """A request for skill-usage tokens (chip/usage_request.py), signed with the account
        key the device's x/devices record names: only for this chip's own address and its
        verified chain. Its prefix is a domain of its own (docs/sign-policy.md)."""
        from lightclient.chip import cosmos_tx, usage_request
        try:
            chain_id, _epoch, _key_id, address20, _hashes = usage_request.decode(request)
        except LightClientError as e:
            raise lc_error(lc.E_DECODE, e.check, e.message)
        if self.trusted is None or chain_id != self.trusted.header.chain_id:
            raise lc_error(lc.E_REFUSED, "sign_tx_chain", "usage request for another chain",
                           chain_id=chain_id[:50])
        if address20 != cosmos_tx.account_address(self.account_key()):
            raise lc_error(lc.E_REFUSED, "usage_address", "usage request for another device")
        secret = self._account_secret()
        sig = crypto.secp256k1_sign(secret, bytes(request))
        secret = None
        return sig

    # --- checkpoint and updates ---------------------------------------------------------------

    def set_checkpoint(self, state_bytes, trusting_period_ns, uuid, force, expected_hash=None,
                       owner_sig=None):
        if self.trusted is not None and not force:
            raise lc_error(lc.E_ALREADY, "already_provisioned", "the device holds a trusted "
                           "state; replacing it needs force (re-provisioning)")
        if self.trusted is not None:
            self._authorize("set_checkpoint", hashlib.sha256(bytes(state_bytes)).digest(),
                            owner_sig)
        state = slim(trusted_at_rest.decode_trusted(state_bytes, expected_hash, self.limits))
        if uuid is not None:
            txs.record_key(uuid)  # validates it
        if trusting_period_ns is None:
            trusting_period_ns = DEFAULT_TRUSTING_PERIOD_NS
        Options(trusting_period_ns)  # validates it
        config = {"tp": trusting_period_ns, "uuid": uuid}
        self._commit({"trusted": trusted_at_rest.pack_trusted_parts(state),
                      "config": cbor.dumps(config),
                      "record": None})
        self.trusted, self.config, self.record = state, config, None
        return state

    def time_floor(self):
        return self.trusted.header.time_ns if self.trusted is not None else 0

    def submit_update(self, data, now_ns):
        if self.trusted is None:
            raise lc_error(lc.E_NOT_PROVISIONED, "not_provisioned", "no checkpoint yet")
        floor = self.time_floor()
        if now_ns < floor:
            raise lc_error(lc.E_TIME_FLOOR, "time_floor", "the given time is earlier than the "
                           "last verified header time", now_ns=now_ns, floor_ns=floor)
        options = Options(self.config["tp"])
        state, proven = update.apply_update_full(self.trusted, data, options, now_ns, None,
                                                 self.limits)
        state = slim(state)
        data = None
        if FULL_GC:
            gc.collect()  # the verification's garbage goes before the commit's buffers are made
        h = state.header
        record, uuid = self._own_record(proven, h)
        changes = {"trusted": trusted_at_rest.pack_trusted_parts(state)}
        config = self.config
        if uuid != config.get("uuid"):
            config = {"tp": config["tp"], "uuid": uuid}
            changes["config"] = cbor.dumps(config)
        if record is not None:
            changes["record"] = cbor.dumps(record)
        if self.ota is not None:   # release records proven here approve firmware images
            changes.update(self.ota.remember_releases(proven))
        acct = self._own_account(proven, h.height)
        if acct is not None:
            changes[ACCT_SEQ] = cbor.dumps(acct)
        self._commit(changes)
        self.trusted, self.config = state, config
        if record is not None:
            self.record = record
        if acct is not None:
            self.acct_seq = acct
        return state, len(proven), record is not None

    def _own_account(self, proven, height):
        """This chip's x/auth account among the verified proofs: {"n", "s", "h"} or None. Its
        key is the account key's address; the value must name it and, once the chain knows
        the key, this key (a proof of another account's value is refused, typed)."""
        if self.acct_pub is None:
            return None
        mine = None
        for store, key, value in proven:
            if store != ACC_STORE or value is None:
                continue
            from lightclient.chip import cosmos_tx
            if mine is None:
                mine = cosmos_tx.account_key(cosmos_tx.account_address(self.acct_pub))
            if key != mine:
                continue
            a = cosmos_tx.decode_account(value)
            if (a["address"] != cosmos_tx.bech32_address(self.acct_pub)
                    or a["pub_key"] not in (None, b"") and bytes(a["pub_key"]) != self.acct_pub):
                raise lc_error(lc.E_REFUSED, "account_mismatch", "the proven account is not "
                               "this chip's")
            old = self.acct_seq
            if old is not None and old["n"] == a["account_number"] and a["sequence"] < old["s"]:
                return None   # an older proof (the chain never lowers a sequence): keep ours
            return {"n": a["account_number"], "s": a["sequence"], "h": height}
        return None

    def _own_record(self, proven, header):
        """The proven entry that is this device's record, if any: the configured uuid's key, or
        (no uuid yet) a record that names this device's public key, whose uuid is adopted."""
        uuid = self.config.get("uuid")
        want = txs.record_key(uuid) if uuid is not None else None
        mine = self._chain_record_key()
        for store, key, value in proven:
            if store != txs.STORE:
                continue
            if key == mine:
                pass            # the real chain's x/devices record of this chip's account
            elif want is not None:
                if key != want:
                    continue
            else:
                if value is None or self.pub is None:
                    continue
                try:
                    rec = txs.decode_record(value)
                    if rec["device_pubkey"] != self.pub.hex() or txs.record_key(rec["uuid"]) != key:
                        continue
                except DecodeError:
                    continue
                uuid = rec["uuid"]
            if value is not None and len(value) > MAX_RECORD_VALUE:
                raise lc_error(lc.E_TOO_LARGE, "record_too_large", "device record too large to "
                               "cache", length=len(value), max_len=MAX_RECORD_VALUE)
            return {"s": store, "k": key, "v": value, "h": header.height,
                    "t": header.time_ns}, uuid
        return None, uuid

    def _chain_record_key(self):
        """The key of this chip's record in the real chain's x/devices store: 0x01 || its
        account address, RIPEMD160(SHA256(account key)) (tools/chain/x/devices/types/keys.go);
        None before the chip has an account key."""
        if self.acct_pub is None:
            return None
        return b"\x01" + crypto.ripemd160(hashlib.sha256(bytes(self.acct_pub)).digest())

    # --- reading back -------------------------------------------------------------------------

    def settings(self, now_ns=None):
        if self.record is None:
            raise lc_error(lc.E_NO_RECORD, "no_record", "no verified device record cached")
        r = self.record
        out = {"uuid": self.config.get("uuid") if self.config else None, "record": r["v"],
               "height": r["h"], "header_time_ns": r["t"],
               "trusted_height": self.trusted.header.height if self.trusted else None}
        if now_ns is not None:
            out["age_ns"] = now_ns - r["t"]
        return out

    def status(self):
        t = self.trusted
        out = {"has_key": self.pub is not None, "pub": self.pub, "provisioned": t is not None,
               "account_pub": self.acct_pub,
               "store_ok": self.store is not None and self.store_error is None,
               "crypto": crypto.backend_name()}  # "lccrypto" (native) or "pure"
        if self.store_error is not None:
            out["store_error"] = str(self.store_error)[:200]
        if self.store is not None:
            out["generation"] = getattr(self.store, "generation", None)
        if t is not None:
            h = t.header
            out["chain_id"] = h.chain_id
            out["height"] = h.height
            out["time_ns"] = h.time_ns
            out["app_hash"] = h.app_hash
            out["time_floor_ns"] = self.time_floor()
            out["trusting_period_ns"] = self.config["tp"]
            out["uuid"] = self.config.get("uuid")
        if self.record is not None:
            out["record_height"] = self.record["h"]
        if self.ota is not None:
            try:
                st = self.ota.state()
                out["image"] = st["i"][st["a"]]["v"] if st["i"][st["a"]] else None
                out["image_trial"] = st["tr"] is not None
                out["security_version"] = self.ota.security_version()
                out["last_boot"] = self.ota.last_boot
            except Exception as e:   # a store that cannot be read: say so, keep answering
                out["image_error"] = str(e)[:120]
        return out

    def store_check(self):
        self._need_store()
        try:
            r = self.store.check()
        except Exception as e:
            raise lc_error(lc.E_STORE, "store_check", str(e))
        out = {}
        for k in r:
            v = r[k]
            if isinstance(v, (list, tuple)):
                v = [str(x)[:120] for x in v[:16]]
            elif not (v is None or isinstance(v, (bool, int, str, bytes))):
                v = str(v)[:120]
            out[str(k)] = v
        return out
