# Payment vouchers through the emulated board on the chip's 32-bit build (96 KiB heap, frozen
# image, lccrypto): the Pi's PayClient asks, the chip signs within the owner's caps, refuses
# with typed errors, and after a reboot signs the lost answer again but never a second amount.
import hashlib
import json
from pathlib import Path

import ecdsa
import pytest

import tests.firmware.fwscenario as fwscenario
from lightclient import pay as pi
from lightclient import gov, txpolicy
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.crypto import backend, ed25519, secp256k1
from lightclient.chip.pay import receipt
from lightclient.chip.smp import lc
from lightclient.chip.smp import pay as P
from lightclient.hwtest.emulator import EmulatedBoard
from lightclient.mcu import McuClient, McuError
from tests.chip32 import chip32

OWNER = b"\x41" * 32
CH = b"\x5e" * 32
VECTORS = json.loads((Path(__file__).parents[1] / "chip" / "pay" / "vectors.json").read_text())


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    b = EmulatedBoard("esp32-devkitc", tmp_path_factory.mktemp("pay32") / "lcstore.img")
    b.start()
    yield b
    b.stop()


def test_vouchers_within_the_caps_refusals_and_a_reboot(board):
    with McuClient(board.port, timeout=20) as mcu:
        p = pi.PayClient(mcu)
        pub = mcu.generate_key()
        sc = fwscenario.Scenario(pub, owner_pub=ed25519.public_key(OWNER))
        mcu.set_checkpoint(sc.checkpoint(1), uuid=sc.uuid)
        mcu.submit_update(sc.update(1, 2), sc.now(2))
        chain = sc.chain.chain_id
        spender = p.spender_key()
        assert len(spender) == 33 and p.spender_key() == spender
        enc = pi.caps_cbor(1, chain, spender, 5000, 20000, [(CH, "weather.example", 12000)])
        with pytest.raises(McuError) as e:
            p.set_caps(enc, ed25519.sign(b"\x42" * 32, pi.caps_signing_bytes(enc)))
        assert (e.value.rc, e.value.check) == (P.E_OWNER, "owner_signature")
        assert p.set_caps(enc, ed25519.sign(OWNER, pi.caps_signing_bytes(enc))) == 1

        r = p.sign_voucher(chain, CH, 0, 1, 2000)
        assert r["summary"] == "pay 0.002 MYC to weather.example"
        v = pi.verify_voucher(spender, r["voucher"], r["sig"])
        assert (v.nonce, v.amount, v.chain_id) == (1, 2000, chain)
        vk = ecdsa.VerifyingKey.from_string(spender, curve=ecdsa.SECP256k1,
                                            hashfunc=hashlib.sha256)
        assert vk.verify(r["sig"], r["voucher"], hashfunc=hashlib.sha256)
        for n, amount, check in ((2, 7001, "cap_per_call"), (1, 2500, "nonce_reused"),
                                 (0, 10, "nonce_old")):
            with pytest.raises(McuError) as e:
                p.sign_voucher(chain, CH, 0, n, amount)
            assert e.value.check == check
        last = p.sign_voucher(chain, CH, 0, 2, 7000)
        mcu.reset()  # a reboot: everything in RAM rebuilt from the flash
    with McuClient(board.port, timeout=20) as mcu:
        p = pi.PayClient(mcu)
        again = p.sign_voucher(chain, CH, 0, 2, 7000)
        assert again["repeat"] and (again["voucher"], again["sig"]) == (last["voucher"],
                                                                       last["sig"])
        with pytest.raises(McuError) as e:
            p.sign_voucher(chain, CH, 0, 2, 7001)
        assert (e.value.rc, e.value.check) == (P.E_NONCE, "nonce_reused")
        p.sign_voucher(chain, CH, 1, 1, 5000)
        with pytest.raises(McuError) as e:
            p.sign_voucher(chain, CH, 2, 1, 1)  # 7000 + 5000 = the channel's 12,000
        assert (e.value.rc, e.value.check) == (P.E_CAP, "cap_per_channel")
        st = p.status()
        # since the reboot: one new voucher, one 96-byte record; the repeat wrote nothing
        assert st["spent_today"] == 12000 and st["log"]["bytes_programmed"] == 96
        # each lane's last voucher, as the Pi's router reads it after a restart
        assert pi.status_lanes(st) == {(CH, 0): (2, 7000), (CH, 1): (1, 5000)}


