#!/usr/bin/env python3
"""The peer methods of gatherbench: what users run today, driven by the harness.

JSON lines on stdin, one reply line per request on stdout. The harness hands
the worker its index sets (the same ones the native methods gather); the
table's bytes are the addon's (table_word of hash.h, recomputed here and
probed by the harness), so every method gathers the same rows. GPU time is
taken with torch.cuda.Event; each timed output is compared with its set's
reference before the time counts. Nothing here imports torch before `hello`
asks, so a missing torch is a reason, not a crash.

Methods:
  torch-pageable  feat[idx].to('cuda') with feat a pageable CPU tensor
  torch-pinned    torch.index_select(feat, 0, idx, out=pinned_buf), then .to('cuda', non_blocking=True)
  dgl-uva         dgl.utils.gather_pinned_tensor_rows(pinned feat, GPU idx), where dgl imports
"""
import base64
import json
import os
import sys
import time

torch = None
dgl = None
STATE = {}
MASK64 = (1 << 64) - 1


def reply(rid, **kw):
    sys.stdout.write(json.dumps({"id": rid, **kw}) + "\n")
    sys.stdout.flush()


class Refused(Exception):
    def __init__(self, code, msg):
        super().__init__(msg)
        self.code = code


def versions():
    global torch, dgl
    out = {"python": sys.version.split()[0], "executable": sys.executable}
    try:
        import torch as t

        torch = t
        out["torch"] = t.__version__
        out["torchCuda"] = t.version.cuda
        out["cudaAvailable"] = bool(t.cuda.is_available())
        if out["cudaAvailable"]:
            out["device"] = t.cuda.get_device_name(0)
        else:
            out["cudaReason"] = "torch sees no CUDA device" if t.version.cuda else "torch was built without CUDA"
    except Exception as e:  # ImportError, or a broken install
        out["torchReason"] = f"torch does not import: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
    if torch is not None:
        try:
            import dgl as d

            dgl = d
            out["dgl"] = d.__version__
        except Exception as e:
            out["dglReason"] = f"dgl does not import: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
    return out


# ---- the table: word w is mix64(seed ^ (w * 0xD6E8FEB86659FD93)), as in native/src/hash.h
def _i64(x):
    x &= MASK64
    return x - (1 << 64) if x >= 1 << 63 else x


def _shr(z, k):
    # logical shift right on int64 tensors (>> is arithmetic)
    return (z >> k) & ((1 << (64 - k)) - 1)


def table_words(seed, first, count, device):
    return hash_words(seed, torch.arange(first, first + count, dtype=torch.int64, device=device))


def hash_words(seed, w):
    """table_word(seed, w) of hash.h for every word number in the int64 tensor w."""
    z = torch.bitwise_xor(w * _i64(0xD6E8FEB86659FD93), _i64(seed))
    z = z + _i64(0x9E3779B97F4A7C15)
    z = torch.bitwise_xor(z, _shr(z, 30)) * _i64(0xBF58476D1CE4E5B9)
    z = torch.bitwise_xor(z, _shr(z, 27)) * _i64(0x94D049BB133111EB)
    return torch.bitwise_xor(z, _shr(z, 31))


INT_OF = {1: "uint8", 2: "int16", 4: "int32", 8: "int64"}


