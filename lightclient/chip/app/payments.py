# Payment vouchers on the chip (docs/vouchers.md): the spender key, the owner's caps and the
# counters of what was signed, and the one rule: the new cumulative amount is on flash (the
# counter log) before the voucher is signed, and the day is the day of the chip's own trusted
# header time. The decision itself is pure (pay/ledger.py); this is its shell.
#
# The spender key is the device's secp256k1 account key (device.py, store record "acct"): one
# key signs its transactions and its vouchers, each kind in its own domain, and the chain takes
# it from the device's x/devices record (docs/payments.md). Store record (one commit, rare):
#   "pay"        CBOR {"caps": caps CBOR, "sig": owner signature, "log": counter log id (8)}
# Counter log (its own two sectors, store/counter_log.py): one 80-byte Entry per voucher signed.

from lightclient.chip.core import cbor
from lightclient.chip.core.errors import LightClientError
from lightclient.chip.crypto import backend as crypto
from lightclient.chip.pay import caps as C
from lightclient.chip.pay import voucher as V
from lightclient.chip.pay.ledger import DAY_NS, Ledger, PayRefused
from lightclient.chip.smp import pay as P
from lightclient.chip.store.counter_log import CounterLog

KEY = "acct"   # the device's account key's secret (device.py); never returned, never logged
RECORD = "pay"


def refuse(check, message, **details):
    e = PayRefused(check, message, **details)
    e.rc = P.CHECK_CODES.get(check, P.E_REFUSED)
    return e


class Payments:
    def __init__(self, device, logdev, secret, rng):
        """device: app.device.Device (its store, trusted state and owner); logdev: the counter
        log's block device (two sectors) or None on a board without one."""
        self.device = device
        self.rng = rng
        self.log = None
        self.error = None
        self.caps = None
        self.pay = None
        self.ledger = Ledger()
        self.pub = None
        if logdev is None or device.store is None:
            self.error = refuse("paylog_unavailable", "no counter log partition or no store")
            return
        try:
            self.log = CounterLog(logdev, secret)
            r = device._get(RECORD)
            if r is not None:
                self.pay = cbor.loads(r)
                self.caps = C.decode(self.pay["caps"])
                self.ledger.load(self.log.mount(self.pay["log"]))
        except LightClientError as e:  # a log that does not mount: refuse to pay, say why
            self.error = e
        except Exception as e:
            self.error = refuse("paylog_read", str(e))

    def _need(self):
        if self.error is not None:
            e = refuse(getattr(self.error, "check", "paylog"), str(self.error))
            e.rc = P.E_STORE
            raise e

    def _secret(self):
        return self.device._get(KEY)  # a store fault: the typed store_read refusal

    def spender_key(self, create):
        """The device's account key (made here if create and the device has none yet)."""
        if self.device.acct_pub is None and create:
            self.device.generate_account_key(False)
        if self.device.acct_pub is None:
            raise refuse("no_key", "no account key yet")
        self.pub = self.device.acct_pub
        return self.pub

    # --- the owner's caps -----------------------------------------------------------------------

    def set_caps(self, encoded, sig, owner_pub=None):
        owner = self.device.owner_key_for(owner_pub)
        if owner is None:
            raise refuse("no_owner", "no verified device record or registration names an "
                         "owner (key) yet")
        msg = C.message_bytes(encoded)
        ok = (crypto.ed25519_verify(owner, msg, sig) if len(owner) == 32 else
              crypto.secp256k1_verify(owner, msg, sig))
        if not ok:
            raise refuse("owner_signature", "the caps message is not signed by the owner")
        caps = C.decode(encoded)
        if caps.spender != self.spender_key(False):
            raise refuse("caps_device", "caps for another chip's spender key")
        t = self.device.trusted
        if t is None:
            raise refuse("not_provisioned", "no trusted header yet")
        if caps.chain_id != t.header.chain_id:
            raise refuse("caps_chain", "caps for another chain", chain_id=caps.chain_id)
        if self.caps is not None and caps.version <= self.caps.version:
            raise refuse("caps_version", "caps not newer than the ones held",
                         version=caps.version, held=self.caps.version)
        if self.log is None:
            self._need()
        log_id = self.pay["log"] if self.pay is not None and self.error is None else None
        if log_id is None:
            # First caps (or a log lost to the flash): a fresh log, named in the same record,
            # formatted before the record names it.
            log_id = bytes(self.rng(8))
            self.log.format(log_id)
            self.ledger = Ledger()
        pay = {"caps": bytes(encoded), "sig": bytes(sig), "log": log_id}
        self.device._commit({RECORD: cbor.dumps(pay)})
        self.pay, self.caps, self.error = pay, caps, None
        return caps

    # --- vouchers ---------------------------------------------------------------------------------

    def sign_voucher(self, v):
        self._need()
        if self.caps is None:
            raise refuse("no_caps", "the owner has set no caps")
        t = self.device.trusted
        if t is None:
            raise refuse("not_provisioned", "no trusted header yet")
        V.check(v)
        if v.chain_id != t.header.chain_id:
            raise refuse("voucher_chain", "voucher for another chain", chain_id=v.chain_id)
        secret = self._secret()
        if secret is None:
            raise refuse("no_key", "no spender key yet")
        e = self.ledger.decide(self.caps, v, t.header.time_ns // DAY_NS)
        if e is not None:
            prev = self.ledger.lanes.get(v.key())
            inc = v.amount - (prev.amount if prev is not None else 0)
            self.log.append(e.pack(), self.ledger.live)  # on flash before anything is signed
            self.ledger.apply(e)
        else:
            inc = 0
        signed = V.sign_bytes(v)
        sig = crypto.secp256k1_sign(secret, signed)
        secret = None
        ch = self.caps.channel(v.channel)
        if e is None:
            text = "again: %s %s in all to %s" % (V.format_amount(v.amount, self.caps.decimals),
                                                 self.caps.symbol, ch[1])
        else:
            text = V.summary(inc, self.caps.decimals, self.caps.symbol, ch[1])
        return {"voucher": signed, "sig": sig, "summary": text, "increment": inc,
                "repeat": e is None}

    def status(self):
        out = {"caps": self.caps is not None, "pub": self.pub}
        if self.error is not None:
            out["error"] = str(self.error)[:200]
        if self.caps is not None:
            c = self.caps
            out.update({"version": c.version, "denom": c.denom, "per_call": c.per_call,
                        "per_day": c.per_day, "channels": len(c.channels)})
            t = self.device.trusted
            if t is not None:
                out["spent_today"] = self.ledger.spent_today(t.header.time_ns // DAY_NS)
            out["spent"] = [[e.channel, e.channel_total] for e in self.ledger.channels.values()]
            # each lane's latest voucher: the Pi's router continues from these after a restart
            lanes = list(self.ledger.lanes.values())
            lanes.sort(key=lambda e: e.seq)
            out["lanes"] = [[e.channel, e.lane, e.nonce, e.amount] for e in lanes]
        if self.log is not None:
            out["log"] = dict(self.log.stats)
        return out
