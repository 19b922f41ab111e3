"""Service receipts on the LAN (lightclient/rewards.py, lan.py; docs/rewards.md): off by
default; with a receipt book the server names its device in /status and keeps only receipts
that check out; the served device's chip (in this process) signs for its own trusted header."""
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from lightclient import rewards as RW
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.app import boot
from lightclient.chip.crypto import backend
from lightclient.chip.pay import receipt as R
from lightclient.chip.store.filedev import RamBlockDevice
from lightclient.lan import LanServer
from lightclient.mcu import McuClient
from lightclient.pay import PayClient
from tests.chiplink import Wire

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "firmware"))
import fwscenario  # noqa: E402

SERVER = b"\x5e" * 20


@pytest.fixture
def chip():
    fw = boot.build(RamBlockDevice(4096, 16), b"\x09" * 32, {"board": "test"}, os.urandom)
    sc = fwscenario.Scenario(fw.device.generate_key(False))
    fw.device.set_checkpoint(sc.checkpoint(1), None, None, False)
    mcu = McuClient(Wire(fw), timeout=5)
    pub = mcu.generate_account_key()
    return PayClient(mcu), pub, fw.device.trusted.header


@pytest.fixture
def served(make_net, chain40, chip, tmp_path):
    net = make_net(chain40)
    c = net.client()
    assert c.boot(5).ok
    _pay, _pub, head = chip
    book = RW.ReceiptBook(str(tmp_path / "receipts.json"), SERVER, head.chain_id)
    srv = LanServer(c, receipts=book)
    yield srv, book
    srv.close()


def _post(url, body):
    req = urllib.request.Request(url + "/receipt", data=body, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_a_served_chip_signs_a_receipt_the_server_keeps(served, chip, tmp_path):
    srv, book = served
    pay, pub, head = chip
    answer, signed = RW.give_receipt(pay, pub, srv.url)
    assert answer == {"kept": True}
    assert R.decode(signed["receipt"]) == (head.chain_id, SERVER, ct.account_address(pub),
                                          head.height, head.hash())
    [(r, s)] = book.pending()
    assert (r, s) == (bytes(signed["receipt"]), bytes(signed["sig"]))
    # the same receipt again is not kept twice; the book survives a restart
    assert RW.give_receipt(pay, pub, srv.url)[0] == {"kept": False}
    again = RW.ReceiptBook(book.path, SERVER, head.chain_id)
    assert again.pending() == book.pending()
    again.submitted(again.pending())
    assert RW.ReceiptBook(book.path, SERVER, head.chain_id).pending() == []


def test_the_server_keeps_only_receipts_that_check_out(served, chip):
    srv, book = served
    _pay, pub, head = chip
    secret = b"\x33" * 32
    other = backend.secp256k1_public_key(secret)

    def body(server=SERVER, chain=head.chain_id, key=secret, pub_=other, sig=None):
        b = R.sign_bytes(chain, server, ct.account_address(pub_), 5, b"\x01" * 32)
        s = sig or backend.secp256k1_sign(key, b)
        return json.dumps({"receipt": b.hex(), "sig": bytes(s).hex(),
                           "pub": bytes(pub_).hex()}).encode()

    assert _post(srv.url, body()) == (200, {"kept": True})
    for kw, check in (({"server": b"\x01" * 20}, "receipt_server"),
                      ({"chain": "other-chain"}, "receipt_chain"),
                      ({"key": b"\x44" * 32}, "receipt_signature"),
                      ({"pub_": pub}, "receipt_signature")):
        status, doc = _post(srv.url, body(**kw))
        assert (status, json.loads(doc)) == (400, {"error": check}), kw
    status, doc = _post(srv.url, b'{"receipt": "zz"}')
    assert (status, json.loads(doc)) == (400, {"error": "bad_request"})
    assert _post(srv.url, b"x" * 4000)[0] == 413
    assert len(book.pending()) == 1


def test_without_a_book_nothing_is_collected(make_net, chain40, chip):
    net = make_net(chain40)
    c = net.client()
    assert c.boot(5).ok
    srv = LanServer(c)
    try:
        assert _post(srv.url, b"{}")[0] == 404
        pay, pub, _head = chip
        with pytest.raises(RW.ReceiptRefused) as e:
            RW.give_receipt(pay, pub, srv.url)
        assert e.value.check == "no_receipts"
    finally:
        srv.close()
