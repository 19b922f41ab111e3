# Everything that runs on the microcontroller (MicroPython 1.27), and nothing else: the
# verification core (core/), its cryptography behind one interface (crypto/), the SMP link
# (smp/), the secure record store (store/), the scenario network's device records and canonical JSON (txs.py), and
# the firmware application (app/) that firmware/main.py starts. The Pi imports this package
# unchanged; it imports nothing of the Pi's (docs/architecture.md, tests/chip/test_boundary.py).
