"""Small shared utilities: ports, waiting, environment, data patterns."""

import hashlib
import os
import socket
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_BIN = REPO_ROOT / "build" / "pipelock"

# Generous guard for anything we wait on. Tests never assert on durations; a guard only turns a
# hang into a failure.
GUARD = float(os.environ.get("PIPELOCK_TEST_GUARD", "30"))


def is_asan():
    return os.environ.get("PIPELOCK_ASAN") == "1"


def pipelock_bin():
    return Path(os.environ.get("PIPELOCK_BIN", str(DEFAULT_BIN)))


def big_transfer_bytes():
    """Size of the large streaming transfers: 256 MiB, 64 MiB under sanitizers, or the override."""
    if "PIPELOCK_BIG_MB" in os.environ:
        return int(os.environ["PIPELOCK_BIG_MB"]) << 20
    return (64 if is_asan() else 256) << 20


def free_port(host="127.0.0.1"):
    """An ephemeral TCP port that is free right now on host (bind to 0, read, close)."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def closed_port():
    """A loopback port with nothing listening on it (connections get RST)."""
    return free_port()


def wait_until(pred, timeout=GUARD, interval=0.02, what="condition"):
    """Poll pred() until it returns a truthy value; return that value or raise AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


_PROXY_VARS = (
    "http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy",
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "FTP_PROXY",
)


def clean_env(**extra):
    """os.environ without proxy variables, so clients go exactly where the test says."""
    env = {k: v for k, v in os.environ.items() if k not in _PROXY_VARS}
    env.update({k: str(v) for k, v in extra.items()})
    return env


# ---- deterministic byte patterns for large transfers ----

_BLOCK = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(2048))  # 64 KiB


def pattern_chunks(total, piece=256 * 1024):
    """Yield `total` bytes of a deterministic, non-repeating-per-block pattern in pieces.

    Each 64 KiB block starts with its index so duplicated or reordered blocks change the hash."""
    blk = len(_BLOCK)
    out = bytearray()
    i = 0
    sent = 0
    while sent < total:
        b = i.to_bytes(8, "big") + _BLOCK[8:]
        i += 1
        out += b
        if len(out) >= piece or sent + len(out) >= total:
            chunk = bytes(out[: total - sent])
            out.clear()
            sent += len(chunk)
            yield chunk
    assert blk == 65536


def pattern_sha256(total):
    h = hashlib.sha256()
    for c in pattern_chunks(total):
        h.update(c)
    return h.hexdigest()


GOLDEN_DIR = REPO_ROOT / "tests" / "data" / "golden"


def check_golden(name, text):
    """Compare text with tests/data/golden/<name>; PIPELOCK_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN_DIR / name
    if os.environ.get("PIPELOCK_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert text == path.read_text(), (
        f"{name} differs from the golden file; if intended, regenerate with "
        "PIPELOCK_UPDATE_GOLDEN=1")
