# Vouchers signed by the firmware's payments shell (app/payments.py) on CPython over simulated
# flash: the owner's caps, typed refusals through the SMP group, reboots, a lost counter log, and
# a power cut at every flash step of voucher signing with the Pi then trying to double-spend.
import copy

import pytest

import fwscenario
from norsim import NorFlash, PowerCut

import lightclient.native  # noqa: F401  (coincurve signs: the sweep signs thousands)
from lightclient import pay as pi
from lightclient.chip.app import boot
from lightclient.chip.app.payments import Payments
from lightclient.chip.crypto import ed25519
from lightclient.chip.pay import voucher as V
from lightclient.chip.pay.ledger import PayRefused
from lightclient.chip.smp import header as H
from lightclient.chip.smp import lc, pay as P
from lightclient.chip.store.filedev import RamBlockDevice, RamCounter

OWNER = b"\x31" * 32
SECRET = b"\x09" * 32
INFO = {"board": "test", "chip": "esp32"}
CH_A, CH_B = b"\xa1" * 32, b"\xb2" * 20
PER_CALL, PER_DAY, CAP_A, CAP_B = 5000, 60000, 40000, 30000


class Rng:
    def __init__(self):
        self.n = 0

    def __call__(self, k):
        self.n += 1
        return bytes([(self.n * 37 + i) % 256 for i in range(k)])


class Board:
    """The two flash areas of one chip (the store in RAM; the counter log on the simulator that
    cuts power) and a boot from them."""

    def __init__(self):
        self.store = RamBlockDevice(4096, 16)
        self.log = NorFlash(4096, 2)
        self.counter = RamCounter()
        self.rng = Rng()

    def boot(self):
        return boot.build(self.store, SECRET, INFO, self.rng, self.counter, paylog=self.log)


def caps_for(fw, version=1, per_call=PER_CALL, chain=None, owner=OWNER, spender=None):
    chain = chain or fw.device.trusted.header.chain_id
    enc = pi.caps_cbor(version, chain, spender or fw.pay().spender_key(False), per_call,
                       PER_DAY, [(CH_A, "weather.example", CAP_A), (CH_B, "stt.example", CAP_B)])
    return enc, ed25519.sign(owner, pi.caps_signing_bytes(enc))


@pytest.fixture(scope="module")
def provisioned():
    """A chip with its key, a verified record naming OWNER, a spender key and caps."""
    b = Board()
    fw = b.boot()
    pub = fw.device.generate_key(False)
    sc = fwscenario.Scenario(pub, owner_pub=ed25519.public_key(OWNER))
    fw.device.set_checkpoint(sc.checkpoint(1), None, sc.uuid, False)
    with pytest.raises(PayRefused) as e:
        fw.pay().set_caps(*caps_for(fw, spender=b"\x02" * 33))
    assert e.value.check == "no_owner"  # no verified record yet: no owner to trust
    fw.device.submit_update(sc.update(1, 2), sc.now(2))
    fw.pay().spender_key(True)
    fw.pay().set_caps(*caps_for(fw))
    return b


@pytest.fixture
def board(provisioned):
    return copy.deepcopy(provisioned)


def ask(fw, nonce, amount, ch=CH_A, lane=0, chain=None):
    v = V.Voucher(chain or fw.device.trusted.header.chain_id, ch, lane, nonce, amount, "umyc")
    return fw.pay().sign_voucher(v)


def check_of(fn, *args):
    with pytest.raises(PayRefused) as e:
        fn(*args)
    return e.value.check


def test_a_voucher_within_the_caps_is_signed_and_verifies(board):
    fw = board.boot()
    r = ask(fw, 1, 2000)
    assert r["summary"] == "pay 0.002 MYC to weather.example" and r["increment"] == 2000
    v = pi.verify_voucher(fw.pay().spender_key(False), r["voucher"], r["sig"])
    assert (v.channel, v.nonce, v.amount) == (CH_A, 1, 2000)
    r2 = ask(fw, 2, 3500)
    assert r2["summary"] == "pay 0.0015 MYC to weather.example"
    assert board.log.programs == 2 + 1  # the format's header, then one program per voucher


