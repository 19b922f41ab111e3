# The write path of one snapshot (docs/store-format.md): its stream laid into consecutive sectors
# of the ring, each erased and headed when entered, the snapshot MAC last. The store (store.py)
# decides what goes in the stream; this module only knows sectors, headers and the MAC.
# Shared subset: CPython and MicroPython 1.27.

from lightclient.chip.core.errors import StoreError
from lightclient.chip.crypto.hmac_sha256 import Hmac as _Hmac
from lightclient.chip.store.flash_format import D_SNAP, HEADER_SIZE, pack_header


class SectorWriter:
    """Streams one snapshot into its sectors of the ring: erase + header when a sector is
    entered, then programs of at most the store's program chunk. The snapshot MAC is fed with
    every stream byte; seal() writes it last, the commit point."""

    def __init__(self, store, snap):
        self.st = store
        self.snap = snap
        self.mac = _Hmac(store._mac_key, D_SNAP)
        self.buf = bytearray(store._chunk)
        self.fill = 0
        self.k = -1
        self.pos = 0  # stream offset
        self.in_sector = store.data_size  # forces opening sector 0 on the first write

    def _flush(self):
        if self.fill:
            st = self.st
            st._program((self.snap.start + self.k) % st.block_count,
                        HEADER_SIZE + self.in_sector - self.fill, bytes(self.buf[:self.fill]))
            self.fill = 0

    def _open(self):
        st = self.st
        self.k += 1
        sector = (self.snap.start + self.k) % st.block_count
        ec = st._erase(sector)
        s = self.snap
        st._program(sector, 0, pack_header(st._mac_key, self.k, s.nsect, s.gen, ec, s.stream_len, s.salt,
                                           st._mac_raw))
        st._ec[sector] = ec
        self.in_sector = 0

    def write(self, data, feed=True):
        if feed:
            self.mac.update(data)
        d = self.st.data_size
        i = 0
        n = len(data)
        while i < n:
            if self.in_sector == d:
                self._flush()
                self._open()
            m = n - i
            if d - self.in_sector < m:
                m = d - self.in_sector
            if len(self.buf) - self.fill < m:
                m = len(self.buf) - self.fill
            self.buf[self.fill:self.fill + m] = data[i:i + m]
            self.fill += m
            self.in_sector += m
            self.pos += m
            i += m
            if self.fill == len(self.buf):
                self._flush()

    def seal(self):
        self.write(self.mac.digest(), False)
        self._flush()
        if self.pos != self.snap.stream_len:
            raise StoreError("internal", "snapshot length mismatch", written=self.pos,
                             expected=self.snap.stream_len)
