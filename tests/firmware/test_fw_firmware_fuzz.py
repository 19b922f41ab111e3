# The firmware's core (app.firmware.Firmware: bytes in, bytes out) on CPython over a RAM flash:
# fuzzed requests to every command always get one well-formed answer with the request's sequence
# number and never an exception; mutated updates are refused with a typed error and leave the
# trusted state as it was.
import hashlib
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lightclient.chip.app import boot
from lightclient.chip.core import cbor
from lightclient.chip.crypto import ed25519
from lightclient.chip.core.errors import LightClientError
from lightclient.chip.store.filedev import RamBlockDevice
from lightclient.chip.smp import frame, lc
from lightclient.chip.smp import header as H

import fwscenario

FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
INFO = {"board": "test", "chip": "esp32"}
OWNER = b"\x31" * 32


def make_fw():
    return boot.build(RamBlockDevice(4096, 16), b"\x07" * 32, INFO, os.urandom)


@pytest.fixture(scope="module")
def fw():
    f = make_fw()
    pub = f.device.generate_key(False)
    sc = fwscenario.Scenario(pub, owner_pub=ed25519.public_key(OWNER))
    f.device.set_checkpoint(sc.checkpoint(1), None, sc.uuid, False)
    f.device.submit_update(sc.update(1, 2), sc.now(2))
    return f, sc


def _owner_reset(f, state, uuid):
    """Back to `state`: a forced checkpoint, which a chip with a record takes from its owner."""
    msg = lc.reprovision_message("set_checkpoint", f.device.pub, f.device.store.generation,
                                 hashlib.sha256(state).digest())
    f.device.set_checkpoint(state, None, uuid, True, None, ed25519.sign(OWNER, msg))


def _ask(f, op, group, cmd, payload_bytes, seq=5, version=H.V2):
    h = H.Header(op, group, cmd, seq, len(payload_bytes), version)
    rsp = f.handle(h.pack() + payload_bytes)
    assert rsp is not None
    rh, p = H.decode_message(rsp)
    assert (rh.op, rh.group, rh.command, rh.seq, rh.version) == (op + 1, group, cmd, seq, version)
    return p


values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**64, 2**64 - 1), st.binary(max_size=64),
              st.text(max_size=40)),
    lambda kids: st.one_of(st.lists(kids, max_size=4),
                           st.dictionaries(st.text(max_size=8), kids, max_size=4)),
    max_leaves=12)
field_names = st.sampled_from(["d", "format", "force", "msg", "kind", "state", "uuid", "hash",
                               "update", "now_ns", "trusting_period_ns", "x"])


@FUZZ
@given(st.sampled_from([(H.GROUP_OS, c) for c in (0, 5, 6, 7)] +
                       [(lc.GROUP, c) for c in range(9)]),
       st.sampled_from([H.OP_READ, H.OP_WRITE]),
       st.dictionaries(field_names, values, max_size=4),
       st.sampled_from([H.V1, H.V2]))
def test_every_command_answers_fuzzed_payloads(fw, gc, op, payload, version):
    f, sc = fw
    if gc == (H.GROUP_OS, H.OS_RESET) or (gc[0] == lc.GROUP and gc[1] in (lc.GENERATE_KEY,
                                                                          lc.SET_CHECKPOINT)
                                          and payload.get("force") is True):
        payload["force"] = False  # keep the provisioned state for the other examples
    height = f.device.trusted.header.height
    p = _ask(f, op, gc[0], gc[1], cbor.dumps(payload), version=version)
    assert isinstance(p, dict)
    if "err" in p:  # exactly SMP v2's form, which smpclient parses
        assert version == H.V2 and p["err"]["group"] == lc.GROUP and p["err"]["rc"] > 0
        assert set(p) == {"err"} and set(p["err"]) == {"group", "rc"}
    elif "rc" in p:
        assert p["rc"] > 0 and isinstance(p["rsn"], str)
        if p["rc"] >= lc.V1_OFFSET:
            assert version == H.V1 and isinstance(p["chk"], str)
    assert f.device.trusted.header.height == height
    assert f.device.pub is not None


@FUZZ
@given(st.binary(max_size=300))
def test_raw_payload_bytes_get_an_answer(fw, body):
    f, _ = fw
    p = _ask(f, H.OP_READ, lc.GROUP, lc.STATUS, body)
    assert isinstance(p, dict)


@FUZZ
@given(st.binary(max_size=600))
def test_raw_line_noise_never_breaks_the_firmware(body):
    f = make_fw()
    f.feed(body, 0)
    msg = H.encode_message(H.Header(H.OP_WRITE, 0, 0, 9), {"d": "ok"})
    out = f.feed(b"\n" + frame.encode_packet(msg), 1)
    got = frame.FrameDecoder().feed(out)
    assert got and H.decode_message(got[-1])[1] == {"r": "ok"}


@pytest.fixture(scope="module")
def update_bytes(fw):
    f, sc = fw
    return sc.update(2, 3)


@FUZZ
@given(st.data())
def test_mutated_updates_are_refused_with_typed_errors(fw, update_bytes, data):
    f, sc = fw
    b = bytearray(update_bytes)
    kind = data.draw(st.sampled_from(["flip", "truncate", "insert", "replace"]))
    i = data.draw(st.integers(0, len(b) - 1))
    if kind == "flip":
        b[i] ^= data.draw(st.integers(1, 255))
    elif kind == "truncate":
        del b[i:]
    elif kind == "insert":
        b[i:i] = data.draw(st.binary(min_size=1, max_size=8))
    else:
        n = data.draw(st.integers(1, 16))
        b[i:i + n] = data.draw(st.binary(min_size=n, max_size=n))
    height = f.device.trusted.header.height
    try:
        f.device.submit_update(bytes(b), sc.now(3))
    except LightClientError:
        assert f.device.trusted.header.height == height
        return
    # A mutation can leave an update that still verifies (a change in a field the verifier
    # recomputes or ignores would not): then it must be exactly the real next state.
    assert f.device.trusted.header.hash() == sc.chain.blocks[3].signed_header.header.hash()
    _owner_reset(f, sc.checkpoint(2), sc.uuid)  # back to block 2


cbor_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**64, 2**64 - 1), st.binary(max_size=40),
              st.text(max_size=10)),
    lambda kids: st.one_of(st.lists(kids, max_size=5),
                           st.dictionaries(st.integers(0, 30), kids, max_size=5)),
    max_leaves=30)


@FUZZ
@given(st.one_of(st.binary(max_size=500),
                 st.builds(lambda m: cbor.dumps(m, 16),
                           st.dictionaries(st.integers(0, 3), cbor_values, max_size=4))))
def test_arbitrary_update_bytes_are_refused_with_typed_errors(fw, data):
    f, sc = fw
    height = f.device.trusted.header.height
    try:
        f.device.submit_update(data, sc.now(3))
    except LightClientError as e:
        assert e.check and isinstance(str(e), str)
    assert f.device.trusted.header.height == height


def test_a_newer_smp_version_gets_too_new_as_zephyr_answers_it(fw):
    f, _ = fw
    for version in (2, 3):
        h = H.Header(H.OP_READ, lc.GROUP, lc.STATUS, 11, 0, version)
        rh, p = H.decode_message(f.handle(h.pack()))
        assert (rh.op, rh.version, rh.group, rh.command, rh.seq) == (
            H.OP_READ_RSP, H.V2, lc.GROUP, lc.STATUS, 11)
        assert p["rc"] == H.MGMT_EUNSUPPORTED_TOO_NEW == 13 and "err" not in p