def test_refusals_are_typed_and_sign_nothing(board):
    fw = board.boot()
    ask(fw, 5, 4000)
    before = bytes(board.log.data)
    assert check_of(ask, fw, 6, 9001) == "cap_per_call"
    assert check_of(ask, fw, 5, 4001) == "nonce_reused"
    assert check_of(ask, fw, 4, 1000) == "nonce_old"
    assert check_of(ask, fw, 7, 3999) == "amount_decreasing"
    assert check_of(ask, fw, 1, 10, b"\x99") == "channel_unknown"
    assert check_of(ask, fw, 6, 4100, CH_A, 0, "other-chain") == "voucher_chain"
    assert bytes(board.log.data) == before
    # over the channel cap, summed over lanes
    n = 6
    for lane in range(7):  # 9000 + 6 x 5000 = 39,000 of A's 40,000
        ask(fw, n, 5000 if lane else 9000, CH_A, lane)
    assert check_of(ask, fw, 20, 1001, CH_A, 7) == "cap_per_channel"
    # over the day: B's cap is fine, the day's total is not
    for k in range(1, 5):
        ask(fw, k, 5000 * k, CH_B)
    assert fw.pay().status()["spent_today"] == 59000
    assert check_of(ask, fw, 5, 21001, CH_B) == "cap_per_day"
    assert ask(fw, 5, 21000, CH_B)["increment"] == 1000


def test_the_smp_group_answers_with_its_codes(board):
    fw = board.boot()
    chain = fw.device.trusted.header.chain_id

    def call(cmd, payload, op=H.OP_WRITE):
        req = H.Header(op, P.GROUP, cmd, 1, 0, H.V1)
        return H.decode_message(fw.handle(H.encode_message(req, payload)))[1]

    ok = call(P.SIGN_VOUCHER, {"chain_id": chain, "channel": CH_B, "lane": 0, "nonce": 1,
                               "amount": 1500, "denom": "umyc"})
    assert ok["summary"] == "pay 0.0015 MYC to stt.example" and len(ok["sig"]) == 64
    over = call(P.SIGN_VOUCHER, {"chain_id": chain, "channel": CH_B, "lane": 0, "nonce": 2,
                                 "amount": 99999, "denom": "umyc"})
    assert (over["rc"], over["chk"]) == (lc.V1_OFFSET + P.E_CAP, "cap_per_call")
    bad = call(P.SIGN_VOUCHER, {"chain_id": chain, "channel": CH_B, "lane": -1})
    assert (bad["rc"], bad["chk"]) == (lc.V1_OFFSET + P.E_DECODE, "request")
    st = call(P.STATUS, {}, H.OP_READ)
    assert st["caps"] is True and st["spent_today"] == 1500


def test_caps_need_the_owner_a_newer_version_this_chip_and_its_chain(board):
    fw = board.boot()
    p = fw.pay()
    enc, sig = caps_for(fw, version=2, owner=b"\x77" * 32)
    assert check_of(p.set_caps, enc, sig) == "owner_signature"
    assert check_of(p.set_caps, *caps_for(fw, version=1)) == "caps_version"  # a replay
    assert check_of(p.set_caps, *caps_for(fw, version=2, spender=b"\x03" * 33)) == "caps_device"
    assert check_of(p.set_caps, *caps_for(fw, version=2, chain="x")) == "caps_chain"
    ask(fw, 1, 5000)
    p.set_caps(*caps_for(fw, version=2, per_call=100))  # tighter; the counters stay
    assert check_of(ask, fw, 2, 5101) == "cap_per_call"
    assert board.boot().pay().caps.per_call == 100


def test_a_reboot_keeps_the_counters_and_a_lost_answer_is_signed_again(board):
    fw = board.boot()
    for n in range(1, 60):  # past one sector: a compaction
        last = ask(fw, n, 100 * n, CH_B, n % 3)
    fw2 = board.boot()
    again = ask(fw2, 59, 5900, CH_B, 59 % 3)
    assert again["repeat"] and again["voucher"] == last["voucher"] and again["sig"] == last["sig"]
    assert check_of(ask, fw2, 59, 6000, CH_B, 59 % 3) == "nonce_reused"
    assert fw2.pay().log.epoch == 2


def test_the_status_answer_reports_each_lanes_last_voucher_after_a_reboot(board):
    """What the Pi's router continues from (docs/vouchers.md, status `lanes`): the latest
    (nonce, amount) of every lane, read from the counter log, compactions included."""
    fw = board.boot()
    for n in range(1, 45):  # past one sector: a compaction keeps only each lane's latest
        ask(fw, n, 100 * n, CH_B, n % 3)
    ask(fw, 7, 2500, CH_A, 5)
    fw2 = board.boot()
    req = H.Header(H.OP_READ, P.GROUP, P.STATUS, 1, 0, H.V1)
    st = H.decode_message(fw2.handle(H.encode_message(req, {})))[1]
    assert fw2.pay().log.epoch == 2
    assert st["lanes"] == [[CH_B, 42 % 3, 42, 4200], [CH_B, 43 % 3, 43, 4300],
                           [CH_B, 44 % 3, 44, 4400], [CH_A, 5, 7, 2500]]
    assert pi.status_lanes(st) == {(CH_B, 0): (42, 4200), (CH_B, 1): (43, 4300),
                                   (CH_B, 2): (44, 4400), (CH_A, 5): (7, 2500)}
    assert check_of(ask, fw2, 44, 4500, CH_B, 2) == "nonce_reused"
    assert ask(fw2, 45, 4500, CH_B, 2)["increment"] == 100


