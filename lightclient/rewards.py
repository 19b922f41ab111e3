"""Rewards for serving light blocks (x/servicerewards, docs/rewards.md) as the Pi, the owner and
a serving device see them: the module's messages; bonds, earnings, the pool and the params read
from VERIFIED state (ICS23 proofs against the app_hash of headers our light client verified,
never a node's word); and the server's receipt book, which keeps the receipts its clients'
chips signed (checked before they are kept) until `mycroft-lc rewards submit` sends them."""

import json
import os
import threading

from lightclient.atomic_file import write_atomic
from lightclient.channels import proven
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.core import proto
from lightclient.chip.core.errors import DecodeError, LightClientError
from lightclient.chip.crypto import backend
from lightclient.chip.pay import receipt as R

STORE = "servicerewards"
BOND_PREFIX = b"\x01"            # 0x01 || device (20) -> Bond
EARNINGS_PREFIX = b"\x05"        # 0x05 || device (20) -> Earnings
PARAMS_KEY = b"\x07"             # Params
POOL_KEY = b"\x08"               # u64 big-endian
MAX_RECORD = 1024
MAX_BOOK = 1024                  # receipts a server keeps before it submits
MAX_BATCH = 64                   # types.MaxReceiptsPerMsg

MSG_BOND = "/mycroft.servicerewards.v1.MsgBond"
MSG_UNBOND = "/mycroft.servicerewards.v1.MsgUnbond"
MSG_SUBMIT = "/mycroft.servicerewards.v1.MsgSubmitReceipts"
MSG_FUND_POOL = "/mycroft.servicerewards.v1.MsgFundPool"
MSG_REPORT = "/mycroft.servicerewards.v1.MsgReportReceipt"

# x/servicerewards' registered errors (tools/chain/x/servicerewards/types/errors.go)
CODESPACE = "servicerewards"
ERRORS = {2: "invalid_receipt", 3: "receipt_signature", 4: "receipt_chain", 5: "same_owner",
          6: "not_bonded", 7: "unknown_device", 8: "header_unknown", 9: "header_mismatch",
          10: "duplicate_receipt", 11: "server_epoch_cap", 12: "client_epoch_cap",
          13: "not_owners_device", 14: "invalid_amount", 15: "bond_locked", 16: "no_bond",
          17: "batch_size", 18: "self_service", 19: "not_abuse"}


class ReceiptRefused(LightClientError):
    """A receipt the server will not keep, or the chain refused (check names the rule)."""


def error_name(code):
    return ERRORS.get(code, "unknown_%d" % code)


# --- messages ---------------------------------------------------------------------------------

def _signed(receipt, sig):
    return proto.bytes_field(1, bytes(receipt)) + proto.bytes_field(2, bytes(sig))


def msg_bond(owner, device, amount):
    """The owner bonds (denom, amount) for its device (x/devices must say it is the owner's)."""
    return MSG_BOND, (proto.bytes_field(1, owner) + proto.bytes_field(2, device)
                      + proto.message_field(3, ct.coin(*amount), nullable=False))


def msg_unbond(owner, device):
    return MSG_UNBOND, proto.bytes_field(1, owner) + proto.bytes_field(2, device)


def msg_submit_receipts(submitter, receipts):
    """receipts: [(receipt bytes, signature)] as the client chips signed them (1..64)."""
    if not 1 <= len(receipts) <= MAX_BATCH:
        raise DecodeError("batch_size", "1..64 receipts per message", count=len(receipts))
    return MSG_SUBMIT, proto.bytes_field(1, submitter) + b"".join(
        proto.message_field(2, _signed(r, s)) for r, s in receipts)


def msg_fund_pool(funder, amount):
    return MSG_FUND_POOL, (proto.bytes_field(1, funder)
                           + proto.message_field(2, ct.coin(*amount), nullable=False))


