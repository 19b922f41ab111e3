# Firmware updates on the chip: an upload into the slot that is not running, a release check
# (release_image.check_image), a trial boot, a confirmation. Which slot starts is the otadata
# partition's choice (app/otadata.py, ESP-IDF's format: set_boot, the bootloader's trial and
# rollback, mark valid); what the slots hold, the approved releases and the security version
# are records in the secure store, each change one store.commit():
#
#   "ota"     CBOR {"i": [info of slot 0, info of slot 1]}  info: {"h", "v", "sv", "n"} or None
#             (a store of the previous version also holds "a", "p", "tr": ignored, the otadata
#             partition decides)
#   "secver"  CBOR uint: the lowest security version the chip boots (raised on confirmation)
#   "rel"     CBOR {image hash: security version}: releases proven to the chip (at most
#             MAX_APPROVED, the newest kept)
#
# What a slot holds: on the emulated board the whole release image (a ROMFS payload); on a real
# chip (Slot.app, partition_slots.py) the ESP-IDF app image alone, ESP-IDF's set_boot and
# bootloader taking nothing else: the release head (header, manifest, signature) is checked
# before a single block is written, kept in RAM during the upload and in the slot's "ota"
# info ("hd") after the test mark, so the release check reads head + slot as the image file.
#
# An upload only ever writes the inactive slot, which otadata names only once the release check
# passed (and no longer once an upload into it began); confirmation marks otadata first and
# raises the security version after, so a power cut at any instant leaves the old image or the
# new one bootable. Spec: docs/ota.md.

from lightclient.chip.core import cbor
from lightclient.chip.core.errors import DecodeError, LightClientError

from lightclient.chip.app import release_image as R

MAX_APPROVED = 8


