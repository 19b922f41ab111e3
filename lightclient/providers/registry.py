"""x/payments' provider registry (docs/payments.md, "Provider registry"): the messages a
provider signs, and each service's provider list read from VERIFIED state (one ICS23 proof
gives the whole list, or proves the service has none), never a node's word."""

from lightclient import channels as C
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.core import proto
from lightclient.chip.core.errors import DecodeError

SERVICE_PREFIX = b"\x02"          # 0x02 || len(service) || service -> ServiceProviders
MAX_SERVICE = 32
MAX_ENDPOINT = 200
MAX_PROVIDERS = 16
MAX_SERVICE_VALUE = 8192          # 16 entries of at most ~330 bytes each, bounded before decode

MSG_REGISTER_PROVIDER = "/mycroft.payments.v1.MsgRegisterProvider"
MSG_DEREGISTER_PROVIDER = "/mycroft.payments.v1.MsgDeregisterProvider"

_SERVICE_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789.-")


def _service(name):
    if not isinstance(name, str) or not 0 < len(name) <= MAX_SERVICE or \
            not set(name) <= _SERVICE_CHARS:
        raise DecodeError("service_name", "a service is 1..32 of a-z, 0-9, '.', '-'")
    return name


def service_key(service):
    return SERVICE_PREFIX + bytes([len(_service(service))]) + service.encode()


def msg_register_provider(provider, service, endpoint, price):
    """price: (denom, amount per call). Re-registering updates the entry in place."""
    return MSG_REGISTER_PROVIDER, (proto.bytes_field(1, provider)
                                   + proto.bytes_field(2, _service(service))
                                   + proto.bytes_field(3, endpoint)
                                   + proto.message_field(4, ct.coin(*price), nullable=False))


def msg_deregister_provider(provider, service):
    return MSG_DEREGISTER_PROVIDER, (proto.bytes_field(1, provider)
                                     + proto.bytes_field(2, _service(service)))


def _endpoint(text):
    """What a device will call: http(s)://, printable ASCII, bounded (as the module checks)."""
    if not 0 < len(text) <= MAX_ENDPOINT or not text.startswith(("http://", "https://")) or \
            any(not " " < c < "\x7f" for c in text):
        raise DecodeError("provider_endpoint", "not an http(s) URL of printable ASCII")
    return text


def decode_service(value):
    """A stored ServiceProviders -> (service, [{"address", "endpoint", "denom", "price",
    "registered_height"}]) in registration order."""
    if not 0 < len(value) <= MAX_SERVICE_VALUE:
        raise DecodeError("service_size", "provider list missing or larger than the limit")
    fs = proto.fields(bytes(value), 2 + MAX_PROVIDERS)
    entries = proto.get_all(fs, 2, proto.LEN)
    if len(entries) > MAX_PROVIDERS:
        raise DecodeError("service_providers", "more providers than the module lists")
    out = []
    for e in entries:
        ef = proto.fields(e, 6)
        out.append({"address": C._text(proto.get_one(ef, 1, proto.LEN, b""), "address"),
                    "endpoint": _endpoint(C._text(proto.get_one(ef, 2, proto.LEN, b""),
                                                  "endpoint")),
                    "denom": C._text(proto.get_one(ef, 3, proto.LEN, b""), "denom"),
                    "price": proto.get_one(ef, 4, proto.VARINT, 0),
                    "registered_height": proto.to_int64(proto.get_one(ef, 5, proto.VARINT, 0))})
    return C._text(proto.get_one(fs, 1, proto.LEN, b""), "service"), out


def providers(rpc, header, service):
    """The proven providers of a service at a verified header ([] when the chain proves the
    service has none). A node that lies or leaves one out fails the proof (ProofError)."""
    v = C.proven(rpc, header, C.STORE, service_key(service), MAX_SERVICE_VALUE)
    if v is None:
        return []
    name, out = decode_service(v)
    if name != service:
        raise DecodeError("service_mismatch", "the list names another service", service=name)
    return out