def msg_report_receipt(reporter, receipt, sig):
    return MSG_REPORT, (proto.bytes_field(1, reporter)
                        + proto.message_field(2, _signed(receipt, sig), nullable=False))


# --- proven reads ------------------------------------------------------------------------------

def _text(b, what):
    try:
        return bytes(b).decode()
    except UnicodeError:
        raise DecodeError("rewards_text", "not UTF-8", field=what)


def _fields(value, n):
    if not 0 < len(value) <= MAX_RECORD:
        raise DecodeError("rewards_size", "record missing or larger than the limit")
    return proto.fields(bytes(value), n)


def decode_bond(value):
    fs = _fields(value, 5)
    return {"device": _text(proto.get_one(fs, 1, proto.LEN, b""), "device"),
            "owner": _text(proto.get_one(fs, 2, proto.LEN, b""), "owner"),
            "amount": proto.get_one(fs, 3, proto.VARINT, 0),
            "locked_until_epoch": proto.get_one(fs, 4, proto.VARINT, 0),
            "slashed": proto.get_one(fs, 5, proto.VARINT, 0)}


def decode_earnings(value):
    fs = _fields(value, 6)
    return {"device": _text(proto.get_one(fs, 1, proto.LEN, b""), "device"),
            "paid_to": _text(proto.get_one(fs, 2, proto.LEN, b""), "paid_to"),
            "total": proto.get_one(fs, 3, proto.VARINT, 0),
            "last_epoch": proto.get_one(fs, 4, proto.VARINT, 0),
            "last_amount": proto.get_one(fs, 5, proto.VARINT, 0),
            "last_receipts": proto.get_one(fs, 6, proto.VARINT, 0)}


def decode_params(value):
    fs = _fields(value, 7)
    names = ("epoch_blocks", "reward_per_receipt", "min_bond", "epoch_cap_bps",
             "unbond_lock_epochs", "max_servers_per_client")
    out = {"denom": _text(proto.get_one(fs, 1, proto.LEN, b""), "denom")}
    out.update({n: proto.get_one(fs, i + 2, proto.VARINT, 0) for i, n in enumerate(names)})
    return out


def bond(rpc, header, device20):
    """The proven bond of a device, or None when the chain proves it has none."""
    v = proven(rpc, header, STORE, BOND_PREFIX + bytes(device20), MAX_RECORD)
    return None if v is None else decode_bond(v)


def earnings(rpc, header, device20):
    """What the chain proves a serving device has been paid, or None (never paid)."""
    v = proven(rpc, header, STORE, EARNINGS_PREFIX + bytes(device20), MAX_RECORD)
    return None if v is None else decode_earnings(v)


def params(rpc, header):
    v = proven(rpc, header, STORE, PARAMS_KEY, MAX_RECORD)
    if v is None:
        raise DecodeError("rewards_params", "the chain proves no params: not this module")
    return decode_params(v)


def pool(rpc, header):
    v = proven(rpc, header, STORE, POOL_KEY, 8)
    if v is not None and len(v) != 8:
        raise DecodeError("rewards_pool", "the pool is a u64")
    return 0 if v is None else int.from_bytes(v, "big")


# --- the serving device's receipt book ----------------------------------------------------------

def check_receipt(receipt, sig, client_pub, server20, chain_id):
    """A receipt this server may keep: its bytes decode, it names this server and chain, the
    client address is the key's and the key signed it. -> (height, client address20)."""
    try:
        cid, server, client, height, _hash = R.decode(receipt)
    except DecodeError as e:
        raise ReceiptRefused(e.check, "not receipt bytes: " + str(e)[:80])
    if cid != chain_id:
        raise ReceiptRefused("receipt_chain", "receipt for another chain", chain_id=cid[:64])
    if bytes(server) != bytes(server20):
        raise ReceiptRefused("receipt_server", "receipt names another server")
    if len(client_pub) != 33 or ct.account_address(client_pub) != bytes(client):
        raise ReceiptRefused("receipt_client_key", "the key is not the client's")
    if not backend.secp256k1_verify(bytes(client_pub), bytes(receipt), bytes(sig)):
        raise ReceiptRefused("receipt_signature", "the client's key did not sign it")
    return height, bytes(client)


