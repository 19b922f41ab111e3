# Runs inside the chip's interpreter (build/chip/micropython32): reads one call per line from
# stdin, "<function> <arg> ...", and prints one result line per call. Arguments are hex, "-" for
# empty bytes, "#<n>" for an integer, "~" for None. Results: "T" / "F" (bool), hex (bytes),
# "E <message>" for a ValueError, "TE" / "OE <message>" for a TypeError / OverflowError. The last line is "heap <peak bytes allocated>" (gc.mem_alloc() sampled after
# every call, the result object included).
import sys
import gc
import lccrypto
from binascii import hexlify, unhexlify


def arg(tok):
    if tok == "-":
        return b""
    if tok == "~":
        return None
    if tok[0] == "#":
        return int(tok[1:])
    return unhexlify(tok)


peak = 0
while True:
    line = sys.stdin.readline()
    if not line:
        break
    toks = line.split()
    if not toks:
        continue
    fn = getattr(lccrypto, toks[0])
    try:
        r = fn(*[arg(t) for t in toks[1:]])
        if r is True:
            out = "T"
        elif r is False:
            out = "F"
        else:
            out = hexlify(r).decode() if r else "-"
    except ValueError as e:
        out = "E " + str(e)
    except TypeError as e:
        out = "TE " + str(e)
    except OverflowError as e:
        out = "OE " + str(e)
    print(out)
    r = None
    used = gc.mem_alloc()
    if used > peak:
        peak = used
    gc.collect()
print("heap", peak)