class Slot:
    """An application slot on a block device (the emulated board's file, a chip's ota
    partition): erase, write at an offset, read back. app: the slot holds an ESP-IDF app image
    (a release image's payload alone), else the whole release image."""

    def __init__(self, dev, sector, count, app=False):
        self.dev, self.sector, self.count = dev, sector, count
        self.size = sector * count
        self.app = app
        self.kind = R.KIND_APP if app else R.KIND_ROMFS

    def erase(self, length):
        for n in range((length + self.sector - 1) // self.sector):
            self.dev.ioctl(6, n)

    def write(self, off, data):
        self.dev.writeblocks(off // self.sector, data, off % self.sector)

    def read(self, off, n):
        # the bytearray itself: a copy to bytes would need a second block of n bytes
        buf = bytearray(n)
        self.dev.readblocks(off // self.sector, buf, off % self.sector)
        return buf


class OtaError(DecodeError):
    """An image-group request refused; img_rc: the SMP image group's error code."""

    def __init__(self, check, message, img_rc, **details):
        DecodeError.__init__(self, check, message, **details)
        self.img_rc = img_rc


# SMP image group error codes (Zephyr img_mgmt, smp's IMG_MGMT_ERR)
IMG_UNKNOWN = 1
IMG_NO_IMAGE = 3
IMG_HASH_NOT_FOUND = 8
IMG_INVALID_OFFSET = 20
IMG_INVALID_LENGTH = 21
IMG_INVALID_IMAGE_HEADER = 22
IMG_INVALID_HASH = 24
IMG_CURRENT_VERSION_IS_NEWER = 27
IMG_ALREADY_PENDING = 28
IMG_TOO_LARGE = 30
IMG_CONFIRMATION_DENIED = 32


class Ota:
    def __init__(self, store, slots, factory, release_key, board=None, otadata=None, running=0):
        """slots: [Slot 0, Slot 1]; factory: the info of the image the chip was flashed with
        (what slot 0 holds before any update); release_key: 32-byte Ed25519 key or None;
        board: this board's name (a release record names the board it is for); otadata: the
        app/otadata.OtaData the bootloader chose from (its `event`: what it did), running: the
        slot it started."""
        self.store, self.slots, self.release_key = store, slots, release_key
        self.board = board
        self.factory = factory
        self.otadata, self.running = otadata, running
        self.upload = None   # {"len", "sha", "got"}: the upload in progress (RAM only)
        self.last_boot = None
        self.reboot_needed = False   # the running image failed its self-check: reset now

    # --- records ---------------------------------------------------------------------------

    def _get(self, name, default):
        v = self.store.get(name)
        return default if v is None else cbor.loads(v, 4, 64, 4096)

    def infos(self):
        return list(self._get("ota", {"i": [self.factory, None]})["i"])

    def state(self):
        """{"a": running slot, "p": slot set to start at the next reset or None, "tr": the slot
        a rollback returns to while the running one is on trial, else None, "i": infos}."""
        a, od = self.running, self.otadata
        return {"a": a, "p": od.pending(a), "tr": (1 - a) if od.on_trial(a) else None,
                "i": self.infos()}

    def security_version(self):
        return self._get("secver", 0)

    def approved(self):
        return self._get("rel", {})

    def remember_releases(self, proven):
        """proven: [(store, key, value)] of a verified update -> the changes to commit with it
        (the caller's one commit), or {} when it proves no release record."""
        records = [(k, v) for s, k, v in proven if s == R.RELEASES_STORE and v is not None]
        if not records:
            return {}
        rel = self.approved()
        order = list(rel.keys())
        for key, value in records:
            r = R.decode_record(key, value)
            if r["board"] != self.board:
                raise R.ReleaseError("release_board", "the release record is for another "
                                     "board", record=r["board"], board=self.board)
            if r["h"] not in rel:
                order.append(r["h"])
            rel[r["h"]] = r["sv"]
        for h in order[:-MAX_APPROVED]:
            del rel[h]
        return {"rel": cbor.dumps(rel)}

    # --- upload ----------------------------------------------------------------------------

    def write_chunk(self, off, data, length=None, sha=None):
        """One upload request. -> (next offset, whole image received and its hash matches
        `sha` (None when not finished or no sha given))."""
        st = self.state()
        target = self.slots[1 - st["a"]]
        if off == 0:
            if st["tr"] is not None:
                # the other slot holds the image a rollback returns to: never overwrite it
                raise OtaError("ota_trial", "the running image is on trial: confirm it (or "
                               "reset to roll back) before the next upload", IMG_ALREADY_PENDING)
            room = target.size + (R.HEAD + R.MAX_MANIFEST + R.SIG if target.app else 0)
            if length is None or not R.HEAD < length <= room:
                raise OtaError("ota_length", "image length missing or larger than the slot",
                               IMG_TOO_LARGE if length else IMG_INVALID_LENGTH, length=length)
            self.upload = {"len": length, "sha": sha, "got": 0, "start": 0}
            if target.app:
                self.upload["head"], self.upload["start"] = bytearray(), None
            else:
                self._begin(st, target, length)
        up = self.upload
        if up is None or off != up["got"]:
            # resume where we are (smpclient sends the next chunk from this offset)
            return (0 if up is None else up["got"]), None
        if off + len(data) > up["len"]:
            raise OtaError("ota_overrun", "data past the announced length", IMG_INVALID_LENGTH)
        if up["start"] is None:
            data = self._take_head(st, target, up, data)
        if data:
            target.write(up["got"] - up["start"], data)
            up["got"] += len(data)
        if up["got"] < up["len"]:
            return up["got"], None
        h = R.hash_range(self._reader(1 - st["a"], up.get("head")), 0, up["len"])
        up["hash"] = h
        return up["got"], (None if sha is None and up["sha"] is None
                           else h == (sha or up["sha"]))

    def _begin(self, st, target, length):
        """Make the inactive slot ready for `length` bytes: no pending start of it, its old
        image forgotten, its blocks erased."""
        if st["p"] is not None:
            # the slot must not start while it is being written
            self.otadata.cancel_pending(st["a"])
        if st["i"][1 - st["a"]] is not None:
            # the slot's old image (pending or kept for rollback) is forgotten first
            i = st["i"]
            i[1 - st["a"]] = None
            self.store.commit({"ota": cbor.dumps({"i": i})})
        target.erase(length)

    def _take_head(self, st, target, up, data):
        """An app slot's upload: gather the release head in RAM; once whole, check it (format,
        kind, signature, length) before the slot is touched. -> the bytes past the head."""
        head = up["head"]
        try:
            while data:
                want = R.HEAD if len(head) < R.HEAD else R.head_length(head)
                if len(head) == want:
                    break
                take = min(len(data), want - len(head))
                head += data[:take]
                up["got"] += take
                data = data[take:]
            if len(head) < R.HEAD or len(head) < R.head_length(head):
                return b""
            m, start = R.check_head(head, up["len"], self.release_key, target.kind)
            if m["n"] > target.size:
                raise OtaError("ota_length", "the app image is larger than the slot",
                               IMG_TOO_LARGE, length=m["n"])
        except LightClientError as e:
            self.upload = None
            e.img_rc = self._rc(e)
            raise
        up["start"] = start
        self._begin(st, target, m["n"])
        return data

    def _reader(self, slot, head=None):
        """read(off, n) of the image file a slot holds: the slot itself, or (an app slot) the
        kept release head followed by the slot."""
        s = self.slots[slot]
        if not s.app:
            return s.read
        if head is None:
            raise OtaError("ota_slot_info", "no release head kept for the slot", IMG_NO_IMAGE)
        hd = len(head)

        def read(off, n):
            if off >= hd:
                return s.read(off - hd, n)
            if off + n <= hd:
                return head[off:off + n]
            return head[off:] + s.read(0, off + n - hd)
        return read

    # --- test, confirm, boot ---------------------------------------------------------------

    def test(self, image_hash):
        """Mark an image of the inactive slot for a trial boot, once it passes the release check:
        the upload just finished, or (as mcumgr's state write allows) the image the slot still
        holds, e.g. after its trial was rolled back."""
        st = self.state()
        slot = 1 - st["a"]
        if st["tr"] is not None:
            # the other slot is where a rollback returns: confirm (or reset) first
            raise OtaError("ota_trial", "the running image is on trial: confirm it (or reset "
                           "to roll back) before testing another", IMG_ALREADY_PENDING)
        up = self.upload
        if up is not None and up.get("hash") is not None:
            if bytes(image_hash) != up["hash"]:
                raise OtaError("ota_hash", "no uploaded image has this hash", IMG_HASH_NOT_FOUND)
            length, head = up["len"], up.get("head")
        elif st["i"][slot] is not None and up is None:
            if bytes(image_hash) != st["i"][slot]["h"]:
                raise OtaError("ota_hash", "the other slot holds no image with this hash",
                               IMG_HASH_NOT_FOUND)
            length, head = st["i"][slot]["n"], st["i"][slot].get("hd")
        else:
            raise OtaError("ota_no_upload", "no complete upload to test", IMG_NO_IMAGE)
        m = self.check(slot, length, head)
        i = st["i"]
        i[slot] = {"h": m["image_hash"], "v": m["v"], "sv": m["sv"], "n": length}
        if head is not None:
            i[slot]["hd"] = bytes(head)
        self.store.commit({"ota": cbor.dumps({"i": i})})
        self.otadata.set_boot(slot)   # the bootloader tries it at the next reset
        self.upload = None
        return m

    def check(self, slot, length, head=None):
        try:
            return R.check_image(self._reader(slot, head), length, self.release_key,
                                 self.approved(), self.security_version(),
                                 self.slots[slot].kind)
        except LightClientError as e:
            e.img_rc = self._rc(e)
            raise

    @staticmethod
    def _rc(e):
        if isinstance(e, OtaError):
            return e.img_rc
        if isinstance(e, R.ReleaseError) and e.check != "release_kind":
            return IMG_CURRENT_VERSION_IS_NEWER if e.check == "release_rollback" \
                else IMG_INVALID_HASH
        return IMG_INVALID_IMAGE_HEADER

    def confirm(self):
        """The running image is good: no rollback any more, and its security version becomes
        the floor (raised only after otadata names it for good)."""
        st = self.state()
        info = st["i"][st["a"]]
        if st["tr"] is not None:
            self.otadata.mark_valid(st["a"])
        sv = info["sv"] if info else 0
        if sv > self.security_version():
            self.store.commit({"secver": cbor.dumps(sv)})

    def boot(self):
        """At every start, before anything else: what the bootloader did, and a trial image's
        self-check (the slot still holds exactly the approved, signed image); one that fails it
        is marked invalid and `reboot_needed` set (the previous image starts at the reset).
        -> what happened (text)."""
        od, a = self.otadata, self.running
        if od.event == "rolled back":
            self.last_boot = "rolled back: the trial image was not confirmed"
        elif od.on_trial(a):
            info = self.infos()[a]
            try:
                if info is None:
                    raise OtaError("ota_slot_info", "no record of the slot's image",
                                   IMG_NO_IMAGE)
                self.check(a, info["n"], info.get("hd"))
            except LightClientError as e:
                od.mark_invalid(a)
                self.reboot_needed = True
                self.last_boot = "rolled back: the new image failed its self-check (%s)" \
                    % e.check
            else:
                self.last_boot = "trial of slot %d" % a
        else:
            self.last_boot = "slot %d" % a
        return self.last_boot

    def images(self):
        """The image group's state answer."""
        st = self.state()
        out = []
        for slot in (0, 1):
            info = st["i"][slot]
            if info is None:
                continue
            out.append({"image": 0, "slot": slot, "version": info["v"], "hash": info["h"],
                        "bootable": True, "pending": st["p"] == slot,
                        "confirmed": st["a"] == slot and st["tr"] is None,
                        "active": st["a"] == slot, "permanent": False})
        up = self.upload
        if up is not None and up.get("hash") is not None and st["p"] is None:
            out.append({"image": 0, "slot": 1 - st["a"], "version": "unverified",
                        "hash": up["hash"], "bootable": False, "pending": False,
                        "confirmed": False, "active": False, "permanent": False})
        return out
