# Key epochs (lightclient.chip.keys.epochs): a device opens a record through the epoch key sealed
# to it; a removed device cannot read anything written after its removal; the epoch key is bound
# to its owner, chain and number.
import pytest

from keyhelpers import Device, Drbg, Owner
from lightclient.chip.keys import envelope as E
from lightclient.chip.keys import epochs
from lightclient.chip.keys.errors import EnvelopeError

CHAIN = "mycroft-local-1"
OWNER = Owner()
DEVICES = [Device("dev-%d" % i) for i in range(5)]


def _epoch_envelope(n, devices):
    secret = epochs.epoch_secret(OWNER.x_sk, CHAIN, n)
    return secret, epochs.seal_epoch(CHAIN, OWNER.id, n, secret, [d.x_pub for d in devices],
                                     OWNER.writer, OWNER.sign, Drbg("epoch%d" % n))


def _record(n, plaintext, version):
    secret = epochs.epoch_secret(OWNER.x_sk, CHAIN, n)
    return E.seal(CHAIN, b"settings/dev-0", version, n, plaintext, [epochs.epoch_public(secret)],
                  OWNER.writer, OWNER.sign, Drbg("rec%d" % version))


def _device_reads(dev, n, epoch_env, record, min_version=1):
    secret = epochs.open_epoch(epoch_env, CHAIN, OWNER.id, n, OWNER.writer, dev.x_sk, dev.x_pub)
    return E.open_(record, CHAIN, b"settings/dev-0", min_version, [OWNER.writer],
                   epochs.epoch_identity(secret)).plaintext


def test_every_paired_device_reads_a_record_of_the_epoch():
    secret, env = _epoch_envelope(0, DEVICES)
    rec = _record(0, b"v1", 1)
    for d in DEVICES:
        assert _device_reads(d, 0, env, rec) == b"v1"
    assert len(E.parse(rec)[E.K_WRAPS]) == 1     # one wrap, whatever the number of devices


def test_a_removed_device_cannot_read_what_is_written_after():
    _, env0 = _epoch_envelope(0, DEVICES)
    removed, stay = DEVICES[4], DEVICES[:4]
    _, env1 = _epoch_envelope(1, stay)
    assert len(E.parse(env1)[E.K_WRAPS]) == 4       # the re-wraps a removal costs
    rec = _record(1, b"after removal", 2)
    for d in stay:
        assert _device_reads(d, 1, env1, rec) == b"after removal"
    with pytest.raises(EnvelopeError) as e:         # no wrap of the new epoch key for it
        _device_reads(removed, 1, env1, rec)
    assert e.value.check == "envelope_not_recipient"
    # what it still holds (epoch 0) does not open the new record either
    secret0 = epochs.open_epoch(env0, CHAIN, OWNER.id, 0, OWNER.writer, removed.x_sk, removed.x_pub)
    with pytest.raises(EnvelopeError) as e:
        E.open_(rec, CHAIN, b"settings/dev-0", 1, [OWNER.writer], epochs.epoch_identity(secret0))
    assert e.value.check == "envelope_not_recipient"


def test_epoch_keys_differ_per_epoch_and_chain_and_come_back_from_the_owner_key():
    a = epochs.epoch_secret(OWNER.x_sk, CHAIN, 0)
    assert a == epochs.epoch_secret(OWNER.x_sk, CHAIN, 0)
    assert a != epochs.epoch_secret(OWNER.x_sk, CHAIN, 1)
    assert a != epochs.epoch_secret(OWNER.x_sk, "other-chain", 0)


def test_an_epoch_envelope_is_bound_to_its_number():
    _, env0 = _epoch_envelope(0, DEVICES)
    d = DEVICES[0]
    with pytest.raises(EnvelopeError) as e:     # served as epoch 1's envelope
        epochs.open_epoch(env0, CHAIN, OWNER.id, 1, OWNER.writer, d.x_sk, d.x_pub)
    assert e.value.check == "envelope_record_key"
