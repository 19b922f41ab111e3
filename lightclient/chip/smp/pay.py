# The payments SMP group: the chip signs payment vouchers within its owner's caps
# (docs/vouchers.md). Command ids and error codes, shared by the firmware and the Pi's client.
# Shared subset: CPython and MicroPython.

GROUP = 0x5059  # "PY"; clear of Zephyr's groups, the vendors' low user range and lc.GROUP

STATUS = 0        # read: caps, counters, spender key
SPENDER_KEY = 1   # write: the secp256k1 spender key (made on the chip the first time)
SET_CAPS = 2      # write: an owner-signed caps message
SIGN_VOUCHER = 3  # write: a voucher -> its sign bytes, signature and summary
SIGN_RECEIPT = 4  # write: a service receipt for the chip's trusted header (docs/rewards.md)

OK = 0
E_UNKNOWN = 1
E_DECODE = 2        # malformed request, voucher or caps message
E_CAP = 3           # over a cap (per call, per day, per channel)
E_NONCE = 4         # nonce reused for another amount, older nonce, decreasing amount
E_NO_CAPS = 5       # no caps set yet
E_OWNER = 6         # the caps message's owner signature does not verify, or no owner known
E_NOT_PROVISIONED = 7  # no trusted header yet: no chain, no day
E_STORE = 8         # the store or the counter log failed
E_NO_KEY = 9        # no spender key yet
E_REFUSED = 10      # another rule (unknown channel, chain, denom, caps for another chip, ...)

ERROR_NAMES = {OK: "ok", E_UNKNOWN: "unknown", E_DECODE: "decode", E_CAP: "cap",
               E_NONCE: "nonce", E_NO_CAPS: "no_caps", E_OWNER: "owner",
               E_NOT_PROVISIONED: "not_provisioned", E_STORE: "store", E_NO_KEY: "no_key",
               E_REFUSED: "refused"}

CHECK_CODES = {"cap_per_call": E_CAP, "cap_per_day": E_CAP, "cap_per_channel": E_CAP,
               "nonce_reused": E_NONCE, "nonce_old": E_NONCE, "amount_decreasing": E_NONCE,
               "no_caps": E_NO_CAPS, "owner_signature": E_OWNER, "no_owner": E_OWNER,
               "not_provisioned": E_NOT_PROVISIONED, "no_key": E_NO_KEY,
               "no_account_key": E_NO_KEY}
