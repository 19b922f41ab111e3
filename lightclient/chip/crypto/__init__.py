# The chip package's cryptography, all in this folder. Callers use one interface, `backend`
# (signature checks, signing, SHA-512, RIPEMD-160, HMAC-SHA256, which implementation runs); the
# other modules are the pure-Python implementations (`pure` adapts them to the interface) and
# `native` adapts our C module `lccrypto` when the MicroPython image has it. See backend.py.
