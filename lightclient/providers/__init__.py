"""Paid APIs through providers registered on the chain (issue 21, docs/paid-calls.md): the
registry of x/payments proven with ICS23 (registry.py), the speech engine and its audio
(engine.py, audio.py), a provider's HTTP service that answers only a valid voucher
(service.py), and the device's side that pays each call with a chip-signed voucher and fails
over between providers, then to its local engine (router.py)."""