def shaped(words, rows, row_bytes, elem):
    """rows x (row_bytes / elem) elements over the first rows * row_bytes bytes of a word buffer (a view, no copy)."""
    flat = words.view(torch.uint8)[: rows * row_bytes]
    return flat.view(getattr(torch, INT_OF[elem])).view(rows, row_bytes // elem)


def op_table(req):
    """feat (rows x width elements) with the addon's bytes; returns probe words for the harness.

    A table's bytes do not depend on its row shape (word w is a hash of w), so the words are built once per
    seed, for the largest table asked for, and every shape is a view of them: a sweep over row widths builds
    its 8 GiB table once, not at every point."""
    rows, row_bytes, elem, seed = req["rows"], req["rowBytes"], req["elemBytes"], req["seed"]
    need = (rows * row_bytes + 7) // 8
    built = STATE.get("seed") != seed or STATE.get("words", 0) < need
    if built:
        for k in ("host", "host_pinned", "feat", "feat_pinned"):
            STATE.pop(k, None)
        dev = "cuda" if torch.cuda.is_available() else "cpu"
        chunk = 1 << 26
        host = torch.empty(need, dtype=torch.int64)
        for f in range(0, need, chunk):
            n = min(chunk, need - f)
            host[f : f + n].copy_(table_words(seed, f, n, dev))
        STATE.update(host=host, seed=seed, words=need)
    STATE["shape"] = (rows, row_bytes, elem)
    STATE["feat"] = shaped(STATE["host"], rows, row_bytes, elem)
    STATE.pop("feat_pinned", None)
    words = STATE["feat"].reshape(-1).view(torch.uint8)
    probe = {}
    for w in req.get("probe", []):
        probe[str(w)] = str(int(words[8 * w : 8 * w + 8].view(torch.int64)[0]) & MASK64)
    return {"probe": probe, "built": built}


def kept_buffer(name, nbytes, **where):
    """A byte buffer kept across points, made again only when a point needs more (pinning GiBs takes seconds)."""
    buf = STATE.get(name)
    if buf is None or buf.numel() < nbytes:
        STATE.pop(name, None)  # the old one goes first
        buf = STATE[name] = torch.empty(nbytes, dtype=torch.uint8, **where)
    return buf


def expected_rows(idx_gpu, row_bytes, elem):
    """The rows idx names, as the table holds them, derived on the GPU from the pattern (never read from the
    table, nor from the path being checked); None where rows are not whole words (then the CPU gathers them)."""
    if row_bytes % 8:
        return None
    per_row = row_bytes // 8
    out = torch.empty((idx_gpu.numel(), per_row), dtype=torch.int64, device=idx_gpu.device)
    step = max(1, (1 << 24) // per_row)  # 128 MiB of words at a time: the hash's temporaries stay small
    col = torch.arange(per_row, dtype=torch.int64, device=idx_gpu.device)
    for r0 in range(0, idx_gpu.numel(), step):
        w = idx_gpu[r0 : r0 + step, None] * per_row + col
        out[r0 : r0 + step] = hash_words(STATE["seed"], w)
    return out.view(torch.uint8).view(getattr(torch, INT_OF[elem])).view(idx_gpu.numel(), row_bytes // elem)


def op_prepare(req):
    method = req["method"]
    if method not in ("torch-pageable", "torch-pinned", "dgl-uva"):
        raise Refused("BAD_ARGUMENT", f"unknown peer method '{method}'")
    if not torch.cuda.is_available():
        raise Refused("UNSUPPORTED", "torch sees no CUDA device")
    if method == "dgl-uva" and dgl is None:
        raise Refused("UNSUPPORTED", "dgl does not import")
    torch.cuda.set_device(req.get("device", 0))
    feat = STATE["feat"]
    batch = req["batch"]
    st = {"method": method, "batch": batch, "sets": {}, "flush": req.get("flush", True)}
    if method == "dgl-uva" and "feat_pinned" not in STATE:
        if "host_pinned" not in STATE:  # one pinned copy of the words, shared by every shape
            STATE["host_pinned"] = STATE["host"].pin_memory()
        STATE["feat_pinned"] = shaped(STATE["host_pinned"], *STATE["shape"])
    if method == "torch-pinned":  # allocated pinned, not pinned by a copy; one buffer, grown, serves every point
        st["pinned_buf"] = kept_buffer("pinned_buf", batch * feat.shape[1] * feat.element_size(), pin_memory=True)[
            : batch * feat.shape[1] * feat.element_size()
        ].view(feat.dtype).view(batch, feat.shape[1])
    if st["flush"]:  # the native methods' cold flush: max(256 MiB, 4 x L2), written between samples
        l2 = getattr(torch.cuda.get_device_properties(0), "L2_cache_size", 0)
        st["flush_buf"] = kept_buffer("flush_buf", max(256 << 20, 4 * l2), device="cuda")
    if req.get("cpuEvictBytes", 0) > 0:  # read once the sets are verified: their rows leave the CPU's cache
        words = int(req["cpuEvictBytes"]) // 8
        if STATE.get("evict_buf") is None or STATE["evict_buf"].numel() != words:  # made once, not at every point
            STATE["evict_buf"] = torch.ones(words, dtype=torch.int64)
        st["evict_buf"] = STATE["evict_buf"]
    st["touched"] = False
    STATE["bench"] = st
    table = "a pinned copy of the table (tensor.pin_memory(), made once)" if method == "dgl-uva" else "pageable CPU tensor"
    return {"details": {"table": table, "torch": torch.__version__}}


def gather(st, s):
    m = st["method"]
    if m == "torch-pageable":
        return STATE["feat"][s["idx_cpu"]].to("cuda")
    if m == "torch-pinned":
        buf = st["pinned_buf"]
        torch.index_select(STATE["feat"], 0, s["idx_cpu"], out=buf)
        return buf.to("cuda", non_blocking=True)
    return dgl.utils.gather_pinned_tensor_rows(STATE["feat_pinned"], s["idx_gpu"])


def timed(st, s):
    e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    e0.record()
    out = gather(st, s)
    e1.record()
    e1.synchronize()  # host-side paths end when their copy has completed on the GPU
    return out, e0.elapsed_time(e1) / 1e3


def op_load(req):
    st = STATE["bench"]
    raw = base64.b64decode(req["indices"])
    idx = torch.frombuffer(bytearray(raw), dtype=torch.int64)
    if idx.numel() != st["batch"]:
        raise Refused("BAD_ARGUMENT", f"index set of {idx.numel()} for a batch of {st['batch']}")
    s = {"idx_cpu": idx, "idx_gpu": idx.to("cuda")}
    rows, row_bytes, elem = STATE["shape"]
    s["ref"] = expected_rows(s["idx_gpu"], row_bytes, elem)  # what every output of this set must be
    if s["ref"] is None:
        s["ref"] = STATE["feat"][idx].to("cuda")
        st["touched"] = True  # the reference read the set's rows on the CPU
    st["sets"][req["set"]] = s
    return {}


def first_bad_row(out, ref):
    bad = (out != ref).reshape(out.shape[0], -1).any(dim=1).nonzero()
    return int(bad[0]) if bad.numel() else -1


def op_run(req):
    """Untimed first run of new sets (verified), the CPU's cache pushed out (as the native loop does), then the
    timed samples, each output compared with its set's reference."""
    st = STATE["bench"]
    times, t = [], {"warmup": 0.0, "verify": 0.0, "flush": 0.0, "timed": 0.0}
    for k in req.get("firstRuns", []):
        t0 = time.perf_counter()
        out, _ = timed(st, st["sets"][k])
        t["warmup"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        bad = first_bad_row(out, st["sets"][k]["ref"])
        t["verify"] += time.perf_counter() - t0
        if bad >= 0:
            return {"verification": {"ok": False, "badRow": bad, "detail": f"output row {bad} differs from the table"}, "total": times, "time": t}
    if req.get("firstRuns") or st["touched"]:
        t0 = time.perf_counter()
        if "evict_buf" in st:
            st["evict_buf"].sum()
        st["touched"] = False
        t["flush"] += time.perf_counter() - t0
    for k in req["sets"]:
        s = st["sets"][k]
        t0 = time.perf_counter()
        if st["flush"]:
            st["flush_buf"].zero_()
            torch.cuda.synchronize()
        t["flush"] += time.perf_counter() - t0
        out, secs = timed(st, s)
        t0 = time.perf_counter()
        bad = first_bad_row(out, s["ref"])
        t["verify"] += time.perf_counter() - t0
        if bad >= 0:
            return {"verification": {"ok": False, "badRow": bad, "detail": f"timed sample: output row {bad} differs from the table"}, "total": times, "time": t}
        times.append(secs)
        t["timed"] += secs
    return {"verification": {"ok": True}, "total": times, "time": t}


def op_soak(req):
    st = STATE["bench"]
    keys = list(st["sets"].keys())
    n, busy, t0, c0 = 0, 0.0, time.perf_counter(), time.process_time()
    while True:
        _, secs = timed(st, st["sets"][keys[n % len(keys)]])
        busy += secs
        n += 1
        el = time.perf_counter() - t0
        if el >= req["seconds"]:
            break
    return {"iterations": n, "seconds": el, "busySeconds": busy, "cpuSeconds": time.process_time() - c0}


OPS = {"table": op_table, "prepare": op_prepare, "load": op_load, "run": op_run, "soak": op_soak}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        rid = req.get("id")
        try:
            if req["op"] == "hello":
                reply(rid, ok=True, **versions())
            elif req["op"] == "close":
                reply(rid, ok=True)
                return
            else:
                if torch is None:
                    raise Refused("UNSUPPORTED", "torch is not loaded (say hello first)")
                reply(rid, ok=True, **OPS[req["op"]](req))
        except Refused as e:
            reply(rid, ok=False, code=e.code, error=str(e))
        except Exception as e:  # a CUDA error, out of memory: this request fails, the worker lives on
            oom = torch is not None and isinstance(e, getattr(torch.cuda, "OutOfMemoryError", ()))
            reply(rid, ok=False, code="OOM" if oom else "CUDA", error=f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")


if __name__ == "__main__":
    main()
