# Secure record store on raw flash (or a file): power-loss atomic, encrypted, MACed, rollback-aware.
# store.py is the one implementation (shared subset: the chip and the Pi run it unchanged);
# filedev.py has the block devices and monotonic counters it runs on. Format: docs/store-format.md.
