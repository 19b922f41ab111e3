"""Paid calls set up on a local chain (tests/localchain/test_chain_stt.py and
bench/paid_call_bench.py): providers funded and registered in x/payments' registry, running
their services on loopback; a chip on the emulated board signed up by its owner's one
transaction (registration, fee allowance, a first channel) with a channel to each provider,
and the owner's caps on the chip."""

import hashlib

from lightclient import channels as C
from lightclient import pay as pi
from lightclient import txclient
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.core import trusted_at_rest
from lightclient.chip.crypto import backend
from lightclient.localchain import devicetx
from lightclient.providers import registry, service

DENOM = "stake"
SETTLE_DELAY_S = 10


def account(label):
    """(secret, public key, bech32 address) of a test account made from a label."""
    secret = hashlib.sha256(label).digest()
    pub = backend.secp256k1_public_key(secret)
    return secret, pub, ct.bech32_address(pub)


def channel_id(label):
    return hashlib.sha256(label).digest()[:16]


def client_config(net, state_dir, central, peers=()):
    """A light client's config for this chain, anchored at its head now."""
    from lightclient.config import Config
    rpc = net.rpc(0)
    head = rpc.light_block(rpc.status()["latest_height"]).light_block.signed_header.header
    return Config(net.info["chain_id"], head.height, head.hash(), str(state_dir),
                  central=central, peers=list(peers), trusting_period_s=86400,
                  check_unbonding=True)


def start_provider(net, acct, prices, state_dir, engine=None, forecasts=None,
                   cls=service.ProviderService):
    """A provider with a light client of its own: each voucher's channel proven at the head it
    verified (synced per call)."""
    from lightclient.client import LightClient
    from lightclient.providers.router import LightClientReads
    reads = LightClientReads(LightClient(client_config(net, state_dir, net.nodes[0]["rpc"])))
    return cls(C.Provider(acct[2], net.info["chain_id"]),
               lambda cid: reads.race(C.channel, reads.head(), cid), prices, engine,
               forecasts).start()


def fund(net, accounts, amount):
    """bob sends `amount` stake to each address, in one transaction."""
    bob_secret = devicetx.key_secret(net.info, "bob")
    bob_pub = backend.secp256k1_public_key(bob_secret)
    bob = devicetx.tx_client(net, bob_pub, ct.sign_secp256k1(bob_secret))
    bob_addr = ct.bech32_address(bob_pub)
    [(_r, height)] = bob.send([[ct.msg_send(bob_addr, a, [(DENOM, amount)]) for a in accounts]])
    net.wait_for_height(height + 1)


def sign_up(net, mcu, owner, providers, deposit, per_call, per_day):
    """The chip's account key made; the owner's one transaction signs it up with a channel to
    each provider (providers: [(account, channel id, {service: (url, price)})]), each provider
    registers its services; then the owner's caps go on the chip. -> (device address, spender
    key, PayClient)."""
    chain = net.info["chain_id"]
    acct = mcu.generate_account_key()
    device = ct.bech32_address(acct)
    mcu.set_checkpoint(trusted_at_rest.encode_trusted(devicetx.verified_state(net)))
    consent = mcu.sign_registration(chain, ct.account_address(owner[1]))
    (first, cid0, _s0), rest = providers[0], providers[1:]
    msgs = C.signup_messages(owner[2], ct.msg_register_device(owner[2], acct, b"", consent),
                             device, b"", first[2], cid0, (DENOM, deposit), [(DENOM, 1000)],
                             SETTLE_DELAY_S)
    msgs += [C.msg_open_channel(owner[2], cid, device, b"", p[2], (DENOM, deposit),
                                SETTLE_DELAY_S) for p, cid, _s in rest]
    sends = [devicetx.tx_client(net, owner[1], ct.sign_secp256k1(owner[0]),
                                gas_limit=200000 * len(msgs)).submit(msgs)]
    for p, _cid, services in providers:
        regs = [registry.msg_register_provider(p[2], name, url, (DENOM, price))
                for name, (url, price) in sorted(services.items())]
        sends.append(devicetx.tx_client(net, p[1], ct.sign_secp256k1(p[0])).submit(regs))
    top = max(txclient.wait_included(net.rpc(0), s)[1] for s in sends)
    net.wait_for_height(top + 1)
    pay = pi.PayClient(mcu)
    caps = pi.caps_cbor(1, chain, acct, per_call, per_day,
                        [(cid, "provider-%d.example" % i, deposit)
                         for i, (_p, cid, _s) in enumerate(providers)],
                        denom=DENOM, decimals=3, symbol="STAKE")
    pay.set_caps(caps, backend.secp256k1_sign(owner[0], pi.caps_signing_bytes(caps)), owner[1])
    return device, acct, pay