def test_lccrypto_signs_the_vectors():
    secret = VECTORS["secret_key"]
    code = "from lightclient.chip.crypto import backend as b\n"
    for c in VECTORS["vouchers"]:
        code += "print(b.secp256k1_sign(bytes.fromhex(%r), bytes.fromhex(%r)).hex())\n" % (
            secret, c["sign_bytes"])
    r = chip32.run("import sys\nsys.path[:] = ['.frozen']\n" + code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [c["signature"] for c in VECTORS["vouchers"]]


def test_caps_then_limits_fit_the_heap_and_every_signature_still_works(tmp_path):
    """Issue 21: the owner's caps and THEN the owner's signing limits on the board's 96 KiB heap
    once failed with E_STORE store_write (4097 bytes: the emulated flash's erase, one 4 KiB bytes
    object, with no 4 KiB hole left); then a signature of each kind. This sequence no longer
    uses up the heap's 4 KiB holes even with a sector-sized erase, so it guards the sequence; the
    allocation itself is guarded by test_emulated_flash32 (which fails on such an erase)."""
    secret = hashlib.sha256(b"issue 21 owner").digest()
    owner_pub = backend.secp256k1_public_key(secret)
    owner20 = ct.account_address(owner_pub)
    b = EmulatedBoard("esp32-devkitc", tmp_path / "lcstore.img")
    assert b.runtime == "chip32" and b.heap == 96 * 1024
    b.start()
    try:
        with McuClient(b.port, timeout=20) as mcu:
            pub = mcu.generate_key()
            acct = mcu.generate_account_key()
            sc = fwscenario.Scenario(pub)
            mcu.set_checkpoint(sc.checkpoint(1), uuid=sc.uuid)
            chain = sc.chain.chain_id
            reg = mcu.sign_registration(chain, owner20)
            assert secp256k1.verify(acct, ct.registration_statement(chain, owner20, acct), reg)
            p = pi.PayClient(mcu)
            caps = pi.caps_cbor(1, chain, acct, 5000, 20000, [(CH, "weather.example", 12000)])
            assert p.set_caps(caps, backend.secp256k1_sign(secret, pi.caps_signing_bytes(caps)),
                              owner_pub) == 1
            limits = txpolicy.policy_cbor(1, chain, acct, owner=ct.bech32_address(owner_pub),
                                          account_number=3, denom="stake", max_fee=100)
            assert mcu.set_tx_policy(limits, backend.secp256k1_sign(
                secret, txpolicy.signing_bytes(limits)), owner_pub) == 1

            me = ct.bech32_address(acct)
            # its own vote (a device write needs a pairing: its envelope is sealed on the chip)
            doc = ct.sign_doc(ct.tx_body([gov.msg_vote(7, me, "yes")]),
                              ct.auth_info(acct, 0, 200000, [("stake", 100)]), chain, 3)
            sig, summary = mcu.sign_tx_summary(doc)
            assert summary == "vote YES on proposal 7" and secp256k1.verify(acct, doc, sig)
            r = p.sign_voucher(chain, CH, 0, 1, 2000)
            assert pi.verify_voucher(acct, r["voucher"], r["sig"]).amount == 2000
            for kind in ("message", "request"):
                assert ed25519.verify(pub, lc.sign_message(kind, b"hello"),
                                      mcu.sign(b"hello", kind))
            assert secp256k1.verify(acct, ct.registration_statement(chain, owner20, acct),
                                    mcu.sign_registration(chain, owner20))
            rc = p.sign_receipt(b"\x5e" * 20)          # a service receipt (docs/rewards.md)
            assert receipt.decode(rc["receipt"])[:3] == (chain, b"\x5e" * 20,
                                                         ct.account_address(acct))
            assert secp256k1.verify(acct, rc["receipt"], rc["sig"])
    finally:
        b.stop()
