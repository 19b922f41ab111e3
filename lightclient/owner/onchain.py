# The owner's side of x/devices' PairingMsg (docs/chain-pairing.md): what `mycroft-lc owner pair |
# devices | remove | set | get | grants` do on the chain. State is read verified (ChainView), the
# envelopes are made by OwnerBook from that state, and the owner key signs the transactions
# (lightclient.chip.cosmos_tx, sent by lightclient.txclient).

import os

from lightclient import txclient
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.core.errors import LocalFault
from lightclient.chip.keys import envelope
from lightclient.owner import chain
from lightclient.owner.book import OwnerBook


class OwnerChainError(LocalFault):
    """What the owner asked for does not fit the verified state (no such device, no record)."""


class OwnerChain:
    def __init__(self, key, view, random=os.urandom):
        """key: lightclient.owner.keyfile.OwnerKey; view: a ChainView."""
        self.key = key
        self.view = view
        self.chain_id = view.chain_id
        self.address = chain.owner_address(key.secp256k1_public)
        self.random = random
        self.tx = txclient.TxClient(view.rpc, self.chain_id, key.secp256k1_public,
                                    ct.sign_secp256k1(key.secp256k1_secret),
                                    lambda: view.account(ct.account_address(key.secp256k1_public)),
                                    wait_new_state=lambda: view.head(view.head().height + 1))

    # --- verified reads ---------------------------------------------------------------------

    def owner_record(self):
        v = self.view.prove(chain.STORE, chain.owner_key(self.address))
        return chain.decode_owner(v) if v is not None else None

    def device(self, pub):
        v = self.view.prove(chain.STORE, chain.paired_key(pub))
        return chain.decode_paired(v) if v is not None else None

    def devices(self):
        """[(Ed25519 key, paired record)] of this owner, each proven; the record's statement
        and both signatures are checked again here."""
        from lightclient.chip.crypto import backend
        from lightclient.chip.keys import pairing
        o = self.owner_record()
        out = []
        for pub in (o["devices"] if o else []):
            d = self.device(pub)
            signed = pairing.signing_bytes(d["statement"]) if d else b""
            if (d is None or d["owner"] != self.address
                    or not backend.verify("secp256k1", self.key.secp256k1_public, signed,
                                          d["owner_signature"])
                    or not backend.ed25519_verify(pub, signed, d["device_signature"])):
                raise OwnerChainError("owner_device_record", "a device record of this owner "
                                      "does not carry its signed statement", device=bytes(pub))
            out.append((bytes(pub), d))
        return out

    def book(self):
        """An OwnerBook at the verified epoch with the verified devices."""
        o = self.owner_record()
        b = OwnerBook(self.key, self.chain_id, self.address, self.random,
                      epoch=o["epoch"] if o else 0)
        for pub, d in self.devices():
            b.devices[pub] = d["x25519_key"]
        return b

    def sealed(self, record_key):
        return self.view.prove(chain.STORE, chain.sealed_key(record_key))

    # --- writes -----------------------------------------------------------------------------

    def _send(self, msg):
        [(_result, height)] = self.tx.send([[msg]])
        # the state after block `height` is committed by header height + 1: a write returns
        # once that header is verified, so every later read (this process or the next) sees it
        self.view.min_height = max(self.view.min_height, height + 1)
        self.view.head(height + 1)
        return height

    def pair(self, result):
        """Writes the pairing statement (lightclient.owner.pair.PairingResult) with both
        signatures and the current epoch envelope re-sealed to the devices plus this one."""
        env = self.book().pair(result.device_pub, result.device_x25519)
        return self._send(chain.msg_pair_device(self.address, result.statement, result.owner_sig,
                                                result.device_sig, env))

    def remove(self, device_pub):
        b = self.book()
        if bytes(device_pub) not in b.devices:
            raise OwnerChainError("owner_no_device", "no such device of this owner",
                                  device=bytes(device_pub))
        env = b.remove(device_pub)
        return self._send(chain.msg_remove_device(self.address, device_pub, env))

    def set(self, name, plaintext):
        record_key = chain.settings_record_key(self.address, name)
        old = self.sealed(record_key)
        version = envelope.parse(old)[envelope.K_VERSION] + 1 if old is not None else 1
        env = self.book().seal(record_key, plaintext, version)
        return self._send(chain.msg_put_sealed(self.address, env)), version

    def get(self, name, min_version=0):
        """The plaintext of a setting, opened with the owner's own epoch key; the writer must be
        the owner or one of its paired devices."""
        record_key = chain.settings_record_key(self.address, name)
        data = self.sealed(record_key)
        if data is None:
            raise OwnerChainError("owner_no_record", "the chain proves there is no such setting",
                                  name=name)
        writers = [("ed25519", pub) for pub, _d in self.devices()]
        return self.book().open(record_key, data, min_version, writers)

    def grant(self, grantee, klass, expiry):
        st = chain.grant_statement(self.chain_id, self.key.secp256k1_public, grantee, klass,
                                   expiry)
        return self._send(chain.msg_grant(self.address, st,
                                          chain.sign_grant(self.key.secp256k1_secret, st)))

    def revoke(self, grantee, klass):
        return self._send(chain.msg_revoke(self.address, grantee, klass))

    def grants(self):
        """[{grantee, class, expiry, ...}] of every grant the verified owner record lists, each
        proven and its owner signature checked."""
        o = self.owner_record()
        return [self.grant_of(grantee, klass) for grantee, klass in (o["grants"] if o else [])]

    def grant_of(self, grantee, klass):
        """The verified grant {grantee, class, expiry}, its owner signature checked, or None."""
        v = self.view.prove(chain.STORE, chain.grant_key(self.address, grantee, klass))
        if v is None:
            return None
        g = chain.decode_grant(v)
        if not chain.verify_grant(g["statement"], g["signature"], self.key.secp256k1_public):
            raise OwnerChainError("owner_grant_signature", "a grant record without the owner's "
                                  "signature", grantee=grantee)
        return chain.parse_grant(g["statement"])


