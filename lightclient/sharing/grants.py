# The two sides of a grant (docs/grants.md), each reading the chain verified (a ChainView: headers
# by our light client, records by ICS23 against a verified app_hash):
# - the device's upload of a class: only while the owner's grants of that class are in force,
#   sealed to exactly those grantees' X25519 keys (proven) and the class's current epoch, the
#   blob put in the store by its hash, the hash indexed on chain by the device's own chip-signed
#   transaction;
# - the grantee's read: its grant proven in force, each index record of the class proven, the
#   blob fetched by hash (checked), opened with its X25519 key.

import os

from lightclient.localchain import devicetx
from lightclient.owner import chain as oc
from lightclient.owner.onchain import OwnerChainError, grant_in_force
from lightclient.sharing import chain as sc
from lightclient.sharing import sealed_blob


class NotCovered(OwnerChainError):
    """What was asked is not covered by a grant in force (no_grant, grant_expired,
    no_recipient_key, blob_not_covered): nothing is sealed, sent or opened."""


def owner_record(view, owner):
    v = view.prove(oc.STORE, oc.owner_key(owner))
    return oc.decode_owner(v) if v is not None else None


def class_state(view, owner, klass):
    return sc.decode_class_state(view.prove(oc.STORE, sc.class_state_key(owner, klass)))


def recipient_key(view, account):
    v = view.prove(oc.STORE, sc.recipient_key_key(account))
    return sc.decode_recipient_key(v) if v is not None else None


def grantees_in_force(view, owner, klass):
    """[(grantee, X25519 key or None, grant)] of the owner's grants of `klass` in force at the
    latest verified header, in the owner's grant order, each proven and its signature checked
    (the chain's rule for a blob's recipients, keeper.recipientsInForce)."""
    o = owner_record(view, owner)
    out = []
    for grantee, c in (o["grants"] if o else []):
        if c != klass:
            continue
        in_force, grant = grant_in_force(view, owner, o["pub_key"], grantee, klass)
        if in_force:
            out.append((grantee, recipient_key(view, grantee), grant))
    return out


def upload(view, tx, store, device, klass, plaintext, random=os.urandom):
    """The device's upload of one `klass` item. tx: a TxClient signing with the device's
    account key on its chip; store: a BlobClient. -> {sha256, size, epoch, recipients,
    height}. NotCovered when no grant of the class is in force (nothing leaves the Pi)."""
    rec = view.prove(devicetx.STORE, devicetx.device_key(oc.address20(device)))
    if rec is None:
        raise NotCovered("device_unregistered", "the chain proves no record of this device",
                         device=device)
    owner = devicetx.decode_device(rec)["owner"]
    in_force = grantees_in_force(view, owner, klass)
    if not in_force:
        raise NotCovered("no_grant", "no grant of this class is in force", klass=klass)
    recipients = [(g, k) for g, k, _grant in in_force if k]
    if not recipients:
        raise NotCovered("no_recipient_key", "no grantee in force has published its key",
                         klass=klass)
    epoch = class_state(view, owner, klass)["epoch"]
    blob = sealed_blob.seal(view.chain_id, owner, klass, epoch, plaintext,
                            [k for _g, k in recipients], random)
    sha = store.put(blob)
    [(_r, height)] = tx.send([[sc.msg_put_blob(device, klass, sha, len(blob), epoch,
                                               [g for g, _k in recipients])]])
    return {"sha256": sha, "size": len(blob), "epoch": epoch,
            "recipients": [g for g, _k in recipients], "height": height}


class Grantee:
    """A grantee's reader on top of an OwnerChain of its own key (its account signs and pays;
    an OwnerKey file serves: `mycroft-lc owner init`)."""

    def __init__(self, account):
        self.account = account
        self.key = account.key
        self.view = account.view
        self.address = account.address

    def publish_key(self):
        """MsgSetRecipientKey: the X25519 key devices seal to, signed by this account."""
        return self.account._send(sc.msg_set_recipient_key(self.address,
                                                           self.key.x25519_public))

    def grant(self, owner, klass):
        """Its grant of the owner's class, in force at the latest verified header, or
        NotCovered (no_grant: proven absent, never granted or revoked; grant_expired)."""
        o = owner_record(self.view, owner)
        if o is None:
            raise NotCovered("no_grant", "the owner has no grant at all", owner=owner)
        in_force, grant = grant_in_force(self.view, owner, o["pub_key"], self.address, klass)
        if grant is None:
            raise NotCovered("no_grant", "no grant of this class to us (never given, or "
                             "revoked)", klass=klass)
        if not in_force:
            raise NotCovered("grant_expired", "our grant expired", expiry=grant["expiry"])
        return grant

    def records(self, owner, klass):
        """[(seq, index record)] of the class, each proven."""
        n = class_state(self.view, owner, klass)["blobs"]
        out = []
        for seq in range(n):
            v = self.view.prove(oc.STORE, sc.blob_key(owner, klass, seq))
            if v is None:
                raise NotCovered("blob_record_absent", "the class state counts a record the "
                                 "chain proves absent", seq=seq)
            out.append((seq, sc.decode_blob_record(v)))
        return out

    def open_blob(self, store, owner, klass, record):
        """The plaintext of one proven index record: the blob by its hash (BlobError
        blob_hash if the store serves other bytes), opened with our X25519 key."""
        if self.address not in record["recipients"]:
            raise NotCovered("blob_not_covered", "the blob was not sealed to us",
                             epoch=record["epoch"])
        data = store.get(record["sha256"])
        return sealed_blob.open_(data, self.view.chain_id, owner, klass, record["epoch"],
                                 {self.key.x25519_public: self.key.x25519_secret})

    def read(self, store, owner, klass):
        """Everything of the class its grant covers: [{seq, sha256, epoch, time, plaintext}]
        of the records sealed to it, while the grant is in force."""
        self.grant(owner, klass)
        out = []
        for seq, rec in self.records(owner, klass):
            if self.address in rec["recipients"]:
                out.append({"seq": seq, "sha256": rec["sha256"], "epoch": rec["epoch"],
                            "time": rec["time"], "device": rec["device"],
                            "plaintext": self.open_blob(store, owner, klass, rec)})
        return out


def grant_table(account, more_classes=()):
    """`mycroft-lc owner grants`: who may read what, each grant proven and its owner signature
    checked (OwnerChain.grants), its state against the latest verified header's time, the
    grantee's proven recipient key, and per class its key epoch (one more at each revocation: a
    revoked grant is proven absent) and the blob records indexed. -> (grants, classes)."""
    listed = account.grants()
    now_s = account.view.trusted.header.time_ns // 10 ** 9 if listed else 0
    rows, classes = [], {}
    for g in listed:
        k = recipient_key(account.view, g["grantee"])
        rows.append({"grantee": g["grantee"], "class": g["class"], "expiry": g["expiry"],
                     "state": "in force" if now_s < g["expiry"] else "expired",
                     "recipient_key": k.hex() if k else None})
        classes.setdefault(g["class"], None)
    for klass in more_classes:
        classes.setdefault(klass, None)
    for klass in classes:
        classes[klass] = class_state(account.view, account.address, klass)
    return rows, classes