def test_a_wiped_counter_log_stops_payments_until_the_owner_sets_caps_again(board):
    fw = board.boot()
    ask(fw, 1, 5000)
    board.log.data[:] = b"\xff" * len(board.log.data)
    fw = board.boot()
    r = fw.pay().status()
    assert "unformatted" in r["error"]
    with pytest.raises(PayRefused) as e:
        ask(fw, 2, 6000)
    assert e.value.rc == P.E_STORE
    fw.pay().set_caps(*caps_for(fw, version=2))
    assert ask(fw, 2, 5000)["increment"] == 5000


REQUESTS = ([(CH_B, 1, n, 100 * n) for n in range(1, 31)]  # enough for a compaction
            + [(CH_A, n % 2, n, 2500 * ((n + 1) // 2)) for n in range(1, 30)]
            + [(CH_B, 0, n, 4000 * n) for n in range(1, 12)])


_CHECKED = {}


def _checked(pub, b, sig):
    """pi.verify_voucher, once per signature (the sweep checks each history again and again)."""
    if (b, sig) not in _CHECKED:
        _CHECKED[(b, sig)] = pi.verify_voucher(pub, b, sig)
    return _CHECKED[(b, sig)]


def violations(signed, pub):
    """Broken promises among the vouchers one chip history signed: two amounts for one
    (channel, lane, nonce), a step over the per-call cap, a channel over its cap, the day over
    its cap (one day: the totals are what was spent today)."""
    by_nonce, lanes = {}, {}
    for b, sig in signed:
        v = _checked(pub, b, sig)
        if by_nonce.setdefault(v.key() + v.nonce.to_bytes(8, "big"), v.amount) != v.amount:
            return "two amounts for one nonce"
        lanes.setdefault(v.key(), {})[v.nonce] = v.amount
    day = 0
    for ch, cap in ((CH_A, CAP_A), (CH_B, CAP_B)):
        total = 0
        for k, seq in lanes.items():
            if k[:-4] != ch:
                continue
            amounts = [seq[n] for n in sorted(seq)]
            if any(b - a > PER_CALL or b < a for a, b in zip([0] + amounts, amounts)):
                return "per-call cap or a decreasing amount"
            total += amounts[-1]
        if total > cap:
            return "channel cap"
        day += total
    return "day cap" if day > PER_DAY else None


def test_a_cut_at_every_step_of_voucher_signing_breaks_no_cap(board):
    fw = board.boot()
    device = fw.device  # the store is not written while vouchers are signed: only the log

    def reboot():  # what a reboot rebuilds of the payments: caps and counters from flash
        fw.payments = Payments(device, board.log, SECRET, board.rng)
        return fw
    pub = fw.pay().spender_key(False)
    signed, cuts = [], 0
    for ch, lane, nonce, amount in REQUESTS:
        snap = board.log.snapshot()
        s0 = board.log.steps
        try:
            r = ask(fw, nonce, amount, ch, lane)
            signed.append((r["voucher"], r["sig"]))
        except PayRefused:
            pass
        steps = board.log.steps - s0
        after = board.log.snapshot()
        for k in range(steps):
            for seed in range(3):
                board.log.restore(snap)
                cut = reboot()
                board.log.arm(k, seed=seed * 7919 + k)
                with pytest.raises(PowerCut):
                    ask(cut, nonce, amount, ch, lane)
                board.log.power_on()
                cuts += 1
                branch = list(signed[:-1] if steps else signed)
                rebooted = reboot()
                for a in (amount + 1, amount, amount + 2):  # a Pi that tries to double-spend
                    try:
                        r = ask(rebooted, nonce, a, ch, lane)
                        branch.append((r["voucher"], r["sig"]))
                    except PayRefused as e:
                        assert e.check in ("nonce_reused", "cap_per_call", "cap_per_channel",
                                           "cap_per_day")
                assert violations(branch, pub) is None
        board.log.restore(after)
        reboot()
    assert violations(signed, pub) is None
    assert cuts >= 150 and len(signed) >= 45 and fw.pay().log.epoch == 2
    # the check can fail: a chip that signed both amounts would be caught
    assert violations(signed + [(lambda r: (r["voucher"], r["sig"]))(
        pi_sign_other(board, signed[-1]))], pub) == "two amounts for one nonce"


def pi_sign_other(board, last):
    """The last voucher's nonce with one unit more, signed with the spender key directly (what a
    chip that did not persist first could be made to sign)."""
    from lightclient.chip.crypto import backend
    v = V.decode(last[0])
    v.amount += 1
    secret = board.boot().device.store.get("acct")
    b = V.sign_bytes(v)
    return {"voucher": b, "sig": backend.secp256k1_sign(secret, b)}


def test_payments_are_built_on_first_use_and_absent_without_a_counter_log(board):
    fw = board.boot()
    assert fw.payments is None  # a chip never asked to pay keeps their heap free
    assert fw.pay() is fw.payments is not None
    no_log = boot.build(board.store, SECRET, INFO, board.rng, board.counter)
    req = H.Header(H.OP_READ, P.GROUP, P.STATUS, 1, 0, H.V1)
    p = H.decode_message(no_log.handle(H.encode_message(req, {})))[1]
    assert (p["rc"], p["chk"]) == (lc.V1_OFFSET + P.E_DECODE, "request")


def test_a_store_that_fails_is_the_payments_groups_store_error(board, monkeypatch):
    fw = board.boot()
    fw.pay()
    monkeypatch.setattr(fw.device.store, "get", lambda name: (_ for _ in ()).throw(
        OSError(5, "flash read failed")))
    req = H.Header(H.OP_WRITE, P.GROUP, P.SIGN_VOUCHER, 1, 0, H.V1)
    msg = {"chain_id": fw.device.trusted.header.chain_id, "channel": CH_A, "lane": 0,
           "nonce": 1, "amount": 1, "denom": "umyc"}
    p = H.decode_message(fw.handle(H.encode_message(req, msg)))[1]
    assert (p["rc"], p["chk"]) == (lc.V1_OFFSET + P.E_STORE, "store_read")


def test_an_owner_with_a_secp256k1_key_signs_caps_with_it():
    from lightclient.chip.crypto import backend
    owner = b"\x52" * 32
    b = Board()
    fw = b.boot()
    sc = fwscenario.Scenario(fw.device.generate_key(False),
                             owner_pub=backend.secp256k1_public_key(owner))
    fw.device.set_checkpoint(sc.checkpoint(1), None, sc.uuid, False)
    fw.device.submit_update(sc.update(1, 2), sc.now(2))
    fw.pay().spender_key(True)
    enc, _ = caps_for(fw)
    ed_sig = ed25519.sign(owner, pi.caps_signing_bytes(enc))
    assert check_of(fw.pay().set_caps, enc, ed_sig) == "owner_signature"
    assert fw.pay().set_caps(enc, backend.secp256k1_sign(owner, pi.caps_signing_bytes(enc)))
    assert ask(fw, 1, 1000)["increment"] == 1000


def test_the_spender_key_is_the_account_key_made_once():
    fw = Board().boot()
    with pytest.raises(PayRefused) as e:
        fw.pay().spender_key(False)
    assert e.value.check == "no_key"
    pub = fw.pay().spender_key(True)       # a fresh chip: its account key made here
    assert pub == fw.device.account_key() and fw.pay().spender_key(True) == pub
    with pytest.raises(Exception) as e:
        fw.device.generate_account_key(False)
    assert e.value.check == "account_key_exists"


def test_on_the_chain_caps_come_from_the_owner_the_chip_consented_to():
    """No verified record names an owner key on the Cosmos chain: the chip takes caps signed by
    the key of the account it consented to be registered by (sign_registration), and only that."""
    from lightclient.chip import cosmos_tx as ct
    from lightclient.chip.crypto import backend
    b = Board()
    fw = b.boot()
    fw.device.generate_account_key(False)
    sc = fwscenario.Scenario(fw.device.generate_key(False), owner_pub=ed25519.public_key(OWNER))
    fw.device.set_checkpoint(sc.checkpoint(1), None, sc.uuid, False)
    owner_secret = b"\x52" * 32
    owner_pub = backend.secp256k1_public_key(owner_secret)
    other_pub = backend.secp256k1_public_key(b"\x53" * 32)
    # one key: the spender is the account key the chain records for the device
    assert fw.pay().spender_key(True) == fw.device.account_key()
    enc = pi.caps_cbor(1, fw.device.trusted.header.chain_id, fw.pay().spender_key(False),
                       PER_CALL, PER_DAY, [(CH_A, "stt.example", CAP_A)])
    sig = backend.secp256k1_sign(owner_secret, pi.caps_signing_bytes(enc))
    assert check_of(fw.pay().set_caps, enc, sig, owner_pub) == "no_owner"   # no consent yet
    fw.device.sign_registration(fw.device.trusted.header.chain_id, ct.account_address(owner_pub))
    assert check_of(fw.pay().set_caps, enc, sig) == "no_owner"
    assert check_of(fw.pay().set_caps, enc, sig, other_pub) == "no_owner"
    assert fw.pay().set_caps(enc, sig, owner_pub).version == 1