def grant_in_force(view, owner_address, owner_pub, grantee, klass):
    """A grantee's (or a device's) check before it reads or uploads a class: the grant proven
    against the latest verified header, its owner signature checked, and its expiry compared with
    that header's time (chain time, not the local clock). -> (in force, grant or None)."""
    v = view.prove(chain.STORE, chain.grant_key(owner_address, grantee, klass))
    header = view.trusted.header          # the header that proof was checked against
    if v is None:
        return False, None
    g = chain.decode_grant(v)
    if not chain.verify_grant(g["statement"], g["signature"], owner_pub):
        raise OwnerChainError("grant_signature", "a grant record without the owner's signature",
                              grantee=grantee)
    grant = chain.parse_grant(g["statement"])
    if grant["grantee"] != grantee or grant["class"] != klass or grant["chain_id"] != view.chain_id:
        raise OwnerChainError("grant_mismatch", "the grant record is for another grantee, class "
                              "or chain", grantee=grant["grantee"])
    return header.time_ns // 10 ** 9 < grant["expiry"], grant


def open_on_chip(view, mcu, owner_address, name, min_version=0):
    """The device's read of a setting: the record and its epoch's envelope proven against a
    verified header (here, on the Pi), then opened on the chip, which holds the X25519 key:
    the Pi gets the plaintext and never a key. -> {"plaintext", "version", "epoch"}."""
    from lightclient.chip.keys import epochs
    from lightclient.chip.smp import header as H
    from lightclient.chip.smp import keys as K
    record_key = chain.settings_record_key(owner_address, name)
    env = view.prove(chain.STORE, chain.sealed_key(record_key))
    if env is None:
        raise OwnerChainError("setting_absent", "the chain proves there is no such setting",
                              name=name)
    epoch = envelope.parse(env)[envelope.K_EPOCH]
    epoch_env = view.prove(chain.STORE, chain.sealed_key(
        epochs.epoch_record_key(owner_address, epoch)))
    if epoch_env is None:
        raise OwnerChainError("epoch_absent", "the chain proves the record's epoch has no key "
                              "envelope", epoch=epoch)
    return mcu.keys(H.OP_WRITE, K.OPEN_SEALED, {
        "epoch": epoch, "owner_id": owner_address, "epoch_env": epoch_env, "key": record_key,
        "env": env, "min_version": min_version})