class ReceiptBook:
    """The receipts a serving device collected, kept in `path` (JSON, written atomically): the
    latest per client device, at most MAX_BOOK. Only receipts check_receipt accepts."""

    def __init__(self, path, server20, chain_id):
        self.path, self.server, self.chain_id = path, bytes(server20), chain_id
        self.lock = threading.Lock()
        self.entries = {}           # client hex -> {"height", "receipt", "sig"} (hex)
        if os.path.exists(path):
            with open(path) as f:
                doc = json.load(f)
            self.entries = dict(doc.get("receipts", {}))

    def add(self, receipt, sig, client_pub):
        height, client = check_receipt(receipt, sig, client_pub, self.server, self.chain_id)
        with self.lock:
            old = self.entries.get(client.hex())
            if old is not None and old["height"] >= height:
                return False
            if old is None and len(self.entries) >= MAX_BOOK:
                raise ReceiptRefused("receipt_book_full", "submit the receipts first")
            self.entries[client.hex()] = {"height": height, "receipt": bytes(receipt).hex(),
                                          "sig": bytes(sig).hex()}
            self._save()
        return True

    def pending(self):
        with self.lock:
            return [(bytes.fromhex(e["receipt"]), bytes.fromhex(e["sig"]))
                    for _c, e in sorted(self.entries.items())]

    def submitted(self, receipts):
        """Forget these receipts (the chain counted them)."""
        done = {bytes(r).hex() for r, _s in receipts}
        with self.lock:
            self.entries = {c: e for c, e in self.entries.items() if e["receipt"] not in done}
            self._save()

    def _save(self):
        doc = {"server": self.server.hex(), "chain_id": self.chain_id, "receipts": self.entries}
        write_atomic(self.path, json.dumps(doc, sort_keys=True).encode())


# --- the served device's side --------------------------------------------------------------------

def give_receipt(pay, chip_pub, lan_url, timeout_s=5.0):
    """After this device's chip verified what the LAN server at lan_url served (mcu_bridge.push
    from a light client whose source it is), its chip signs a receipt for the server the server
    names in /status (`receipts_for`), and it is handed over. The chip names its own trusted
    header: it cannot be asked to vouch for a block it did not verify. -> the server's answer
    ({"kept": bool}) and the receipt; ReceiptRefused when the server collects none or refuses."""
    import urllib.error
    import urllib.request
    with urllib.request.urlopen(lan_url + "/status", timeout=timeout_s) as r:
        server = json.loads(r.read(64 * 1024))["result"].get("receipts_for")
    if not isinstance(server, str) or len(server) != 40:
        raise ReceiptRefused("no_receipts", "this LAN server collects no receipts")
    signed = pay.sign_receipt(bytes.fromhex(server))
    body = json.dumps({"receipt": bytes(signed["receipt"]).hex(), "sig": bytes(signed["sig"]).hex(),
                       "pub": bytes(chip_pub).hex()}).encode()
    req = urllib.request.Request(lan_url + "/receipt", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as r:
            return json.loads(r.read(4096)), signed
    except urllib.error.HTTPError as e:
        check = "http_%d" % e.code
        try:
            check = json.loads(e.read(4096)).get("error", check)
        except ValueError:
            pass
        raise ReceiptRefused(check, "the server refused the receipt")


def book_path(config):
    return os.path.join(config.state_dir, "receipts.json")


def book_for(config, device_bech32):
    """The receipt book of this device (STATE_DIR/receipts.json) for its account address."""
    from lightclient.gov import address_bytes
    return ReceiptBook(book_path(config), address_bytes(device_bech32), config.chain_id)
