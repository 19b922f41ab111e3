# The event-driven core of the firmware: bytes from the Pi in, bytes for the Pi out.
#
#   fw = Firmware(device, info)          # device: app.device.Device (key, store, trusted state)
#   out = fw.feed(data, now_ms)          # decode frames, run commands, encode the answers
#   fw.reset_pending                     # set by the OS reset command, and by any ENOMEM
#                                        # answer: the shell reboots once the answer is out
#
# No I/O and no clock here, so a UART loop, the emulator and the tests drive the same code.

import gc

from lightclient.chip.core.errors import DecodeError, LightClientError
from lightclient.chip.smp import frame, keys, lc
from lightclient.chip.smp import header as H

from lightclient.chip.app import lc_group, os_group
from lightclient.chip.smp import pay

from lightclient.chip.app.common import FULL_GC, MAX_MESSAGE, VIEW_MIN


class Firmware:
    def __init__(self, device, info, make_payments=None):
        self.device = device
        # app.payments.Payments, made on the first payments command (its modules and counters
        # stay out of the heap of a chip that is not asked to pay); None without a counter log
        self.make_payments = make_payments
        self.payments = None
        self.info = info  # board, chip, machine, release, build, chip_id, firmware_hash
        self.decoder = frame.FrameDecoder(MAX_MESSAGE)
        self.reset_pending = False
        self.handled = 0
        self.groups = {H.GROUP_OS: os_group.COMMANDS, lc.GROUP: lc_group.COMMANDS}
        self.img_group = None
        if getattr(device, "ota", None) is not None:
            # a board with a second slot; imported only there: every module costs heap
            from lightclient.chip.app import img_group
            self.img_group = img_group
            self.groups[img_group.GROUP_IMAGE] = img_group.COMMANDS

    def _group(self, group):
        """A group's commands. The pairing and payments groups are imported on their first
        request: a chip never asked to pair or pay keeps their code out of its 96 KiB heap (the
        100-validator update needs all of it)."""
        cmds = self.groups.get(group)
        if cmds is None:
            if group == keys.GROUP:
                from lightclient.chip.app import keys_group as g
            elif group == pay.GROUP:
                from lightclient.chip.app import pay_group as g
            else:
                return None
            cmds = self.groups[group] = g.COMMANDS
        return cmds

    def pay(self):
        if self.payments is None and self.make_payments is not None:
            self.payments = self.make_payments()
        return self.payments

    def tick(self, now_ms):
        self.decoder.expire(now_ms)

    def feed(self, data, now_ms=0):
        out = None   # one answer (the usual case) is returned as framed, without a copy
        msgs = self.decoder.feed(data, now_ms)
        data = None
        while msgs:
            rsp = self._handle(msgs, now_ms)
            if rsp is not None:
                # framed in the buffer the answer was encoded into (_answer): the C framing
                # needs no heap; the Python one (no lccrypto) a little a line, and if even that
                # fails its lines have overwritten part of the answer, which is then lost: its
                # sender gets ENOMEM from the header kept here, and the chip restarts
                hdr = bytes(memoryview(rsp[0])[rsp[1]:rsp[1] + H.HEADER_SIZE])
                try:
                    pkt = frame.encode_in_place(rsp[0], rsp[1])
                except MemoryError:
                    rsp = None
                    gc.collect()
                    pkt = self._lost_answer(hdr)
                rsp = None
                out = pkt if out is None else out + pkt
        unheld = self.decoder.take_unheld()
        if unheld is not None:
            pkt = self._no_heap_for_frame(unheld[0], unheld[1])
            if pkt is not None:
                out = pkt if out is None else out + pkt
        return b"" if out is None else out

    def _no_heap_for_frame(self, hdr, length):
        """The answer to a request whose frame the heap could not hold (frame.FrameDecoder
        .unheld): ENOMEM, checked frame.NO_MEMORY, and a restart once it is out: a heap
        fragmented by what a long session left in it comes back in one piece only by a reboot.
        Nothing of the request ran, so its sender may send it again once the chip answers."""
        gc.collect()
        try:
            req = H.unpack_header(hdr)
        except DecodeError:
            return None
        if req.op != H.OP_READ and req.op != H.OP_WRITE:
            return None
        rh = H.response_header(req)
        if req.version > H.V2:
            rh.version = H.V2
        self.reset_pending = True
        return frame.encode_packet(H.encode_message(rh, {
            "rc": H.MGMT_ENOMEM, "chk": frame.NO_MEMORY,
            "rsn": "no heap for a %d-byte request: the chip restarts to recover it" % length}))

    def _lost_answer(self, hdr):
        """ENOMEM in place of an answer whose framing ran out of heap (`hdr`: its header)."""
        self.reset_pending = True
        return frame.encode_packet(H.encode_message(H.unpack_header(hdr), {
            "rc": H.MGMT_ENOMEM, "rsn": "out of memory: the chip restarts"}))

    def handle(self, msg, now_ms=0):
        """One SMP request message -> the response message (None when nothing is owed)."""
        rsp = self._handle([msg], now_ms)
        return None if rsp is None else bytes(rsp[0][rsp[1]:])

    def _answer(self, rh, payload):
        """The response message, at the end of a buffer sized for its serial framing, and where
        it starts: (buffer, offset), framed in place by feed (frame.encode_in_place)."""
        buf = H.encode_message(rh, payload, frame.packet_size)
        return buf, len(buf) - H.HEADER_SIZE - rh.length

    def _handle(self, msgs, now_ms):
        # Takes the first message out of `msgs`, so that nothing holds it once its payload is
        # decoded: the request (a 9 KB update) is not kept twice while the command runs.
        msg = msgs.pop(0)
        if FULL_GC:
            gc.collect()  # a command starts in a clean heap: its large buffers find room
        try:
            req = H.unpack_header(msg)
        except DecodeError:
            return None  # no header, no sequence number to answer to
        if req.op != H.OP_READ and req.op != H.OP_WRITE:
            return None  # a response (or a reserved op) is never answered: no echo loops
        rh = H.response_header(req)
        if req.version > H.V2:
            # As Zephyr answers a newer protocol: rc 13 in a header of the newest version we
            # speak, so the client can fall back instead of misreading our payload.
            rh.version = H.V2
            return self._general_error(rh, H.MGMT_EUNSUPPORTED_TOO_NEW,
                                       "SMP version not supported")
        # Another vendor's group or command (a tool that takes this board for its own device)
        # is not supported, whatever its payload, and touches nothing.
        cmds = self._group(req.group)
        entry = cmds.get(req.command) if cmds is not None else None
        if entry is None:
            return self._general_error(rh, H.MGMT_ENOTSUP, "unknown group or command")
        if isinstance(entry, dict):   # one command id, a handler per op (image state)
            op, fn = req.op, entry.get(req.op)
        else:
            op, fn = entry
        if op != req.op or fn is None:
            return self._general_error(rh, H.MGMT_ENOTSUP, "wrong op for this command")
        try:
            _, payload = H.decode_message(msg, MAX_MESSAGE, VIEW_MIN)
        except DecodeError as e:
            return self._general_error(rh, H.MGMT_EINVAL, str(e))
        except MemoryError:
            msg = None
            return self._out_of_memory(rh)
        msg = None
        self.handled += 1
        try:
            result = fn(self, payload, now_ms)
        except LightClientError as e:
            if req.group == H.GROUP_OS:
                rc = getattr(e, "rc", H.MGMT_EINVAL)
                return self._general_error(rh, rc, str(e))
            if self.img_group is not None and req.group == self.img_group.GROUP_IMAGE:
                return self._img_error(rh, e)
            return self._group_error(rh, lc.error_code(e), e)
        except MemoryError:
            return self._out_of_memory(rh)
        except Exception as e:  # a bug must not cost the Pi its answer (nor the link)
            return self._general_error(rh, H.MGMT_EUNKNOWN, "internal error: " +
                                       type(e).__name__)
        try:
            return self._answer(rh, result)
        except DecodeError as e:
            return self._general_error(rh, H.MGMT_EUNKNOWN, str(e))
        except MemoryError:
            # the command's garbage is still on the heap: collected, the answer is tried once
            # more, and a heap too fragmented even then still answers (ENOMEM), never silence
            gc.collect()
            try:
                return self._answer(rh, result)
            except MemoryError:
                result = None
                gc.collect()
                return self._out_of_memory(rh)

    def _out_of_memory(self, rh):
        # ENOMEM, and a restart once it is out (as for a frame the heap could not hold): the
        # next request finds the heap in one piece, not fragmented by the command that failed
        self.reset_pending = True
        return self._general_error(rh, H.MGMT_ENOMEM, "out of memory: the chip restarts")

    def _general_error(self, rh, rc, reason):
        return self._answer(rh, {"rc": rc, "rsn": _clip(reason)})

    def _img_error(self, rh, exc):
        rc = getattr(exc, "img_rc", None)
        if rc is None:   # a malformed request: the general code, as Zephyr answers
            return self._general_error(rh, getattr(exc, "rc", H.MGMT_EINVAL), str(exc))
        if rh.version != H.V1:
            return self._answer(rh, {"err": {"group": rh.group, "rc": rc}})
        return self._answer(rh, {"rc": rc, "rsn": _clip(str(exc)), "chk": _clip(exc.check)})

    def _group_error(self, rh, rc, exc):
        if rh.version != H.V1:
            # Exactly SMP v2's form: smp's ErrorV2 (smpclient, smpmgr) refuses any other key.
            return self._answer(rh, {"err": {"group": rh.group, "rc": rc}})
        # SMP v1 (what lightclient.mcu asks in): the code, the reason and the failed check.
        return self._answer(rh, {"rc": lc.V1_OFFSET + rc, "rsn": _clip(str(exc)),
                                     "chk": _clip(exc.check)})


def _clip(s):
    s = str(s)
    return s if len(s) <= 200 else s[:197] + "..."
