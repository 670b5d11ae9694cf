#!/usr/bin/python3
"""Generate the data-driven DLP / URL-scanner test corpora.

Writes tests/data/dlp/cases.jsonl and tests/data/dlp/reference_fp.jsonl.
Standard library only, deterministic (fixed seed, no clock, no environment).

Every case is checked against a small pure-Python model of the reference
rules (detection-facts.md §1-4, §11-12; pipelock-behaviour.md §4) before it
is written.  Cases where the model and the hand-written expectation disagree
are dropped with a warning on stderr.  The model is a sanity check only.

Run:  /usr/bin/python3 scripts/gen-dlp-cases.py
"""

import base64
import hashlib
import itertools
import json
import math
import os
import random
import re
import sys
import unicodedata
import urllib.parse
import zlib

SEED = 0x5EC12E7
RNG = random.Random(SEED)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "tests", "data", "dlp")

# ---------------------------------------------------------------------------
# Reference model: patterns
# ---------------------------------------------------------------------------

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
B58C = "[1-9A-HJ-NP-Za-km-z]"

# (name, regex, validator) in table order (pipelock-behaviour.md §4.5).
STANDARD = [
    ("Anthropic API Key", r"sk-ant-[a-zA-Z0-9\-_]{10,}", None),
    ("OpenAI API Key", r"sk-proj-[a-zA-Z0-9\-_]{10,}", None),
    ("OpenAI Service Key", r"sk-svcacct-[a-zA-Z0-9\-]{10,}", None),
    ("Fireworks API Key", r"fw_[a-zA-Z0-9]{24,}", None),
    ("Google API Key", r"AIza[0-9A-Za-z\-_]{35}", None),
    ("Google OAuth Client Secret", r"GOCSPX-[A-Za-z0-9_\-]{28,}", None),
    ("Stripe Key", r"[sr]k[-_](?:live|test)[-_][a-zA-Z0-9]{20,}", None),
    ("Stripe Webhook Secret", r"whsec_[a-zA-Z0-9_\-]{20,}", None),
    ("GitHub Token", r"gh[pousr]_[A-Za-z0-9_]{36,}", None),
    ("GitHub Fine-Grained PAT", r"github_pat_[a-zA-Z0-9_]{36,}", None),
    ("GitLab PAT", r"glpat-[a-zA-Z0-9\-_]{20,}", None),
    ("AWS Access ID", r"(?:AKIA|A3T|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16,}", None),
    ("AWS Secret Key", r"(?:aws_secret_access_key|AWS_SECRET_ACCESS_KEY|secret.?access.?key|SecretAccessKey)\s*[\"'=:\s]{1,5}\s*[A-Za-z0-9/+=]{40}", None),
    ("Google OAuth Token", r"ya29\.[a-zA-Z0-9_-]{20,}", None),
    ("Slack Token", r"xox[bpras]-[0-9a-zA-Z-]{15,}", None),
    ("Slack App Token", r"xapp-[0-9]+-[A-Za-z0-9_]+-[0-9]+-[a-f0-9]+", None),
    ("Discord Bot Token", r"[MN][A-Za-z0-9]{23,}\.[A-Za-z0-9\-_]{6}\.[A-Za-z0-9\-_]{27,}", None),
    ("Twilio API Key", r"SK[a-f0-9]{32}", None),
    ("SendGrid API Key", r"SG\.[a-zA-Z0-9_-]{22}\.[a-zA-Z0-9_-]{43}", None),
    ("Mailgun API Key", r"key-[a-zA-Z0-9]{32}", None),
    ("New Relic API Key", r"NRAK-[A-Z0-9]{27,}", None),
    ("Hugging Face Token", r"hf_[A-Za-z0-9]{20,}", None),
    ("Databricks Token", r"dapi[a-z0-9]{30,}", None),
    ("Replicate API Token", r"r8_[A-Za-z0-9]{20,}", None),
    ("Together AI Key", r"tok_[a-z0-9]{40,}", None),
    ("Pinecone API Key", r"pcsk_[a-zA-Z0-9]{36,}", None),
    ("Groq API Key", r"gsk_[a-zA-Z0-9]{48,}", None),
    ("xAI API Key", r"xai-[a-zA-Z0-9\-_]{80,}", None),
    ("DigitalOcean Token", r"dop_v1_[a-f0-9]{64}", None),
    ("HashiCorp Vault Token", r"hvs\.[a-zA-Z0-9]{23,}", None),
    ("Vercel Token", r"(?:vercel|vc[piark])_[a-zA-Z0-9]{24,}", None),
    ("Supabase Service Key", r"sb_secret_[a-zA-Z0-9_-]{20,}", None),
    ("npm Token", r"npm_[A-Za-z0-9]{36,}", None),
    ("PyPI Token", r"pypi-[A-Za-z0-9_-]{16,}", None),
    ("Linear API Key", r"lin_api_[a-zA-Z0-9]{40,}", None),
    ("Notion API Key", r"ntn_[a-zA-Z0-9]{40,}", None),
    ("Sentry Auth Token", r"sntrys_[a-zA-Z0-9]{40,}", None),
    ("Private Key Header", r"-----BEGIN\s+(?:RSA\s+|EC\s+|DSA\s+|OPENSSH\s+)?PRIVATE\s+KEY-----", None),
    ("JWT Token", r"(?:ey[a-zA-Z0-9_\-=]{10,}\.){2}[a-zA-Z0-9_\-=]{10,}", None),
    ("Bitcoin WIF Private Key", r"(?:5" + B58C + r"{50}|[KL]" + B58C + r"{51})", "wif"),
    ("Extended Private Key", r"[xyzt]prv" + B58C + r"{107,108}", None),
    ("Ethereum Private Key", r"0x[0-9a-f]{64}\b", None),
    ("Social Security Number", r"\b\d{3}-\d{2}-\d{4}\b", None),
    ("Google OAuth Client ID", r"[0-9]{6,}-[0-9A-Za-z_]{32}\.apps\.googleusercontent\.com", None),
    ("Credential in URL", r"(?m)(?:^|[?&;])\s*(?:password|passwd|secret|token|apikey|api_key|api-key)\s*=\s*[^\s&]{4,}", None),
    ("Environment Variable Secret", r"(?-i:[A-Z][A-Z0-9]*[_-](?:SECRET(?:[_-]ACCESS)?[_-]?KEY|SECRET|PASSWORD|PASSWD|TOKEN|API[_-]?KEY))\b\s*=\s*\S{8,}", None),
    ("Credit Card Number", r"\b\d{4}(?:[- ]?\d){11,15}\b", "luhn"),
    ("IBAN", r"\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b", "mod97"),
]
assert len(STANDARD) == 48

CORE_NAMES = ["AWS Access ID", "AWS Secret Key", "GCP Service Account Key", "GitHub Token",
              "GitHub Fine-Grained PAT", "GitLab PAT", "Slack Token", "Private Key Header"]
GCP = ("GCP Service Account Key", r"\"type\"\s*:\s*\"service_account\"", None)
_std_by_name = {n: (n, r, v) for n, r, v in STANDARD}
CORE = [GCP if n == GCP[0] else _std_by_name[n] for n in CORE_NAMES]
ALL_NAMES = [n for n, _, _ in STANDARD] + [GCP[0]]
ORDER = {n: i for i, n in enumerate(ALL_NAMES)}

FLAGS = re.IGNORECASE | re.ASCII


def _compile(lst):
    return [(n, re.compile(r, FLAGS), v) for n, r, v in lst]


CSTD = _compile(STANDARD)
CCORE = _compile(CORE)

# ---------------------------------------------------------------------------
# Validators
# ---------------------------------------------------------------------------

IBAN_LEN = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}


def luhn_ok(digits):
    s = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        s += d
    return s % 10 == 0


def card_issuer_ok(d):
    n = len(d)
    if d[0] == "4":
        return n in (16, 19)
    if 51 <= int(d[:2]) <= 55:
        return n == 16
    if 2221 <= int(d[:4]) <= 2720:
        return n == 16
    if d[:2] in ("34", "37"):
        return n == 15
    if 3528 <= int(d[:4]) <= 3589:
        return 16 <= n <= 19
    if d[:4] == "6011" or 644 <= int(d[:3]) <= 649 or d[:2] == "65":
        return n in (16, 19)
    return False


def v_luhn(m):
    d = re.sub(r"[^0-9]", "", m)
    if not (15 <= len(d) <= 19) or not d.isdigit():
        return False
    return card_issuer_ok(d) and luhn_ok(d)


def iban_mod97(s):
    r = s[4:] + s[:4]
    num = "".join(str(int(c, 36)) for c in r)
    return int(num) % 97


def v_mod97(m):
    s = re.sub(r"[ \-]", "", m).upper()
    if not (15 <= len(s) <= 34):
        return False
    cc = s[:2]
    if IBAN_LEN.get(cc) != len(s):
        return False
    if not re.fullmatch(r"[A-Z0-9]+", s):
        return False
    return iban_mod97(s) == 1


def b58decode(s):
    n = 0
    for c in s:
        i = B58.find(c)
        if i < 0:
            return None
        n = n * 58 + i
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    pad = len(s) - len(s.lstrip("1"))
    return b"\x00" * pad + raw


def b58encode(b):
    n = int.from_bytes(b, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    pad = len(b) - len(b.lstrip(b"\x00"))
    return "1" * pad + out


def dsha(b):
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def b58check(payload):
    return b58encode(payload + dsha(payload)[:4])


def v_wif(m):
    raw = b58decode(m)
    if raw is None or len(raw) < 5:
        return False
    body, chk = raw[:-4], raw[-4:]
    if dsha(body)[:4] != chk:
        return False
    if body[0] != 0x80:
        return False
    p = body[1:]
    return len(p) == 32 or (len(p) == 33 and p[-1] == 0x01)


VALIDATORS = {"luhn": v_luhn, "mod97": v_mod97, "wif": v_wif}

# ---------------------------------------------------------------------------
# Normalisation (ForDLP)
# ---------------------------------------------------------------------------

INVISIBLE = set([0xAD, 0x115F, 0x1160, 0x3164, 0xFEFF] + list(range(0x200B, 0x2010)) +
                list(range(0x202A, 0x202F)) + list(range(0x2060, 0x2065)) +
                list(range(0x2066, 0x206A)) + list(range(0xFE00, 0xFE10)) +
                list(range(0xFFF9, 0xFFFC)) + list(range(0xE0000, 0xE0080)) +
                list(range(0xE0100, 0xE01F0)))
EXOTIC_WS = set([0xA0, 0x1680, 0x180E, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000] +
                list(range(0x2000, 0x200B)))
CONFUSABLES = {}
for src, dst in [("АВСЕНІЈКМОРЅТХ", "ABCEHIJKMOPSTX"), ("\u0430\u0432\u0435\u043d\u0456\u043a\u043c\u043e\u0440\u0441\u0442\u0443\u0445\u0458\u0455", "avehikmopctyxjs"),
                 ("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX"), ("αειкνο".replace("к", "κ"), "aeikvo")]:
    assert len(src) == len(dst), (src, dst)
    for a, b in zip(src, dst):
        CONFUSABLES[a] = b


def norm_dlp(s):
    out = []
    for ch in s:
        o = ord(ch)
        if o < 0x20 or o == 0x7F or 0x80 <= o <= 0x9F or o in INVISIBLE:
            continue
        if o in EXOTIC_WS:
            continue
        out.append(ch)
    s = unicodedata.normalize("NFKC", "".join(out))
    s = "".join(CONFUSABLES.get(c, c) for c in s)
    s = unicodedata.normalize("NFD", s)
    s = "".join(c for c in s if unicodedata.category(c) != "Mn")
    return s


# ---------------------------------------------------------------------------
# Decoders
# ---------------------------------------------------------------------------

def b2s(b):
    return b.decode("utf-8", errors="replace")


def dec_hex(s):
    if s and len(s) % 2 == 0 and re.fullmatch(r"[0-9a-fA-F]+", s):
        return bytes.fromhex(s)
    if len(s) >= 4:
        t = s.replace("\\x", "").replace("\\X", "").replace("0x", "").replace("0X", "")
        for c in ": -,":
            t = t.replace(c, "")
        if t and len(t) % 2 == 0 and re.fullmatch(r"[0-9a-fA-F]+", t):
            return bytes.fromhex(t)
    return None


def dec_b64_all(s):
    outs = []
    # std padded, url padded, std raw, url raw
    if len(s) % 4 == 0 and s:
        if re.fullmatch(r"[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?", s):
            outs.append(base64.b64decode(s))
        if re.fullmatch(r"[A-Za-z0-9\-_]*(?:[A-Za-z0-9\-_]{2}==|[A-Za-z0-9\-_]{3}=)?", s):
            outs.append(base64.urlsafe_b64decode(s))
    if s and len(s) % 4 != 1:
        pad = "=" * (-len(s) % 4)
        if re.fullmatch(r"[A-Za-z0-9+/]+", s):
            outs.append(base64.b64decode(s + pad))
        if re.fullmatch(r"[A-Za-z0-9\-_]+", s):
            outs.append(base64.urlsafe_b64decode(s + pad))
    return [o for o in outs if o]


def dec_b32(s):
    if s and len(s) % 8 == 0 and re.fullmatch(r"[A-Z2-7]+=*", s):
        try:
            b = base64.b32decode(s)
            return b or None
        except Exception:
            return None
    return None


BAD_PCT = re.compile(r"%(?![0-9a-fA-F]{2})")


def query_unescape(s):
    """Go url.QueryUnescape; returns None on an invalid escape."""
    if BAD_PCT.search(s):
        return None
    b = s.encode("utf-8", errors="surrogateescape").replace(b"+", b" ")
    b = re.sub(rb"%([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]), b)
    return b.decode("utf-8", errors="surrogateescape")


def path_unescape(s):
    b = s.encode("utf-8", errors="surrogateescape")
    b = re.sub(rb"%([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]), b)
    return b.decode("utf-8", errors="surrogateescape")


def iter_decode(s):
    for _ in range(500):
        d = query_unescape(s)
        if d is None or d == s:
            return s
        s = d
    return s


def clean(s):
    # surrogate escapes (invalid UTF-8 bytes) -> U+FFFD like Go's rune iteration
    return "".join("\ufffd" if 0xDC80 <= ord(c) <= 0xDCFF else c for c in s)


def one_layer_decodes(s):
    out = []
    h = dec_hex(s)
    if h:
        out.append(b2s(h))
    out += [b2s(b) for b in dec_b64_all(s)]
    b = dec_b32(s)
    if b:
        out.append(b2s(b))
    return out


NOISE = re.compile(r"[./ \t\n\r+,;|]")


def noise_strip(s):
    return NOISE.sub("", s)


# ---------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------

def match_set(text, pats):
    hits = []
    for name, rx, val in pats:
        if val is None:
            if rx.search(text):
                hits.append(name)
        else:
            f = VALIDATORS[val]
            if any(f(m.group(0)) for m in rx.finditer(text)):
                hits.append(name)
    return hits


def regex_hits(text, pats=None):
    """Pattern names whose regex matches (validators ignored)."""
    return [n for n, rx, _ in (pats or CSTD + [CCORE[2]]) if rx.search(text)]


# ---------------------------------------------------------------------------
# Text DLP model (§3.2)
# ---------------------------------------------------------------------------

def recursive_decodes(s, depth=0):
    out = []
    if depth >= 3:
        return out
    cands = one_layer_decodes(s)
    u = iter_decode(s)
    if u != s:
        cands.append(u)
    for c in cands:
        n = norm_dlp(clean(c))
        out.append(n)
        out += recursive_decodes(n, depth + 1)
    return out


SEG_SPLIT = re.compile(r"[/?&= \n\t]")


def scan_text(text):
    """Returns (scanner|None, [hit names])."""
    n = norm_dlp(text)
    targets = [n]
    # decoded / dot-collapsed copies are only re-normalised when they differ
    # (this is what makes the U+FFA0 quirk of §13 observable)
    u = iter_decode(n)
    if u != n:
        targets.append(norm_dlp(clean(u)))
    if "." in n:
        targets.append(norm_dlp(n.replace(".", "")))
    targets += recursive_decodes(n)
    core = []
    for t in targets:
        for h in match_set(t, CCORE):
            if h not in core:
                core.append(h)
    if core:
        return "core_dlp", core
    std = []
    for t in targets:
        for h in match_set(t, CSTD):
            if h not in std:
                std.append(h)
    if not std:
        for seg in SEG_SPLIT.split(n):
            if len(seg) < 10:
                continue
            segt = []
            for c in one_layer_decodes(seg):
                nn = norm_dlp(clean(c))
                segt.append(nn)
                segt += recursive_decodes(nn, 1)
            for t in segt:
                for h in match_set(t, CSTD):
                    if h not in std:
                        std.append(h)
            if std:
                break
    if std:
        return "dlp", std
    return None, []


# ---------------------------------------------------------------------------
# URL scanner model (§12 / pipelock-behaviour §4)
# ---------------------------------------------------------------------------

BLOCKLIST = ["pastebin.com", "hastebin.com", "paste.ee", "transfer.sh", "file.io", "requestbin.com"]


class ParseError(Exception):
    pass


def parse_url(url):
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise ParseError("control character")
    u = url.split("#", 1)[0]
    m = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", u)
    if not m:
        raise ParseError("no scheme")
    scheme = m.group(1).lower()
    rest = u[m.end():]
    rawq = None
    if "?" in rest:
        rest, rawq = rest.split("?", 1)
    host = ""
    path = rest
    if rest.startswith("//"):
        auth, sl, p = rest[2:].partition("/")
        path = sl + p
        hp = auth.rpartition("@")[2]
        if hp.startswith("["):
            end = hp.find("]")
            if end < 0:
                raise ParseError("bad ipv6")
            host = hp[1:end]
            port = hp[end + 1:]
            if port and not re.fullmatch(r":[0-9]*", port):
                raise ParseError("bad port")
        else:
            if ":" in hp:
                host, _, port = hp.rpartition(":")
                if not re.fullmatch(r"[0-9]*", port):
                    raise ParseError("bad port")
            else:
                host = hp
            if " " in host or "%" in host:
                raise ParseError("bad host")
    if BAD_PCT.search(path):
        raise ParseError("bad escape in path")
    return scheme, host.lower(), path, rawq


def entropy(s):
    if not s:
        return 0.0
    counts = {}
    for c in s:
        counts[c] = counts.get(c, 0) + 1
    n = len(s)
    h = 0.0
    for c in counts.values():
        p = c / n
        h -= p * math.log2(p)
    return h


TRAV = re.compile(r"(?:^|/|\\|%2f|%5c)(?:\.\.|%2e\.|\.%2e|%2e%2e)(?:/|\\|%2f|%5c|$)")
IPV4 = re.compile(r"\d+\.\d+\.\d+\.\d+")


def parse_query(rawq):
    pairs = []
    if rawq is None:
        return pairs
    for part in rawq.split("&"):
        if part == "" or ";" in part:
            continue
        k, _, v = part.partition("=")
        k2, v2 = query_unescape(k), query_unescape(v)
        if k2 is None or v2 is None:
            continue
        pairs.append((k2, v2))
    return pairs


def url_targets(url, scheme, host, path, rawq):
    """List of (label, target) DLP targets, each normalised."""
    T = []
    dpath = path_unescape(path)
    T.append(("url", url))
    T.append(("path", dpath))
    T.append(("rawquery", iter_decode(rawq or "")))
    pairs = parse_query(rawq)
    for k, v in pairs:
        for x in (k, v):
            xd = iter_decode(x)
            T.append(("param", xd))
            for d in one_layer_decodes(xd):
                T.append(("param-decoded", d))
            T.append(("param-noise", noise_strip(xd)))
    rp = iter_decode(path)
    if rp != dpath:
        T.append(("rawpath", rp))
    for seg in dpath.split("/"):
        if len(seg) >= 10:
            for d in one_layer_decodes(seg):
                T.append(("segment-decoded", d))
    T.append(("host", host.replace(".", "")))
    T.append(("path-noise", noise_strip(dpath)))
    if len(pairs) >= 2:
        c = iter_decode("".join(v for _, v in pairs))
        T.append(("concat", c))
        T.append(("concat-noise", noise_strip(c)))
    return [(lab, norm_dlp(clean(t))) for lab, t in T], pairs


def scan_url(url):
    """Returns (scanner|None, hits, detail)."""
    try:
        scheme, host, path, rawq = parse_url(url)
    except ParseError as e:
        return "parser", [], str(e)
    if scheme not in ("http", "https"):
        return "scheme", [], scheme
    low = url.split("#", 1)[0].lower()
    if any(x in low for x in ("%0d", "%0a", "%250d", "%250a", "\r", "\n")):
        return "crlf_injection", [], ""
    lp = path.lower()
    if TRAV.search(lp) or "/%252e%252e/" in lp or "/%252e%252e%252f" in lp or lp.endswith("/%252e%252e"):
        return "path_traversal", [], ""
    h = host.rstrip(".")
    for b in BLOCKLIST:
        if h == b or h.endswith("." + b):
            return "blocklist", [], b
    targets, pairs = url_targets(url, scheme, host, path, rawq)
    core, core_lab = [], None
    for lab, t in targets:
        hs = match_set(t, CCORE)
        if hs and core_lab is None:
            core_lab = lab
        for x in hs:
            if x not in core:
                core.append(x)
    if core:
        return "core_dlp", core, core_lab
    std, std_lab = [], None
    for lab, t in targets:
        hs = match_set(t, CSTD)
        if hs and std_lab is None:
            std_lab = lab
        for x in hs:
            if x not in std:
                std.append(x)
    vals = [iter_decode(v) for _, v in pairs if v != ""][:20]
    if len(vals) >= 3:
        for r in (2, 3, 4):
            for combo in itertools.combinations(vals, r):
                hs = match_set(norm_dlp(clean("".join(combo))), CSTD)
                if hs and std_lab is None:
                    std_lab = "subseq"
                for x in hs:
                    if x not in std:
                        std.append(x)
    if std:
        return "dlp", std, std_lab
    dpath = path_unescape(path)
    for seg in dpath.split("/"):
        if len(seg) >= 20 and entropy(seg) > 4.5:
            return "entropy", [], "path %.4f" % entropy(seg)
    for k, v in pairs:
        for x in (k, v):
            if len(x) >= 20 and entropy(x) > 4.5:
                return "entropy", [], "query %.4f" % entropy(x)
    labels = h.split(".")
    is_ip = bool(IPV4.fullmatch(h)) or ":" in h
    if not is_ip and len(labels) >= 3:
        for lab in labels[:-2]:
            if len(lab) >= 8 and entropy(lab) > 4.0:
                return "subdomain_entropy", [], "%s %.4f" % (lab, entropy(lab))
    if len(url.encode("utf-8")) > 2048:
        return "length", [], str(len(url.encode("utf-8")))
    return None, [], ""


# ---------------------------------------------------------------------------
# Case collection
# ---------------------------------------------------------------------------

CASES = []
REF_FP = []
SEEN_IDS = set()
WARNINGS = []


def warn(msg):
    WARNINGS.append(msg)
    print("WARNING: " + msg, file=sys.stderr)


def model(surface, inp):
    if surface == "url":
        return scan_url(inp)
    sc, hits = scan_text(inp)
    return sc, hits, ""


def add(cid, surface, inp, expect, scanner=None, pattern=None, note="", dest=None,
        want_label=None, quiet=False):
    """Check against the model, then record.  Returns True if recorded."""
    dest = CASES if dest is None else dest
    if cid in SEEN_IDS:
        raise SystemExit("duplicate id " + cid)
    msc, mhits, detail = model(surface, inp)
    got = "block" if msc else "allow"
    if got != expect or (expect == "block" and msc != scanner):
        if not quiet:
            warn("dropped %s: expected %s/%s, model says %s/%s %s %s" % (
                cid, expect, scanner, got, msc, mhits, detail))
        return False
    if want_label and detail != want_label:
        if not quiet:
            warn("dropped %s: expected target %s, model used %s" % (cid, want_label, detail))
        return False
    rec = {"id": cid, "surface": surface, "input": inp, "expect": expect,
           "scanner": scanner if expect == "block" else None, "pattern": None, "note": note}
    if expect == "block" and scanner in ("dlp", "core_dlp"):
        hits = sorted(mhits, key=lambda n: ORDER[n])
        if pattern is not None and pattern not in hits:
            if not quiet:
                warn("dropped %s: pattern %s not among model hits %s" % (cid, pattern, hits))
            return False
        if len(hits) == 1:
            rec["pattern"] = hits[0]
        else:
            rec["patterns_any"] = hits
    SEEN_IDS.add(cid)
    dest.append(rec)
    return True


# ---------------------------------------------------------------------------
# Fake secrets
# ---------------------------------------------------------------------------

def fit(s, n):
    return (s * (n // len(s) + 1))[:n]


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


JWT = (b64u(b'{"alg":"HS256","typ":"JWT"}') + "." +
       b64u(b'{"sub":"fake-user-0000","name":"Example Only","iat":1700000000}') + "." +
       "FAKEsignatureNOTreal_example-0123456789ab")


def make_wif(seed_bytes, compressed):
    payload = b"\x80" + seed_bytes + (b"\x01" if compressed else b"")
    return b58check(payload)


WIF_U = make_wif(hashlib.sha256(b"pipelock test vector - not a real key 1").digest(), False)
WIF_C = make_wif(hashlib.sha256(b"pipelock test vector - not a real key 2").digest(), True)
XPRV = b58check(bytes.fromhex("0488ADE4") + bytes(9) + hashlib.sha256(b"pipelock fake chain code").digest() + b"\x00" + hashlib.sha256(b"pipelock fake xprv").digest())
assert XPRV.startswith("xprv") and len(XPRV) == 111, XPRV

SECRETS = {
    "Anthropic API Key": "sk-ant-api03-FAKEexampleKEYnotREAL0123456789-abcdEXAMPLE_xyzAA",
    "OpenAI API Key": "sk-proj-FAKEexampleKEYnotREAL0123456789abcdEXAMPLE",
    "OpenAI Service Key": "sk-svcacct-FAKEexample-KEYnotREAL0123456789",
    "Fireworks API Key": "fw_FAKEexampleKEYnotREAL01234567",
    "Google API Key": "AIza" + fit("SyFAKE-example_KEYnotREAL0123456789", 35),
    "Google OAuth Client Secret": "GOCSPX-" + fit("FAKEexample_SECRET-notREAL0123", 28),
    "Stripe Key": "sk_live_" + fit("FAKEexampleKEYnotREAL0123", 24),
    "Stripe Webhook Secret": "whsec_" + fit("FAKEexampleSECRETnotREAL0123", 28),
    "GitHub Token": "ghp_" + fit("FAKEexampleTOKENnotREAL0123456789", 36),
    "GitHub Fine-Grained PAT": "github_pat_11FAKE0EXAMPLE_" + fit("FAKEexampleTOKENnotREAL0123456789", 59),
    "GitLab PAT": "glpat-" + "FAKEexample-TOKEN_x1",
    "AWS Access ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS Secret Key": "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "Google OAuth Token": "ya29." + "a0FAKEexample_TOKEN-notREAL0123",
    "Slack Token": "xoxb-123456789012-1234567890123-FAKEexampleTOKEN",
    "Slack App Token": "xapp-1-A0FAKE12345-1234567890123-" + "deadbeef" * 8,
    "Discord Bot Token": "M" + fit("TFAKEexampleBOTtoken0123", 25) + ".GhFaKe." + fit("FAKEexample_signature-0123456789", 30),
    "Twilio API Key": "SK" + "deadbeef" + "cafebabe" + "feedface" + "00000000",
    "SendGrid API Key": "SG." + fit("FAKEexampleKEYnotREAL0", 22) + "." + fit("FAKEexample-KEY_notREAL0123456789abcdefghij", 43),
    "Mailgun API Key": "key-" + fit("fakeexamplekey0123456789notreal0", 32),
    "New Relic API Key": "NRAK-" + fit("FAKEEXAMPLEKEY0123456789NOTREAL", 27),
    "Hugging Face Token": "hf_" + "FAKEexampleTOKENnotREAL0123",
    "Databricks Token": "dapi" + fit("fakeexample0123456789notreal", 32),
    "Replicate API Token": "r8_" + "FAKEexampleTOKENnotREAL0123",
    "Together AI Key": "tok_" + fit("fakeexample0123456789notreal", 40),
    "Pinecone API Key": "pcsk_" + fit("FAKEexampleKEYnotREAL0123456789", 40),
    "Groq API Key": "gsk_" + fit("FAKEexampleKEYnotREAL0123456789", 52),
    "xAI API Key": "xai-" + fit("FAKEexample-KEY_notREAL0123456789", 84),
    "DigitalOcean Token": "dop_v1_" + "deadbeef" * 8,
    "HashiCorp Vault Token": "hvs." + fit("FAKEexampleTOKENnotREAL0123", 26),
    "Vercel Token": "vercel_" + fit("FAKEexampleTOKENnotREAL0123", 24),
    "Supabase Service Key": "sb_secret_" + "FAKEexample-KEY_notREAL01",
    "npm Token": "npm_" + fit("FAKEexampleTOKENnotREAL0123456789", 36),
    "PyPI Token": "pypi-AgEIcHlwaS5vcmcFAKEexampleTOKEN",
    "Linear API Key": "lin_api_" + fit("FAKEexampleKEYnotREAL0123456789", 40),
    "Notion API Key": "ntn_" + fit("FAKEexampleKEYnotREAL0123456789", 40),
    "Sentry Auth Token": "sntrys_" + fit("FAKEexampleTOKENnotREAL0123456789", 40),
    "Private Key Header": "-----BEGIN RSA PRIVATE KEY-----",
    "JWT Token": JWT,
    "Bitcoin WIF Private Key": WIF_U,
    "Extended Private Key": XPRV,
    "Ethereum Private Key": "0x" + "deadbeef" * 8,
    "Social Security Number": "123-45-6789",
    "Google OAuth Client ID": "123456789012-" + fit("fakeexampleclientid0123456789abc", 32) + ".apps.googleusercontent.com",
    "Credential in URL": "password=hunter2hunter2",
    "Environment Variable Secret": "DATABASE_PASSWORD=correct-horse-battery",
    "Credit Card Number": "4111111111111111",
    "IBAN": "GB82WEST12345698765432",
    "GCP Service Account Key": '"type": "service_account"',
}
assert set(SECRETS) == set(ALL_NAMES)
for _n, _s in SECRETS.items():
    assert _n in match_set(norm_dlp(_s), CSTD + [CCORE[2]]), (_n, _s)

SLUG = {n: re.sub(r"[^a-z0-9]+", "-", n.lower()).strip("-") for n in ALL_NAMES}


def tier(name):
    return "core_dlp" if name in CORE_NAMES else "dlp"


# Literal prefixes (used to choose split points).
PREFIX_LEN = {
    "Anthropic API Key": 7, "OpenAI API Key": 8, "OpenAI Service Key": 11, "Fireworks API Key": 3,
    "Google API Key": 4, "Google OAuth Client Secret": 7, "Stripe Key": 8, "Stripe Webhook Secret": 6,
    "GitHub Token": 4, "GitHub Fine-Grained PAT": 11, "GitLab PAT": 6, "AWS Access ID": 4,
    "AWS Secret Key": 21, "Google OAuth Token": 5, "Slack Token": 5, "Slack App Token": 5,
    "Discord Bot Token": 1, "Twilio API Key": 2, "SendGrid API Key": 3, "Mailgun API Key": 4,
    "New Relic API Key": 5, "Hugging Face Token": 3, "Databricks Token": 4, "Replicate API Token": 3,
    "Together AI Key": 4, "Pinecone API Key": 5, "Groq API Key": 4, "xAI API Key": 4,
    "DigitalOcean Token": 7, "HashiCorp Vault Token": 4, "Vercel Token": 7, "Supabase Service Key": 10,
    "npm Token": 4, "PyPI Token": 5, "Linear API Key": 8, "Notion API Key": 4, "Sentry Auth Token": 7,
    "Private Key Header": 10, "JWT Token": 2, "Bitcoin WIF Private Key": 1, "Extended Private Key": 4,
    "Ethereum Private Key": 2, "Social Security Number": 3, "Google OAuth Client ID": 6,
    "Credential in URL": 8, "Environment Variable Secret": 8, "Credit Card Number": 4, "IBAN": 4,
    "GCP Service Account Key": 6,
}

API = "https://api.example.com/v1"


def q(s):
    return urllib.parse.quote(s, safe="-_.~")


def pct_all(s):
    return "".join("%%%02X" % b for b in s.encode("utf-8"))


def pct_all2(s):
    return "".join("%%25%02X" % b for b in s.encode("utf-8"))


def alone_hits(part):
    return match_set(norm_dlp(part), CSTD + [CCORE[2]])


def split2_cands(s, name):
    pl = PREFIX_LEN[name]
    for i in [max(1, pl // 2), max(1, pl - 1)] + list(range(2, min(len(s), 24))) + [1, len(s) // 2]:
        a, b = s[:i], s[i:]
        if a and b and not alone_hits(a) and not alone_hits(b):
            yield a, b


def split3_cands(s, name):
    pl = PREFIX_LEN[name]
    for i in [max(1, pl // 2)] + list(range(1, min(len(s) - 2, 24))):
        for frac in (2, 3, 4):
            j = i + max(1, (len(s) - i) // frac)
            a, b, c = s[:i], s[i:j], s[j:]
            if a and b and c and not any(alone_hits(x) for x in (a, b, c)):
                yield a, b, c


def split2(s, name):
    pl = PREFIX_LEN[name]
    cands = [max(1, pl // 2), max(1, pl - 1), 1, len(s) // 2, len(s) // 3]
    for i in cands:
        a, b = s[:i], s[i:]
        if a and b and not alone_hits(a) and not alone_hits(b):
            return a, b
    return None


def split3(s, name):
    pl = PREFIX_LEN[name]
    firsts = [max(1, pl // 2), 1, max(1, pl - 1)]
    for i in firsts:
        for frac in (2, 3, 4):
            j = i + max(1, (len(s) - i) // frac)
            a, b, c = s[:i], s[i:j], s[j:]
            if a and b and c and not any(alone_hits(x) for x in (a, b, c)) \
                    and not alone_hits(a + "~" + b + c) and not alone_hits(b + c):
                return a, b, c
    return None


def b64_nocollide(secret, enc):
    """Base64 of the secret (+ harmless suffix) avoiding '+' for the std alphabet."""
    for suf in ("", " ", "  ", "\n", " \n", "   "):
        v = enc((secret + suf).encode())
        if "+" not in v:
            return v, suf
    return enc(secret.encode()), ""


def gen_positives():
    for name in ALL_NAMES:
        s = SECRETS[name]
        sl = SLUG[name]
        t = tier(name)
        # ----- text surface
        w = ("?user=bob&" + s) if name == "Credential in URL" else s
        prose = "Here is the config I used yesterday: %s and it still fails with 401, any idea?" % w
        add("%s/raw/text-prose" % sl, "text", prose, "block", t, name, "raw secret in prose")
        body = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "debug this: " + w}]})
        if name == "GCP Service Account Key":
            add("%s/raw/text-json-escaped" % sl, "text", body, "allow",
                note="inside a JSON string the quotes are escaped (\\\"type\\\"), so the quoted fragment is absent")
        else:
            add("%s/raw/text-json" % sl, "text", body, "block", t, name,
                "secret inside a JSON string value (text surface = whole blob scanned raw)")
        if name == "GCP Service Account Key":
            sa = json.dumps({"type": "service_account", "project_id": "example-project",
                             "client_email": "ci@example-project.iam.gserviceaccount.com"}, indent=2)
            add("%s/raw/text-keyfile" % sl, "text", sa, "block", t, name, "service-account key file (raw JSON)")
            add("%s/case/text-upper" % sl, "text", '{"TYPE": "SERVICE_ACCOUNT"}', "block", t, name, "(?i)")
        elif name == "Environment Variable Secret":
            add("%s/case/text-lower-name" % sl, "text", "database_password=correct-horse-battery", "allow",
                note="variable-name part is case-sensitive (?-i:): lower-case name does not match")
            add("%s/raw/text-dotenv" % sl, "text", "# .env\nSTRIPE_API_KEY=notreal-example-value-000\n",
                "block", t, name, "API_KEY branch")
            add("%s/raw/text-secret-access-key" % sl, "text", "MYAPP_SECRET_ACCESS_KEY = placeholder-value-0000",
                "block", t, name, "SECRET_ACCESS_KEY branch, spaces around =")
        elif name == "Bitcoin WIF Private Key":
            add("%s/case/text-swapcase" % sl, "text", "wif: %s done" % s.swapcase(), "allow",
                note="(?i) widens the regex, but swapping case breaks the base58check checksum")
        elif name in ("Credit Card Number", "Social Security Number"):
            pass
        else:
            sc = w.swapcase()
            add("%s/case/text-swapcase" % sl, "text", "value: %s end" % sc, "block", t, name,
                "letter case swapped; DLP regexes are (?i)" + (", IBAN validator upper-cases" if name == "IBAN" else ""))
        # encoded in text
        bu, _ = b64_nocollide(s, lambda b: base64.urlsafe_b64encode(b).decode().rstrip("="))
        if name == "GCP Service Account Key":
            add("%s/b64url/text-prose" % sl, "text", "the attached blob %s was in the log" % bu, "allow",
                note="GCP pattern is core-only and the decoded-segments step (§3.2 step 8) runs standard patterns only")
        else:
          add("%s/b64url/text-prose" % sl, "text", "the attached blob %s was in the log" % bu, "block",
            "dlp", name, "base64url (unpadded) token in prose: found by the decoded-segments step (§3.2 step 8); "
            "step 8 runs standard patterns only, so core-tier secrets report scanner dlp here")
        b64whole = base64.b64encode(s.encode()).decode()
        add("%s/b64/text-whole" % sl, "text", b64whole, "block", t, name,
            "whole body is base64 of the secret (recursive decode, §3.2 step 7 / core step 1)")
        add("%s/hex/text-whole" % sl, "text", s.encode().hex(), "block", t, name, "whole body is hex")
        add("%s/pct/text" % sl, "text", pct_all(s), "block", t, name,
            "every byte %XX, iterative URL decode of the text")
        # ----- url surface
        add("%s/raw/url-query" % sl, "url", "%s?q=%s" % (API, q(s)), "block", t, name, "secret as a query value")
        if name != "Credential in URL":
            add("%s/raw/url-path" % sl, "url", "%s/items/%s/info" % (API, q(s)), "block", t, name,
                "secret as a path segment")
        else:
            add("%s/raw/url-path-semicolon" % sl, "url", "%s/items;%s" % (API, s), "block", t, name,
                "';' before the keyword satisfies [?&;]")
            add("%s/nearmiss/url-path" % sl, "url", "%s/items/%s" % (API, s), "allow",
                note="in a path segment the keyword is preceded by '/', not ^ ? & ; -> no match")
        for vname, enc in [("b64std", lambda b: base64.b64encode(b).decode()),
                           ("b64url", lambda b: base64.urlsafe_b64encode(b).decode()),
                           ("b64std-nopad", lambda b: base64.b64encode(b).decode().rstrip("=")),
                           ("b64url-nopad", lambda b: base64.urlsafe_b64encode(b).decode().rstrip("="))]:
            v, suf = b64_nocollide(s, enc)
            note = "%s of the secret%s as a query value (one decode layer on each value)" % (
                vname, (" + %r suffix (keeps '+' out of the std alphabet)" % suf) if suf else "")
            if vname.startswith("b64std") and "/" not in v:
                note += "; no '/' in the encoding, so identical to the url-safe form"
            add("%s/%s/url-query" % (sl, vname), "url", "%s?data=%s" % (API, urllib.parse.quote(v, safe="")),
                "block", t, name, note)
        add("%s/hex/url-query" % sl, "url", "%s?data=%s" % (API, s.encode().hex()), "block", t, name,
            "lower-case hex of the secret as a query value")
        add("%s/hex-upper/url-query" % sl, "url", "%s?data=%s" % (API, s.encode().hex().upper()), "block", t, name,
            "upper-case hex")
        add("%s/b32/url-query" % sl, "url", "%s?data=%s" % (API, urllib.parse.quote(base64.b32encode(s.encode()).decode(), safe="")),
            "block", t, name, "upper-case padded base32 ('=' percent-encoded)")
        add("%s/pct/url-query" % sl, "url", "%s?q=%s" % (API, pct_all(s)), "block", t, name,
            "every byte percent-encoded")
        add("%s/pct2/url-query" % sl, "url", "%s?q=%s" % (API, pct_all2(s)), "block", t, name,
            "every byte double percent-encoded (%25XX), iterative decode")
        if name not in ("Credential in URL",):
            seg_b64 = base64.urlsafe_b64encode(s.encode()).decode().rstrip("=")
            add("%s/b64url/url-path" % sl, "url", "%s/upload/%s" % (API, seg_b64), "block", t, name,
                "base64url of the secret as a path segment (segment decodings, >=10 chars)")
        done = False
        for a, b in split2_cands(s, name):
            u = "%s?a=%s&b=%s" % (API, q(a), q(b))
            if scan_url(u)[2] == "concat":
                add("%s/split2/url-query" % sl, "url", u, "block", t, name,
                    "split across two parameters; only the concatenated-values target sees it (split at %d)" % len(a),
                    want_label="concat")
                done = True
                break
        if not done:
            warn("no 2-split for " + name)
        done = False
        for a, b, c in split3_cands(s, name):
            u = "%s?a=%s&x=~&b=%s&c=%s" % (API, q(a), q(b), q(c))
            r = scan_url(u)
            if name == "GCP Service Account Key":
                if r[0] is None:
                    add("%s/split3/url-query" % sl, "url", u, "allow",
                        note="GCP pattern is core-only; the subsequence step runs the standard tier only")
                    done = True
                    break
                continue
            if r[2] == "subseq":
                add("%s/split3/url-query" % sl, "url", u, "block", "dlp", name,
                    "split across three values with junk '~' between; only the subsequence step (standard tier, "
                    "no core equivalent) finds it, so core-tier secrets report scanner dlp",
                    want_label="subseq")
                done = True
                break
        if not done:
            warn("no 3-split for " + name)


# ---------------------------------------------------------------------------
# Unicode evasion positives
# ---------------------------------------------------------------------------

def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if 0x21 <= ord(c) <= 0x7E else c for c in s)


def gen_unicode():
    cyr = {"A": "\u0410", "a": "\u0430", "o": "\u043e", "e": "\u0435", "p": "\u0440", "c": "\u0441",
           "K": "\u041a", "x": "\u0445", "M": "\u041c", "T": "\u0422", "E": "\u0415", "O": "\u041e"}
    greek = {"A": "\u0391", "K": "\u039a", "o": "\u03bf", "I": "\u0399", "N": "\u039d"}

    def conf(s, table, n=2):
        out, k = [], 0
        for ch in s:
            if k < n and ch in table:
                out.append(table[ch])
                k += 1
            else:
                out.append(ch)
        return "".join(out)

    variants = []
    names = ["Anthropic API Key", "OpenAI API Key", "GitHub Token", "AWS Access ID", "Slack Token",
             "Stripe Key", "GitLab PAT", "Hugging Face Token", "Google API Key", "npm Token",
             "Private Key Header", "SendGrid API Key", "Groq API Key", "Ethereum Private Key",
             "Credit Card Number", "JWT Token", "Vercel Token", "Databricks Token"]
    for name in names:
        s = SECRETS[name]
        sl = SLUG[name]
        t = tier(name)
        mid = max(PREFIX_LEN[name], 2)
        forms = [
            ("newline", s[:mid] + "\n" + s[mid:], "newline inside the key; DLP normalisation deletes \\n"),
            ("tab", s[:mid] + "\t" + s[mid:], "tab deleted"),
            ("zwsp", "\u200b".join([s[:3], s[3:9], s[9:]]), "zero-width spaces (U+200B) inside the key are removed"),
            ("softhyphen", s[:mid] + "\u00ad" + s[mid:], "soft hyphen U+00AD removed"),
            ("nbsp", s[:mid] + "\u00a0" + s[mid:], "NBSP (exotic whitespace) deleted before NFKC"),
            ("fullwidth", fullwidth(s[:mid + 4]) + s[mid + 4:], "full-width forms folded by NFKC"),
            ("cyrillic", conf(s, cyr), "Cyrillic confusables folded to ASCII"),
            ("greek", conf(s, greek), "Greek confusables folded to ASCII"),
            ("bidi", s[:mid] + "\u202e\u202c" + s[mid:], "bidi override/pop removed"),
            ("tagchars", s[:mid] + "\U000e0041\U000e0042" + s[mid:], "Tags-block characters removed"),
        ]
        for fname, v, note in forms:
            if v == s:
                continue
            add("%s/unicode-%s/text" % (sl, fname), "text", "please check this value %s thanks" % v,
                "block", t, name, note, quiet=True) or warn("unicode text %s/%s dropped" % (sl, fname))
        for fname, v, note in forms:
            if v == s or fname in ("newline", "tab"):
                continue
            add("%s/unicode-%s/url-query" % (sl, fname), "url", "%s?q=%s" % (API, q(v)), "block", t, name,
                note + " (UTF-8 percent-encoded in a query value)", quiet=True) or \
                warn("unicode url %s/%s dropped" % (sl, fname))
    # U+FFA0 gap (§13): survives the strip, becomes Hangul filler after NFKC -> splits the key
    s = SECRETS["GitHub Token"]
    add("github-token/unicode-ffa0/text-gap", "text", "token %s thanks" % (s[:4] + "\uffa0" + s[4:]), "allow",
        note="reference gap §13: U+FFA0 is not stripped before NFKC and splits the key in text without . or %")
    # U+2800 braille blank is not in the invisible set
    add("aws-access-id/unicode-braille-blank/text-gap", "text", "id AKIA\u2800IOSFODNN7EXAMPLE ok", "allow",
        note="reference gap: U+2800 braille blank is not removed, key stays split")
    # Cyrillic small n (н) maps to h, not n -> breaks sk-ant
    add("anthropic-api-key/unicode-cyrillic-en/text-nomatch", "text",
        "key sk-a\u043dt-api03-FAKEexampleKEYnotREAL0123 end", "allow",
        note="Cyrillic small н maps to 'h' in the confusable table, so sk-aht- does not match")


# ---------------------------------------------------------------------------
# Validated patterns
# ---------------------------------------------------------------------------

def luhn_complete(prefix, length, rng):
    # synthetic-looking body (a run of zeros then a counting sequence) so the
    # values read as test numbers; only the check digit is computed
    n = length - len(prefix) - 1
    body = prefix + "0" * (n // 2) + fit("123456789", n - n // 2)
    for d in "0123456789":
        if luhn_ok(body + d):
            return body + d
    raise AssertionError


def change_digit(num, rng):
    while True:
        i = rng.randrange(len(num) // 2, len(num))
        d = str((int(num[i]) + rng.randrange(1, 10)) % 10)
        out = num[:i] + d + num[i + 1:]
        if not luhn_ok(out):
            return out


def group4(d, sep):
    return sep.join(d[i:i + 4] for i in range(0, len(d), 4))


def gen_cards():
    rng = random.Random(SEED + 1)
    specs = [("visa16", "4", 16), ("visa19", "4", 19), ("mc51", "51", 16), ("mc52", "52", 16),
             ("mc53", "53", 16), ("mc54", "54", 16), ("mc55", "55", 16), ("mc2221", "2221", 16),
             ("mc2500", "2500", 16), ("mc2720", "2720", 16), ("amex34", "34", 15), ("amex37", "37", 15),
             ("jcb3528-16", "3528", 16), ("jcb3589-17", "3589", 17), ("jcb3550-18", "3550", 18),
             ("jcb3566-19", "3566", 19), ("disc6011-16", "6011", 16), ("disc6011-19", "6011", 19),
             ("disc644-16", "644", 16), ("disc649-19", "649", 19), ("disc65-16", "65", 16), ("disc65-19", "65", 19)]
    for tag, pre, n in specs:
        v = luhn_complete(pre, n, rng)
        bad = change_digit(v, rng)
        base = "credit-card-number/" + tag
        add(base + "/valid/text", "text", "card %s exp 12/29" % v, "block", "dlp", "Credit Card Number",
            "Luhn-valid, issuer rule %s length %d" % (pre, n))
        add(base + "/valid-spaced/text", "text", "card %s exp 12/29" % group4(v, " "), "block", "dlp",
            "Credit Card Number", "grouped with spaces")
        add(base + "/valid-dashed/text", "text", "card %s exp 12/29" % group4(v, "-"), "block", "dlp",
            "Credit Card Number", "grouped with hyphens")
        add(base + "/luhn-fail/text", "text", "card %s exp 12/29" % bad, "allow",
            note="one digit changed from a valid number: Luhn fails")
        add(base + "/decoy-then-valid/text", "text", "old card %s, new card %s" % (bad, v), "block", "dlp",
            "Credit Card Number", "checksum-failing decoy first, valid later: every regex hit is validated")
        add(base + "/valid/url-query", "url", "https://shop.example.com/checkout?pan=%s" % v, "block", "dlp",
            "Credit Card Number", "card in a query value")
        add(base + "/luhn-fail/url-query", "url", "https://shop.example.com/checkout?pan=%s" % bad, "allow",
            note="checksum fails")
    # issuer/length rule failures (Luhn-valid)
    for tag, pre, n, why in [("visa17", "4", 17, "Visa must be 16 or 19"), ("visa15", "4", 15, "Visa 15 digits"),
                             ("mc56", "56", 16, "56 is not a Mastercard range"),
                             ("mc2721", "2721", 16, "2721 is past the 2-series range"),
                             ("mc2220", "2220", 16, "2220 is before the 2-series range"),
                             ("amex16", "37", 16, "Amex must be 15"), ("jcb3527", "3527", 16, "JCB starts at 3528"),
                             ("jcb3590", "3590", 16, "JCB ends at 3589"), ("disc643", "643", 16, "Discover 644-649"),
                             ("disc6011-17", "6011", 17, "Discover 16 or 19"), ("prefix1", "1", 16, "no issuer 1"),
                             ("prefix9", "9", 16, "no issuer 9"), ("mc51-19", "51", 19, "Mastercard only 16")]:
        v = luhn_complete(pre, n, rng)
        add("credit-card-number/issuer-%s/text" % tag, "text", "ref %s ok" % v, "allow",
            note="Luhn-valid but issuer/length rule rejects: " + why)
    v = luhn_complete("4", 16, rng)
    add("credit-card-number/in-longer-run/text", "text", "id 9%s9 x" % v, "allow",
        note="valid PAN embedded in an 18-digit run: word boundaries fail")
    add("credit-card-number/dots/text", "text", "pan %s end" % group4(v, "."), "block", "dlp", "Credit Card Number",
        "dot-separated groups: regex separators are only space/hyphen, but the dot-collapsed text target glues them")
    add("credit-card-number/dots/url-query", "url", "https://shop.example.com/p?pan=%s" % group4(v, "."), "block",
        "dlp", "Credit Card Number", "noise-stripped query value removes the dots")
    add("credit-card-number/slashes/url-path", "url", "https://shop.example.com/pay/%s/confirm" % group4(v, "/"),
        "allow", note="§3.3: path noise-stripping glues the digits to the preceding segment (pay4111...), "
        "\\b fails; each 4-digit segment alone is too short")
    add("credit-card-number/host-labels/url", "url", "https://%s.attacker.com/" % group4(v, "."), "allow",
        note="dot-collapsed host glues 'attackercom' onto the digits, so the trailing \\b fails (§3.3)")


def iban_make(cc, bban):
    chk = 98 - iban_mod97(cc + "00" + bban)
    return "%s%02d%s" % (cc, chk, bban)


def gen_iban():
    rng = random.Random(SEED + 2)
    bbans = {"GB": "WEST12345698765432", "DE": "370400440532013000", "FR": "20041010050500013M02606",
             "NL": "ABNA0417164300", "NO": "86011117947", "BE": "539007547034", "CH": "0076201162385295 7".replace(" ", "")[:17],
             "IT": "X0542811101000000123456", "ES": "21000418450200051332", "PL": "109010140000071219812874"}
    for cc, bban in sorted(bbans.items()):
        assert len(bban) + 4 == IBAN_LEN[cc], (cc, len(bban) + 4)
        v = iban_make(cc, bban)
        assert v_mod97(v), v
        i = rng.randrange(6, len(v))
        ch = v[i]
        repl = str((int(ch) + 3) % 10) if ch.isdigit() else ("Q" if ch != "Q" else "R")
        bad = v[:i] + repl + v[i + 1:]
        base = "iban/" + cc.lower()
        add(base + "/valid/text", "text", "Please wire to %s by Friday" % v, "block", "dlp", "IBAN",
            "mod-97 valid %s IBAN (%d chars)" % (cc, len(v)))
        add(base + "/valid-lower/text", "text", "iban: %s" % v.lower(), "block", "dlp", "IBAN",
            "lower-case: regex is (?i) and the validator upper-cases")
        add(base + "/checksum-fail/text", "text", "Please wire to %s by Friday" % bad, "allow",
            note="one character changed: mod-97 != 1")
        add(base + "/decoy-then-valid/text", "text", "not %s but %s" % (bad, v), "block", "dlp", "IBAN",
            "decoy first, valid later")
        spaced = " ".join(v[k:k + 4] for k in range(0, len(v), 4))
        add(base + "/spaced/text", "text", "IBAN %s" % spaced, "allow",
            note="reference gap: space-grouped IBANs are not matched by the regex (§13)")
        add(base + "/valid/url-query", "url", "https://bank.example.com/transfer?to=%s" % v, "block", "dlp", "IBAN",
            "IBAN in a query value")
    add("iban/gb/wrong-length/text", "text", "iban %s end" % iban_make("GB", bbans["GB"] + "1"),
        "allow", note="mod-97 recomputed for 23 chars, but GB length must be 22")
    add("iban/xx/unknown-country/text", "text", "iban %s end" % iban_make("XY", "12345678901234567890"), "allow",
        note="mod-97 valid but XY is not in the ISO 13616 table")


def gen_wif():
    rng = random.Random(SEED + 3)
    for tag, v in (("uncompressed", WIF_U), ("compressed", WIF_C)):
        assert v_wif(v)
        i = rng.randrange(10, len(v) - 2)
        alt = [c for c in B58 if c != v[i]]
        bad = v[:i] + alt[rng.randrange(len(alt))] + v[i + 1:]
        assert not v_wif(bad)
        base = "bitcoin-wif-private-key/" + tag
        add(base + "/valid/text", "text", "import %s into the wallet" % v, "block", "dlp", "Bitcoin WIF Private Key",
            "base58check, version 0x80, %s payload (starts with %s)" % ("32-byte" if tag == "uncompressed" else "33-byte+0x01", v[0]))
        add(base + "/checksum-fail/text", "text", "import %s into the wallet" % bad, "allow",
            note="one base58 char changed: double-SHA-256 checksum fails")
        add(base + "/decoy-then-valid/text", "text", "not %s but %s" % (bad, v), "block", "dlp",
            "Bitcoin WIF Private Key", "decoy first, valid later")
        add(base + "/valid/url-query", "url", "%s?k=%s" % (API, v), "block", "dlp", "Bitcoin WIF Private Key", "")
    # wrong version byte (0xEF testnet) -> '9'/'c' prefix, not matched; 0x80 but 31-byte payload
    short = b58check(b"\x80" + hashlib.sha256(b"short").digest()[:31])
    add("bitcoin-wif-private-key/short-payload/text", "text", "key %s end" % short, "allow",
        note="valid base58check with version 0x80 but a 31-byte payload (%d chars)" % len(short))
    c_no01 = b58check(b"\x80" + hashlib.sha256(b"x").digest() + b"\x02")
    add("bitcoin-wif-private-key/33-not-01/text", "text", "key %s end" % c_no01, "allow",
        note="33-byte payload whose last byte is 0x02, not 0x01")


# ---------------------------------------------------------------------------
# Near misses
# ---------------------------------------------------------------------------

def gen_nearmiss():
    nm = [
        ("anthropic-api-key", "sk-ant-" + "FAKEexamp"),
        ("openai-api-key", "sk-proj-" + "FAKEexamp"),
        ("openai-service-key", "sk-svcacct-" + "FAKEexamp"),
        ("openai-service-key/underscore", "sk-svcacct-FAKE_example_KEY_x"),
        ("fireworks-api-key", "fw_" + fit("FAKEexample0", 23)),
        ("google-api-key", "AIza" + fit("SyFAKE-example_KEY0", 34)),
        ("google-oauth-client-secret", "GOCSPX-" + fit("FAKEexample_SECRET-0", 27)),
        ("stripe-key", "sk_live_" + fit("FAKEexample0", 19)),
        ("stripe-key/pk-live", "pk_live_" + fit("FAKEexampleKEYnotREAL0123", 30)),
        ("stripe-key/sk-prod", "sk_prod_" + fit("FAKEexampleKEYnotREAL0123", 30)),
        ("stripe-webhook-secret", "whsec_" + fit("FAKEexample0", 19)),
        ("github-token", "ghp_" + fit("FAKEexampleTOKEN0", 35)),
        ("github-token/ghx", "ghx_" + fit("FAKEexampleTOKEN0", 40)),
        ("github-fine-grained-pat", "github_pat_" + fit("FAKEexampleTOKEN0", 35)),
        ("gitlab-pat", "glpat-" + fit("FAKEexample0", 19)),
        ("aws-access-id", "AKIA" + fit("IOSFODNN7EXAMPL", 15)),
        ("aws-access-id/akib", "AKIBIOSFODNN7EXAMPLE"),
        ("aws-secret-key", "aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKE"),
        ("aws-secret-key/no-context", "value = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        ("google-oauth-token", "ya29." + fit("FAKEexample0", 19)),
        ("slack-token", "xoxb-" + fit("12345678901-FA", 14)),
        ("slack-token/xoxz", "xoxz-123456789012-1234567890123-FAKE"),
        ("slack-app-token", "xapp-1-A0FAKE12345-1234567890123-"),
        ("discord-bot-token", "M" + fit("TFAKEexampleBOT0", 22) + ".GhFaKe." + fit("FAKEexample_sig-0", 30)),
        ("twilio-api-key", "SK" + fit("deadbeef", 31)),
        ("twilio-api-key/nonhex", "SK" + fit("deadbeeg", 32)),
        ("sendgrid-api-key", "SG." + fit("FAKEexampleKEY0", 21) + "." + fit("FAKEexample-KEY_0", 43)),
        ("mailgun-api-key", "key-" + fit("fakeexamplekey0", 31)),
        ("new-relic-api-key", "NRAK-" + fit("FAKEEXAMPLEKEY0", 26)),
        ("hugging-face-token", "hf_" + fit("FAKEexample0", 19)),
        ("databricks-token", "dapi" + fit("fakeexample0", 29)),
        ("replicate-api-token", "r8_" + fit("FAKEexample0", 19)),
        ("together-ai-key", "tok_" + fit("fakeexample0", 39)),
        ("pinecone-api-key", "pcsk_" + fit("FAKEexample0", 35)),
        ("pinecone-api-key/inner-underscore", "pcsk_FAKEexampl_" + fit("FAKEexample0", 36)),
        ("groq-api-key", "gsk_" + fit("FAKEexample0", 47)),
        ("xai-api-key", "xai-" + fit("FAKEexample-KEY_0", 79)),
        ("digitalocean-token", "dop_v1_" + fit("deadbeef", 63)),
        ("hashicorp-vault-token", "hvs." + fit("FAKEexample0", 22)),
        ("vercel-token", "vercel_" + fit("FAKEexample0", 23)),
        ("vercel-token/vcx", "vcx_" + fit("FAKEexample0", 30)),
        ("supabase-service-key", "sb_secret_" + fit("FAKEexample0", 19)),
        ("npm-token", "npm_" + fit("FAKEexample0", 35)),
        ("pypi-token", "pypi-" + fit("FAKEexample0", 15)),
        ("linear-api-key", "lin_api_" + fit("FAKEexample0", 39)),
        ("notion-api-key", "ntn_" + fit("FAKEexample0", 39)),
        ("sentry-auth-token", "sntrys_" + fit("FAKEexample0", 39)),
        ("private-key-header/public", "-----BEGIN PUBLIC KEY-----"),
        ("private-key-header/certificate", "-----BEGIN CERTIFICATE-----"),
        ("private-key-header/encrypted", "-----BEGIN ENCRYPTED PRIVATE KEY-----"),
        ("private-key-header/pgp", "-----BEGIN PGP PRIVATE KEY BLOCK-----"),
        ("private-key-header/rsa-public", "-----BEGIN RSA PUBLIC KEY-----"),
        ("jwt-token/short-segment", "eyJhbGciOiJ.eyJzdWIiOiJmYWtlIn0.FAKEsignatureNOTreal"),
        ("jwt-token/empty-signature", JWT.rsplit(".", 1)[0] + "."),
        ("jwt-token/short-signature", JWT.rsplit(".", 1)[0] + ".abcdefghi"),
        ("extended-private-key", XPRV[:110]),
        ("extended-private-key/xpub", "xpub" + XPRV[4:]),
        ("ethereum-private-key/65-hex", "0x" + "deadbeef" * 8 + "a"),
        ("ethereum-private-key/63-hex", "0x" + fit("deadbeef", 63)),
        ("ethereum-private-key/address", "0x" + fit("deadbeef", 40)),
        ("social-security-number/longer-run", "9123-45-67890"),
        ("social-security-number/grouping", "1234-56-789"),
        ("google-oauth-client-id", "123456789012-" + fit("fakeexampleclientid0", 31) + ".apps.googleusercontent.com"),
        ("credential-in-url/short-value", "?password=abc"),
        ("credential-in-url/mid-text", "the password=hunter2hunter2 was wrong"),
        ("credential-in-url/plural", "?passwords=hunter2hunter2"),
        ("environment-variable-secret/max-tokens", "MAX_TOKENS=12345678"),
        ("environment-variable-secret/token-bucket", "FOO_TOKEN_BUCKET=abcdefghij"),
        ("environment-variable-secret/short-value", "API_TOKEN=abc1234"),
        ("environment-variable-secret/no-separator", "APITOKEN=abcdefghijkl"),
        ("environment-variable-secret/mixed-case", "Db_Password=abcdefghijkl"),
    ]
    for tag, v in nm:
        cid = ("%s/nearmiss/text" % tag) if "/" not in tag else ("%s/nearmiss-%s/text" % tuple(tag.split("/", 1)))
        if v.startswith("?") or v.startswith("the ") or re.match(r"[A-Z][A-Za-z_]*=", v):
            txt = v
        else:
            txt = "value %s end" % v
        add(cid, "text", txt, "allow", note="near miss: " + tag)
    # a few near misses as URLs (low-entropy fillers so no entropy block)
    for tag, v in [("github-token", "ghp_" + fit("EXAMPLE0", 35)), ("aws-access-id", "AKIA" + fit("EXAMPLE0", 15)),
                   ("stripe-key/pk-live", "pk_live_" + fit("EXAMPLE0", 24)), ("openai-api-key", "sk-proj-" + fit("EXAMPLE", 9)),
                   ("ethereum-private-key/65-hex", "0x" + "deadbeef" * 8 + "a")]:
        add((("%s/nearmiss/url-query" % tag) if "/" not in tag else ("%s/nearmiss-%s/url-query" % tuple(tag.split("/", 1)))), "url", "%s?q=%s" % (API, v), "allow", note="near miss in a query value")
    add("social-security-number/nearmiss/text-in-digit-run", "text", "tracking 1123-45-67891 ok", "allow",
        note="SSN-like inside a longer digit run")


# ---------------------------------------------------------------------------
# Host cases
# ---------------------------------------------------------------------------

def gen_host():
    add("aws-access-id/raw/url-host-label", "url", "https://akiaiosfodnn7example.attacker.example/", "block",
        "core_dlp", "AWS Access ID", "whole key as one (lower-cased) host label; (?i) matches")
    add("aws-access-id/dotsplit/url-host", "url", "https://akia.iosfodnn7example.attacker.example/", "block",
        "core_dlp", "AWS Access ID", "split across labels: host-without-dots target glues it (no trailing boundary needed)")
    add("anthropic-api-key/dotsplit/url-host", "url", "https://sk-ant-api03.fakeexample.attacker.com/", "block",
        "dlp", "Anthropic API Key", "dot-collapsed host = sk-ant-api03fakeexampleattackercom")
    add("anthropic-api-key/doc-claim/url-host", "url", "https://sk-ant.api03.AABBCCDD.EEFFGGHH.attacker.com/",
        "allow", note="doc claim (attacks-blocked.md) does not hold: dot-collapse yields sk-antapi03... without the "
        "dash; labels are 8 chars with 4 distinct symbols (entropy 2.0)")
    add("slack-token/raw/url-host-label", "url", "https://xoxb-123456789012-fakeexample.attacker.example/", "block",
        "core_dlp", "Slack Token", "Slack token as a host label")
    add("gitlab-pat/raw/url-host-label", "url", "https://glpat-fakeexample-token-x1.attacker.example/", "block",
        "core_dlp", "GitLab PAT", "GitLab PAT as a host label")
    add("github-token/raw/url-userinfo", "url", "https://x:%s@api.example.com/" % SECRETS["GitHub Token"], "block",
        "core_dlp", "GitHub Token", "token in userinfo (full-URL target)")


# ---------------------------------------------------------------------------
# URL-level checks
# ---------------------------------------------------------------------------

def gen_urlchecks():
    A = add
    for i, (u, note) in enumerate([
            ("ftp://example.com/file.txt", "ftp"), ("file:///etc/passwd", "file"), ("gopher://example.com:70/1", "gopher"),
            ("javascript:alert(1)", "javascript (opaque)"), ("data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "data"),
            ("ws://example.com/socket", "ws is not http/https in the URL scanner"), ("wss://example.com/socket", "wss"),
            ("dict://example.com:2628/d:word", "dict"), ("FTP://EXAMPLE.COM/", "scheme lower-cased then compared"),
            ("ldap://example.com/dc=example", "ldap"), ("mailto:someone@example.com", "mailto")]):
        A("scheme/%02d" % i, "url", u, "block", "scheme", None, note)
    A("scheme/upper-http-allowed", "url", "HTTPS://Example.COM/Index.html", "allow", note="scheme and host lower-cased")
    for i, (u, note) in enumerate([
            ("https://example.com/a%0d%0aSet-Cookie:x=1", "%0d%0a in path"),
            ("https://example.com/?q=a%0ab", "%0a alone in a query value (legit encoded newlines are blocked too)"),
            ("https://example.com/?q=a%0Db", "%0D upper-case"),
            ("https://example.com/%250d%250aX-Injected:1", "double-encoded %250d%250a"),
            ("https://example.com/?x=%250a", "%250a alone"),
            ("https://example.com/a%0D%0Ab", "upper-case %0D%0A")]):
        A("crlf/%02d" % i, "url", u, "block", "crlf_injection", None, note)
    A("crlf/fragment-only-allowed", "url", "https://example.com/page#%0d%0a", "allow",
      note="CRLF check runs on the URL without its fragment")
    A("crlf/raw-crlf-parser", "url", "https://example.com/a\r\nX: y", "block", "parser", None,
      "raw CR/LF: Go's url.Parse rejects control characters before the CRLF check runs (§12 step 1)")
    for i, (u, note) in enumerate([
            ("https://example.com/a/../etc/passwd", "/../"), ("https://example.com/a/%2e%2e/etc/passwd", "/%2e%2e/"),
            ("https://example.com/a/.%2e/etc/passwd", "/.%2e/"), ("https://example.com/a/%2e./etc/passwd", "/%2e./"),
            ("https://example.com/a/%252e%252e/etc/passwd", "double-encoded /%252e%252e/"),
            ("https://example.com/a/..", "trailing /.."), ("https://example.com/a/%2E%2E/b", "upper-case %2E%2E"),
            ("https://example.com/a/..%2fetc", "right separator %2f"), ("https://example.com/a%5c..%5cwin.ini", "%5c separators"),
            ("https://example.com/a/%252e%252e%252fetc", "/%252e%252e%252f"), ("https://example.com/a/%252e%252e", "trailing /%252e%252e"),
            ("https://example.com/..", "path is just /..")]):
        A("traversal/%02d" % i, "url", u, "block", "path_traversal", None, note)
    for i, (u, note) in enumerate([
            ("https://example.com/search?p=../x", "traversal in the query is not checked"),
            ("https://example.com/a..b/c", "dots not bounded by separators"),
            ("https://example.com/files/archive..tar.gz", "double dot inside a file name"),
            ("https://example.com/a/.../b", "three dots: '..' is not bounded by separators on both sides"),
            ("https://example.com/a/./b", "single dot segment"),
            ("https://example.com/v1.2..3/x", "'..' inside a version-like segment")]):
        A("traversal/allow-%02d" % i, "url", u, "allow", note=note)
    for i, (u, note) in enumerate([
            ("https://pastebin.com/raw/x", "apex matches *.pastebin.com"), ("https://www.pastebin.com/", "subdomain"),
            ("https://PASTEBIN.COM./", "case and trailing dot"), ("https://hastebin.com/share/abc", "hastebin"),
            ("https://paste.ee/p/abc", "paste.ee"), ("https://transfer.sh/abc/file.txt", "transfer.sh"),
            ("https://file.io/abc", "file.io"), ("https://en.requestbin.com/r/abc", "requestbin subdomain"),
            ("https://a.b.c.pastebin.com/x", "any depth"), ("http://pastebin.com:8080/x", "port ignored")]):
        A("blocklist/%02d" % i, "url", u, "block", "blocklist", None, note)
    for i, (u, note) in enumerate([
            ("https://notpastebin.com/raw/x", "suffix match is on a label boundary"),
            ("https://pastebin.com.example.org/", "blocked name as a prefix of another domain"),
            ("https://example.com/pastebin.com/raw", "blocked name in the path"),
            ("https://example.com/?u=https://pastebin.com/raw/x", "blocked name in a query value"),
            ("https://file.io.example.net/x", "file.io as a subdomain of another domain")]):
        A("blocklist/allow-%02d" % i, "url", u, "allow", note=note)
    for i, (u, note) in enumerate([
            ("https://exa mple.com/", "space in host"), ("https://example.com/%zz", "invalid escape in path"),
            ("https://example.com:abc/", "non-numeric port"), ("https://example.com/a%2", "truncated escape")]):
        A("parser/%02d" % i, "url", u, "block", "parser", None, note)
    # length
    base = "https://example.com/"
    body = "a/" * 1100
    u2048 = (base + body)[:2048]
    u2049 = (base + body)[:2049]
    assert len(u2048) == 2048 and len(u2049) == 2049
    A("length/2048-allowed", "url", u2048, "allow", note="exactly 2048 bytes passes (strict >)")
    A("length/2049-blocked", "url", u2049, "block", "length", None, "2049 bytes")
    A("length/query-2049", "url", (base + "?q=" + "ab" * 1100)[:2049], "block", "length", None,
      "long low-entropy query value")
    # entropy
    rng = random.Random(SEED + 4)
    for k in range(3):
        while True:
            seg = base64.urlsafe_b64encode(bytes(rng.randrange(256) for _ in range(48))).decode()
            if entropy(seg) > 4.5:
                break
        A("entropy/path-b64-48-%d" % k, "url", "https://cdn.example.com/u/%s/x.png" % seg, "block", "entropy", None,
          "path segment = base64url of 48 random bytes, H=%.4f > 4.5" % entropy(seg))
        A("entropy/query-b64-48-%d" % k, "url", "https://cdn.example.com/u?d=%s" % seg, "block", "entropy", None,
          "query value = base64url of 48 random bytes, H=%.4f > 4.5" % entropy(seg))
    alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    seg23 = "".join(rng.sample(alnum, 23))
    A("entropy/path-23-distinct", "url", "https://example.com/%s" % seg23, "block", "entropy", None,
      "23 distinct chars, H=log2(23)=%.4f > 4.5" % entropy(seg23))
    seg22 = "".join(rng.sample(alnum, 22))
    A("entropy/path-22-distinct", "url", "https://example.com/%s" % seg22, "allow",
      note="22 distinct chars, H=log2(22)=%.4f <= 4.5" % entropy(seg22))
    syms = rng.sample(alnum, 24)
    seg32 = list(syms[:8] * 2 + syms[8:24])
    rng.shuffle(seg32)
    seg32 = "".join(seg32)
    assert abs(entropy(seg32) - 4.5) < 1e-12
    A("entropy/path-exactly-4.5", "url", "https://example.com/x/%s" % seg32, "allow",
      note="boundary: 8 symbols x2 + 16 symbols x1 over 32 chars -> H = 4.5 exactly (power-of-two "
      "probabilities, exact in floating point); comparison is strict >")
    A("entropy/query-key", "url", "https://example.com/x?%s=1" % seg23, "block", "entropy", None,
      "query keys are checked too, H=%.4f" % entropy(seg23))
    # subdomain
    lower36 = "abcdefghijklmnopqrstuvwxyz0123456789"
    for k in range(3):
        while True:
            lab = "".join(rng.choice(lower36) for _ in range(24 + 4 * k))
            if len(set(lab)) >= 17 and entropy(lab) > 4.0:
                break
        A("subdomain-entropy/random-%d" % k, "url", "https://%s.attacker.com/" % lab, "block", "subdomain_entropy",
          None, "label of %d chars, %d distinct, H=%.4f > 4.0" % (len(lab), len(set(lab)), entropy(lab)))
    lab17 = "".join(rng.sample(lower36, 17))
    A("subdomain-entropy/17-distinct", "url", "https://%s.attacker.com/" % lab17, "block", "subdomain_entropy", None,
      "17 distinct chars, H=log2(17)=%.4f > 4.0" % entropy(lab17))
    lab16 = "".join(rng.sample(lower36, 16))
    A("subdomain-entropy/16-distinct", "url", "https://%s.attacker.com/" % lab16, "allow",
      note="16 distinct chars: H = 4.0 exactly, not > 4.0")
    hexlab = "".join(rng.choice("0123456789abcdef") for _ in range(40))
    A("subdomain-entropy/hex-40", "url", "https://%s.attacker.com/" % hexlab, "allow",
      note="hex label tops out at 4.0 (H=%.4f)" % entropy(hexlab))
    lab_upper = "".join(rng.sample(lower36, 20)).upper()
    A("subdomain-entropy/upper-case", "url", "https://%s.evil.co.uk/" % lab_upper, "block", "subdomain_entropy", None,
      "host is lower-cased first; 'evil' is also checked (no PSL) but is short; H=%.4f" % entropy(lab_upper.lower()))
    A("subdomain-entropy/last-two-skipped", "url", "https://example.%s.com/" % lab17, "allow",
      note="the last two labels are never checked (label %s is second to last)" % lab17)
    A("subdomain-entropy/ip-literal", "url", "https://203.0.113.7/", "allow", note="IP literal, no DNS in these tests")
    # order
    A("order/scheme-before-blocklist", "url", "ftp://pastebin.com/", "block", "scheme", None, "scheme first")
    A("order/blocklist-before-dlp", "url", "https://pastebin.com/?k=%s" % SECRETS["AWS Access ID"], "block",
      "blocklist", None, "blocklist precedes DLP")
    longu = "https://example.com/" + "a/" * 1100 + "?k=" + SECRETS["AWS Access ID"]
    A("order/dlp-before-length", "url", longu, "block", "core_dlp", "AWS Access ID",
      "too long (%d bytes) and contains a key: DLP precedes the length check" % len(longu))
    A("order/crlf-before-traversal", "url", "https://example.com/%0d%0a/../x", "block", "crlf_injection", None,
      "CRLF check precedes traversal")
    A("order/traversal-before-blocklist", "url", "https://pastebin.com/a/../b", "block", "path_traversal", None,
      "traversal precedes blocklist")
    A("order/dlp-before-entropy", "url", "https://example.com/u?d=%s&k=%s" % (seg23, SECRETS["Stripe Key"]),
      "block", "dlp", "Stripe Key", "DLP precedes entropy")
    A("order/core-before-standard", "url", "%s?a=%s&b=%s" % (API, SECRETS["GitHub Token"], SECRETS["Stripe Key"]),
      "block", "core_dlp", "GitHub Token", "core tier runs over all targets before the standard tier")
    A("order/entropy-before-subdomain", "url", "https://%s.attacker.com/%s" % (lab17, seg23), "block", "entropy", None,
      "path entropy precedes subdomain entropy")
    A("order/scheme-before-crlf", "url", "gopher://example.com/_%0d%0aINFO", "block", "scheme", None,
      "scheme precedes CRLF")


# ---------------------------------------------------------------------------
# False-positive suite
# ---------------------------------------------------------------------------

def hexs(rng, n):
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def b64s(rng, nbytes):
    return base64.b64encode(bytes(rng.randrange(256) for _ in range(nbytes))).decode()


def fp(cid, surface, inp, note):
    """Realistic benign input: allow if the reference allows it, else record a reference FP."""
    sc, hits, detail = model(surface, inp)
    if sc is None:
        add("fp/" + cid, surface, inp, "allow", note=note)
    else:
        pat = hits[0] if len(hits) == 1 else None
        add("reffp/" + cid, surface, inp, "block", sc, pat,
            "REFERENCE FALSE POSITIVE: %s; blocked by %s %s %s" % (note, sc, ",".join(hits), detail),
            dest=REF_FP)


NPM = [("react", "18.3.1"), ("lodash", "4.17.21"), ("express", "4.19.2"), ("@babel/core", "7.24.5"),
       ("typescript", "5.4.5"), ("@types/node", "20.12.7"), ("webpack", "5.91.0"), ("eslint", "9.2.0"),
       ("vite", "5.2.11"), ("@angular/core", "17.3.8"), ("next", "14.2.3"), ("axios", "1.6.8"),
       ("chalk", "5.3.0"), ("commander", "12.0.0"), ("uuid", "9.0.1"), ("zod", "3.23.8"),
       ("@aws-sdk/client-s3", "3.574.0"), ("prettier", "3.2.5"), ("jest", "29.7.0"), ("esbuild", "0.21.2")]
PYPI = [("requests", "2.31.0"), ("numpy", "1.26.4"), ("urllib3", "2.2.1"), ("certifi", "2024.2.2"),
        ("charset_normalizer", "3.3.2"), ("idna", "3.7"), ("pydantic", "2.7.1"), ("fastapi", "0.111.0"),
        ("boto3", "1.34.103"), ("torch", "2.3.0"), ("pandas", "2.2.2"), ("setuptools", "69.5.1"),
        ("typing_extensions", "4.11.0"), ("packaging", "24.0"), ("cryptography", "42.0.7")]
CRATES = [("serde", "1.0.201"), ("tokio", "1.37.0"), ("rand", "0.8.5"), ("syn", "2.0.61"), ("clap", "4.5.4"),
          ("regex", "1.10.4"), ("anyhow", "1.0.83"), ("hyper", "1.3.1"), ("reqwest", "0.12.4"), ("log", "0.4.21")]
GOMODS = [("github.com/spf13/cobra", "v1.8.0"), ("golang.org/x/net", "v0.25.0"), ("github.com/stretchr/testify", "v1.9.0"),
          ("google.golang.org/grpc", "v1.63.2"), ("github.com/!burnt!sushi/toml", "v1.3.2"), ("gopkg.in/yaml.v3", "v3.0.1"),
          ("github.com/prometheus/client_golang", "v1.19.1"), ("k8s.io/apimachinery", "v0.30.0")]
DEBS = [("c/curl", "curl_7.88.1-10+deb12u5_amd64.deb"), ("o/openssl", "libssl3_3.0.11-1~deb12u2_amd64.deb"),
        ("p/python3.11", "python3.11_3.11.2-6_amd64.deb"), ("g/glibc", "libc6_2.36-9+deb12u7_arm64.deb"),
        ("n/nginx", "nginx_1.22.1-9_all.deb"), ("libz/libzstd", "libzstd1_1.5.4+dfsg2-5_amd64.deb"),
        ("s/systemd", "systemd_252.22-1~deb12u1_amd64.deb"), ("v/vim", "vim_9.0.1378-2_amd64.deb")]
MAVEN = [("org/apache/commons/commons-lang3", "3.14.0"), ("com/google/guava/guava", "33.2.0-jre"),
         ("org/slf4j/slf4j-api", "2.0.13"), ("com/fasterxml/jackson/core/jackson-databind", "2.17.1"),
         ("org/springframework/spring-core", "6.1.6"), ("junit/junit", "4.13.2")]
REPOS = [("torvalds", "linux"), ("rust-lang", "rust"), ("golang", "go"), ("python", "cpython"),
         ("microsoft", "vscode"), ("kubernetes", "kubernetes"), ("nodejs", "node"), ("curl", "curl"),
         ("openssl", "openssl"), ("facebook", "react")]
SEARCHES = ["how to parse json in c", "python asyncio gather vs wait", "rust borrow checker explained",
            "best pizza near me", "weather berlin tomorrow", "convert epoch 1700000000 to date",
            "git rebase interactive squash", "docker compose healthcheck example", "что такое replication lag",
            "東京 天気", "café crème recette", "kubernetes pod pending reason", "sql left join vs inner join",
            "difference between tcp and udp", "how many ounces in a cup", "linux find files larger than 1gb"]


def gen_fp_urls():
    rng = random.Random(SEED + 5)
    for i, (pkg, ver) in enumerate(NPM):
        short = pkg.split("/")[-1]
        fp("npm/tarball-%02d" % i, "url", "https://registry.npmjs.org/%s/-/%s-%s.tgz" % (pkg, short, ver), "npm tarball")
        fp("npm/meta-%02d" % i, "url", "https://registry.npmjs.org/%s" % pkg.replace("/", "%2f"), "npm package metadata")
        fp("npm/jsdelivr-%02d" % i, "url", "https://cdn.jsdelivr.net/npm/%s@%s/package.json" % (pkg, ver), "jsdelivr")
        fp("npm/unpkg-%02d" % i, "url", "https://unpkg.com/%s@%s/dist/index.js" % (pkg, ver), "unpkg")
    for i, (pkg, ver) in enumerate(PYPI):
        h = hexs(rng, 64)
        fp("pypi/file-%02d" % i, "url", "https://files.pythonhosted.org/packages/%s/%s/%s/%s-%s.tar.gz" % (
            h[:2], h[2:4], h[4:], pkg, ver), "pythonhosted sdist with its 60-hex directory")
        fp("pypi/wheel-%02d" % i, "url", "https://files.pythonhosted.org/packages/%s/%s/%s/%s-%s-py3-none-any.whl#sha256=%s" % (
            h[:2], h[2:4], h[4:], pkg, ver, hexs(rng, 64)), "wheel with sha256 fragment")
        fp("pypi/simple-%02d" % i, "url", "https://pypi.org/simple/%s/" % pkg.replace("_", "-"), "simple index")
        fp("pypi/json-%02d" % i, "url", "https://pypi.org/pypi/%s/%s/json" % (pkg, ver), "JSON API")
    for i, (c, v) in enumerate(CRATES):
        fp("crates/dl-%02d" % i, "url", "https://static.crates.io/crates/%s/%s-%s.crate" % (c, c, v), "crate download")
        fp("crates/api-%02d" % i, "url", "https://crates.io/api/v1/crates/%s/%s/download" % (c, v), "crates.io API")
        fp("crates/index-%02d" % i, "url", "https://index.crates.io/%s/%s/%s" % (c[:2], c[2:4] or c, c) if len(c) > 3
           else "https://index.crates.io/3/%s/%s" % (c[0], c), "sparse index")
    for i, (m, v) in enumerate(GOMODS):
        fp("goproxy/info-%02d" % i, "url", "https://proxy.golang.org/%s/@v/%s.info" % (m, v), "go module info")
        fp("goproxy/zip-%02d" % i, "url", "https://proxy.golang.org/%s/@v/%s.zip" % (m, v), "go module zip")
        fp("goproxy/list-%02d" % i, "url", "https://proxy.golang.org/%s/@v/list" % m, "go module list")
        fp("gosum/lookup-%02d" % i, "url", "https://sum.golang.org/lookup/%s@%s" % (m, v), "checksum db")
    for i, (d, f) in enumerate(DEBS):
        fp("debian/pool-%02d" % i, "url", "https://deb.debian.org/debian/pool/main/%s/%s" % (d, f), "Debian pool")
    fp("debian/inrelease", "url", "https://deb.debian.org/debian/dists/bookworm/InRelease", "Debian InRelease")
    fp("debian/by-hash", "url", "https://deb.debian.org/debian/dists/bookworm/main/binary-amd64/by-hash/SHA256/%s" % hexs(rng, 64),
       "apt by-hash")
    fp("debian/security", "url", "http://security.debian.org/debian-security/dists/bookworm-security/main/i18n/Translation-en.bz2", "security mirror")
    for i, (g, v) in enumerate(MAVEN):
        a = g.split("/")[-1]
        fp("maven/jar-%02d" % i, "url", "https://repo1.maven.org/maven2/%s/%s/%s-%s.jar" % (g, v, a, v), "Maven jar")
        fp("maven/pom-%02d" % i, "url", "https://repo.maven.apache.org/maven2/%s/%s/%s-%s.pom.sha1" % (g, v, a, v), "pom sha1")
    for i, (o, r) in enumerate(REPOS):
        sha = hexs(rng, 40)
        fp("github/raw-%02d" % i, "url", "https://raw.githubusercontent.com/%s/%s/%s/README.md" % (o, r, sha), "raw at 40-hex sha")
        fp("github/codeload-%02d" % i, "url", "https://codeload.github.com/%s/%s/tar.gz/%s" % (o, r, sha), "codeload")
        fp("github/release-%02d" % i, "url", "https://github.com/%s/%s/releases/download/v1.%d.0/%s-v1.%d.0-x86_64-unknown-linux-gnu.tar.gz" % (o, r, i, r, i), "release asset")
        fp("github/commit-%02d" % i, "url", "https://github.com/%s/%s/commit/%s" % (o, r, sha), "commit page")
        fp("github/api-commit-%02d" % i, "url", "https://api.github.com/repos/%s/%s/commits/%s" % (o, r, sha), "API commit")
        fp("github/api-pulls-%02d" % i, "url", "https://api.github.com/repos/%s/%s/pulls?state=open&per_page=100&page=%d" % (o, r, i + 1), "API pulls")
        fp("github/api-issues-%02d" % i, "url", "https://api.github.com/repos/%s/%s/issues?labels=bug,help%%20wanted&sort=updated&direction=desc" % (o, r), "API issues")
        fp("github/archive-%02d" % i, "url", "https://github.com/%s/%s/archive/refs/tags/v2.%d.1.zip" % (o, r, i), "tag archive")
        fp("github/blob-%02d" % i, "url", "https://github.com/%s/%s/blob/main/src/main.c#L%d-L%d" % (o, r, 10 + i, 40 + i), "blob with line anchor")
        fp("github/sha256-%02d" % i, "url", "https://objects.githubusercontent.com/github-production-release-asset-2e65be/%d/%s" % (
            100000 + i * 7919, str_uuid(rng)), "release asset object store")
    for i, s in enumerate(SEARCHES):
        fp("search/google-%02d" % i, "url", "https://www.google.com/search?q=%s&hl=en&num=10" % urllib.parse.quote_plus(s), "search query")
        fp("search/ddg-%02d" % i, "url", "https://duckduckgo.com/?q=%s&ia=web" % urllib.parse.quote(s), "search with %20")
    for i, u in enumerate([
            "https://www.googleapis.com/youtube/v3/search?part=snippet&q=rust+tutorial&maxResults=25&type=video",
            "https://www.googleapis.com/storage/v1/b/my-bucket/o?prefix=logs%2F2024%2F05%2F&maxResults=1000",
            "https://www.googleapis.com/drive/v3/files?pageSize=100&fields=nextPageToken,files(id,name)",
            "https://sheets.googleapis.com/v4/spreadsheets/1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms/values/Sheet1!A1:D10",
            "https://maps.googleapis.com/maps/api/geocode/json?address=1600+Amphitheatre+Parkway,+Mountain+View,+CA",
            "https://translation.googleapis.com/language/translate/v2?q=hello%20world&target=de&format=text",
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-1.5-flash:generateContent",
            "https://api.openai.com/v1/chat/completions", "https://api.anthropic.com/v1/messages",
            "https://api.stripe.com/v1/charges?limit=10&created[gte]=1700000000",
            "https://api.slack.com/methods/chat.postMessage", "https://slack.com/api/conversations.history?channel=C024BE91L&limit=200",
            "https://discord.com/api/v10/channels/1234567890123456789/messages?limit=50",
            "https://api.twitter.com/2/tweets/search/recent?query=from%3Atwitterdev%20-is%3Aretweet&max_results=10",
            "https://graph.microsoft.com/v1.0/me/messages?$top=10&$select=subject,from,receivedDateTime",
            "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=00000000-0000-0000-0000-000000000000&response_type=code&scope=openid%20profile",
            "https://api.weather.gov/points/39.7456,-97.0892", "https://api.open-meteo.com/v1/forecast?latitude=52.52&longitude=13.41&hourly=temperature_2m",
            "https://en.wikipedia.org/wiki/Shannon_entropy", "https://de.wikipedia.org/wiki/M%C3%BCnchen",
            "https://ja.wikipedia.org/wiki/%E6%9D%B1%E4%BA%AC%E9%83%BD", "https://ru.wikipedia.org/wiki/%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0",
            "https://en.wikipedia.org/w/index.php?title=Special:Search&search=base64+encoding",
            "https://stackoverflow.com/questions/2675133/c-sharp-uuid-to-string/2675150#2675150",
            "https://docs.python.org/3/library/urllib.parse.html#urllib.parse.quote",
            "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Content-Security-Policy",
            "https://man7.org/linux/man-pages/man2/openat.2.html", "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.5",
            "https://news.ycombinator.com/item?id=40212345", "https://www.reddit.com/r/rust/comments/1cj2k3l/async_drop/?utm_source=share&utm_medium=web2x&context=3",
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s", "https://youtu.be/dQw4w9WgXcQ?si=abcDEF123",
            "https://www.amazon.com/dp/B08N5WRWNW/ref=sr_1_3?keywords=usb+c+cable&qid=1700000000&sr=8-3",
            "https://www.example-shop.com/products/blue-shirt?variant=40123456789012&utm_source=newsletter&utm_medium=email&utm_campaign=spring_sale_2024",
            "https://example.com/articles?page=3&per_page=20&sort=-published_at&filter[tag]=security",
            "https://api.example.com/v2/items?cursor=eyJpZCI6MTIzfQ&limit=50",
            "https://api.example.com/v2/items?after=c2Vjb25kLXBhZ2U&limit=25",
            "https://hooks.example.com/services/build/status?state=success&run=4711",
            "https://auth.example.com/oauth/authorize?response_type=code&client_id=my-cli-app&redirect_uri=http%3A%2F%2F127.0.0.1%3A8976%2Fcallback&state=af0ifjsldkj&scope=read%20write",
            "https://registry-1.docker.io/v2/library/nginx/manifests/1.25-alpine",
            "https://ghcr.io/v2/owner/image/blobs/sha256:%s" % hexs(rng, 64),
            "https://quay.io/api/v1/repository/coreos/etcd/tag/?limit=100&page=1&onlyActiveTags=true",
            "https://dl.google.com/go/go1.22.3.linux-amd64.tar.gz", "https://nodejs.org/dist/v20.13.1/node-v20.13.1-linux-x64.tar.xz",
            "https://static.rust-lang.org/dist/2024-05-02/rust-1.78.0-x86_64-unknown-linux-gnu.tar.xz",
            "https://download.docker.com/linux/debian/dists/bookworm/stable/binary-amd64/Packages",
            "https://objects.githubusercontent.com/github-production-release-asset-2e65be/12345678/abcd",
            "https://api.github.com/search/code?q=addClass+in:file+language:js+repo:jquery/jquery",
            "https://api.github.com/users/octocat/repos?type=owner&sort=updated&per_page=30",
            "https://api.github.com/repos/octocat/hello-world/git/trees/main?recursive=1",
            "http://203.0.113.7:8080/health", "http://[2001:db8::1]:8080/status", "https://93.184.215.14/",
            "https://example.com/calendar/2024-05-17/events?tz=Europe%2FBerlin",
            "https://example.com/tel/+1-415-555-2671", "https://example.com/isbn/978-3-16-148410-0",
            "https://example.com/orders/1700000000000/receipt.pdf",
            "https://example.com/download?file=report_2024_Q1_final_v2.xlsx&inline=false",
            "https://fonts.googleapis.com/css2?family=Inter:wght@400;700&display=swap",
            "https://fonts.gstatic.com/s/inter/v13/UcCO3FwrK3iLTeHuS_fvQtMwCp50KnMw2boKoduKmMEVuLyfAZ9hiA.woff2",
            "https://www.gravatar.com/avatar/205e460b479e2e5b48aec07710c08d50?s=200&d=identicon",
            "https://secure.gravatar.com/avatar/%s?s=64" % hexs(rng, 32),
            "https://api.example.com/v1/users/me/preferences?lang=de-DE&theme=dark&density=compact",
            ]):
        fp("api/%02d" % i, "url", u, "ordinary API / web URL")
    for i in range(20):
        uid = str_uuid(rng)
        fp("uuid/path-%02d" % i, "url", "https://api.example.com/v1/projects/%s/runs/%s" % (uid, str_uuid(rng)), "UUIDs in the path")
        fp("uuid/query-%02d" % i, "url", "https://api.example.com/v1/events?session=%s&request_id=%s" % (uid, str_uuid(rng)), "UUIDs in the query")
    for i in range(15):
        h = hexs(rng, 8)
        fp("cdn/cloudfront-%02d" % i, "url", "https://d%s.cloudfront.net/assets/app-%s.css" % (hexs(rng, 12), hexs(rng, 20)), "CloudFront content hash")
        fp("cdn/next-%02d" % i, "url", "https://www.example.com/_next/static/chunks/pages/_app-%s.js" % hexs(rng, 16), "Next.js chunk")
        fp("cdn/next-build-%02d" % i, "url", "https://www.example.com/_next/static/%s/_buildManifest.js" % ("".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") for _ in range(21))),
           "Next.js build id (21 chars)")
        fp("cdn/vite-%02d" % i, "url", "https://app.example.com/assets/index-%s.js" % "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8)),
           "Vite asset hash")
        fp("cdn/webpack-%02d" % i, "url", "https://static.example.com/js/main.%s.chunk.js" % h, "webpack chunk")
        fp("cdn/sha40-%02d" % i, "url", "https://cdn.example.com/builds/%s/bundle.min.js" % hexs(rng, 40), "40-hex build dir")
        fp("cdn/sha64-%02d" % i, "url", "https://cache.nixos.org/nar/%s.nar.xz" % hexs(rng, 64), "64-hex")
        fp("cdn/hexhost-%02d" % i, "url", "https://%s.r2.cloudflarestorage.com/bucket/key.bin" % hexs(rng, 32), "hex account id label (max 4.0 bits)")
    for i in range(12):
        a = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randrange(4, 9)))
        fp("misc/utm-%02d" % i, "url", "https://blog.example.org/posts/%s-%d?utm_source=twitter&utm_medium=social&utm_campaign=launch_week_%d&ref=%s" % (a, 2000 + i, i, a), "utm parameters")
        fp("misc/s3-%02d" % i, "url", "https://my-bucket-%d.s3.eu-west-1.amazonaws.com/uploads/2024/05/%s/photo_%04d.jpg" % (i, str_uuid(rng), i), "S3 path")


def str_uuid(rng):
    h = hexs(rng, 32)
    return "%s-%s-4%s-%s%s-%s" % (h[:8], h[8:12], h[13:16], rng.choice("89ab"), h[17:20], h[20:32])


PROSE = [
    "The meeting has been moved to Thursday at 3 pm; please update the calendar invite and let the team know.",
    "I tried to run the migration again, but it failed with a foreign key violation on the orders table.",
    "Can you summarize the attached article in three bullet points for the weekly newsletter?",
    "The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs.",
    "Our SLA guarantees 99.95% uptime per calendar month, measured at the load balancer.",
    "To reset your password, open Settings, choose Security, and follow the instructions on the screen.",
    "The API returns HTTP 429 when the rate limit is exceeded; clients should back off exponentially.",
    "Version 2.4.1 fixes a regression in the parser where trailing commas were rejected.",
    "Please rotate the deploy key before Friday and store the new one in the vault, not in the repo.",
    "The token bucket refills at 10 tokens per second with a burst size of 50.",
    "Der Zug nach München fährt um 14:35 Uhr von Gleis 7 ab.",
    "Le rendez-vous est confirmé pour le 12 juin à 10 h 30, au deuxième étage.",
    "東京の天気は明日晴れの予報です。気温は最高25度の見込みです。",
    "Встреча перенесена на понедельник, пожалуйста, подтвердите участие.",
    "El informe trimestral muestra un crecimiento del 12 % en ventas internacionales.",
    "Remember: the secret to a good sourdough is patience and a warm kitchen.",
    "She said the key insight was that caching the DNS results halved the latency.",
    "Use sk-learn's train_test_split with stratify=y to keep the class balance.",
    "Call me at +1 (415) 555-2671 or +44 20 7946 0958 if the build is still red.",
    "Order #100045872 shipped on 2024-05-17 via UPS, tracking 1Z999AA10123456784.",
    "ISBN 978-3-16-148410-0 and ISBN-10 0-306-40615-2 are both listed in the catalogue.",
    "The event timestamp was 1700000000000 ms (2023-11-14T22:13:20Z).",
    "Server listens on [2001:db8::1]:8443 and fe80::1ff:fe23:4567:890a%eth0 for link-local.",
    "Run `git log --oneline -n 5` and paste the output here.",
    "Invoice INV-2024-000123 totals EUR 1,234.56 and is due on 30 June 2024.",
    "The MAC address 00:1A:2B:3C:4D:5E belongs to the lab printer.",
    "Coordinates: 52.5200 N, 13.4050 E; elevation 34 m.",
    "Product SKU AB-1234-XY is back in stock in sizes S, M and L.",
    "Build 20240517.3 passed all 1,204 tests in 6 min 12 s.",
    "The password policy requires at least 12 characters, one digit and one symbol.",
]

CODE = [
    "def add(a, b):\n    return a + b\n\nprint(add(2, 3))\n",
    "for (int i = 0; i < n; i++) {\n    sum += values[i];\n}\n",
    "const res = await fetch(`https://api.example.com/v1/items?page=${page}`);\nconst data = await res.json();\n",
    "SELECT id, email, created_at FROM users WHERE created_at > NOW() - INTERVAL '7 days' ORDER BY id;",
    "#include <stdio.h>\nint main(void) { printf(\"hello, world\\n\"); return 0; }\n",
    "git commit -m \"fix: handle empty query strings in the router\"\n",
    "docker run --rm -p 8080:80 -v $(pwd)/site:/usr/share/nginx/html:ro nginx:1.25-alpine",
    "kubectl get pods -n kube-system -o wide --sort-by=.metadata.creationTimestamp",
    "curl -sSfL https://sh.rustup.rs | sh -s -- -y --default-toolchain stable",
    "import hashlib\nprint(hashlib.sha256(b'hello').hexdigest())\n",
    "fn main() {\n    let v: Vec<u32> = (1..=10).collect();\n    println!(\"{:?}\", v);\n}\n",
    "if err != nil {\n\treturn fmt.Errorf(\"open %s: %w\", path, err)\n}\n",
    "export PATH=\"$HOME/.cargo/bin:$PATH\"\nexport EDITOR=vim\n",
    "MAX_RETRIES=5\nTIMEOUT_SECONDS=30\nLOG_LEVEL=info\n",
    "export OPENAI_API_KEY=\"sk-...\"\n# set your key above",
    "const token = req.headers['authorization']?.split(' ')[1];",
    "password = getpass.getpass('Password: ')",
    "<script src=\"https://cdn.jsdelivr.net/npm/bootstrap@5.3.3/dist/js/bootstrap.bundle.min.js\"></script>",
    "# Requires: secret access key from the AWS console (never commit it)\n",
    "ssh-keygen -t ed25519 -C \"you@example.com\" -f ~/.ssh/id_ed25519",
]


def gen_fp_text():
    rng = random.Random(SEED + 6)
    for i, p in enumerate(PROSE):
        fp("text/prose-%02d" % i, "text", p, "ordinary prose")
    for i, c in enumerate(CODE):
        fp("text/code-%02d" % i, "text", c, "code snippet")
    prompts = ["Write a haiku about autumn leaves.", "Explain the difference between TCP and UDP.",
               "Translate 'good morning' into Japanese and Korean.", "What is the capital of Australia?",
               "Refactor this function to use a list comprehension: for x in xs: out.append(x*2)",
               "Give me three ideas for a team offsite in Lisbon.", "Summarize RFC 9110 section 15 in two sentences.",
               "List the prime numbers below 50.", "How do I center a div with CSS grid?",
               "Draft a polite reminder email about the overdue invoice."]
    for i, pr in enumerate(prompts):
        body = {"model": rng.choice(["gpt-4o", "claude-3-5-sonnet-20240620", "llama-3.1-70b"]),
                "messages": [{"role": "system", "content": "You are a helpful assistant."},
                             {"role": "user", "content": pr}],
                "temperature": round(rng.uniform(0, 1), 2), "max_tokens": rng.choice([256, 512, 1024]), "stream": True}
        fp("text/chat-body-%02d" % i, "text", json.dumps(body), "chat-completion request body")
    # package-lock integrity
    for i, (pkg, ver) in enumerate(NPM):
        integ = "sha512-" + b64s(rng, 64)
        frag = '    "node_modules/%s": {\n      "version": "%s",\n      "resolved": "https://registry.npmjs.org/%s/-/%s-%s.tgz",\n      "integrity": "%s",\n      "license": "MIT"\n    }' % (
            pkg, ver, pkg, pkg.split("/")[-1], ver, integ)
        fp("text/package-lock-%02d" % i, "text", frag, "package-lock.json entry with sha512 integrity")
    for i, (c, v) in enumerate(CRATES):
        frag = '[[package]]\nname = "%s"\nversion = "%s"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\nchecksum = "%s"\n' % (c, v, hexs(rng, 64))
        fp("text/cargo-lock-%02d" % i, "text", frag, "Cargo.lock entry")
    for i, (m, v) in enumerate(GOMODS):
        frag = "%s %s h1:%s\n%s %s/go.mod h1:%s\n" % (m, v, b64s(rng, 32), m, v, b64s(rng, 32))
        fp("text/go-sum-%02d" % i, "text", frag, "go.sum lines")
    for i, (p, v) in enumerate(PYPI):
        frag = '[[package]]\nname = "%s"\nversion = "%s"\nfiles = [\n    {file = "%s-%s.tar.gz", hash = "sha256:%s"},\n]\n' % (
            p, v, p, v, hexs(rng, 64))
        fp("text/poetry-lock-%02d" % i, "text", frag, "poetry.lock entry")
    # small PNG data URL inside JSON
    png = make_png(4, 4, rng)
    body = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "What colour is this image?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(png).decode()}}]}]})
    fp("text/png-data-url", "text", body, "JSON body with a tiny base64 PNG data: URL")
    # numbers
    nums = ["order id 1000458721 shipped", "phone +1 415 555 2671", "epoch 1700000000000",
            "ISBN 9783161484100", "date 2024-05-17T10:22:33Z", "version 1.26.4-rc.2+build.17",
            "IPv6 2001:0db8:85a3:0000:0000:8a2e:0370:7334", "IPv4 192.168.100.200 and 10.0.0.1",
            "ticket JIRA-12345 linked", "amount 1234567.89 USD", "semver ^4.17.21 || ~3.10.1",
            "sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709", "md5 d41d8cd98f00b204e9800998ecf8427e",
            "uuid 123e4567-e89b-12d3-a456-426614174000", "git 3f2a9c1 (HEAD -> main)",
            "EAN 4006381333931", "account 000123456789", "routing 021000021 (ABA is not a default pattern)",
            "part no. 12-3456-7890", "serial 5CG1234XYZ", "VIN 1HGCM82633A004352",
            "zip 94103-1234", "card ending in 4242", "duration 00:12:34.567", "port range 49152-65535"]
    for i, n in enumerate(nums):
        fp("text/number-%02d" % i, "text", n, "number-like string")
    for i in range(20):
        d = str(rng.choice([1, 7, 8, 9])) + "".join(str(rng.randrange(10)) for _ in range(15))
        fp("text/order16-%02d" % i, "text", "order %s confirmed" % d, "16-digit order id with a non-issuer first digit")
    for i in range(10):
        d = "4" + "".join(str(rng.randrange(10)) for _ in range(15))
        if luhn_ok(d):
            d = d[:-1] + str((int(d[-1]) + 1) % 10)
        fp("text/visa-like-%02d" % i, "text", "reference %s" % d, "16-digit id starting with 4 that fails Luhn")
    # JWT doc sample truncated
    fp("text/jwt-truncated", "text", "A JWT looks like eyJhbGciOi... followed by two more dot-separated parts.", "truncated JWT sample")
    fp("text/jwt-header-only", "text", "The header eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9 decodes to {\"alg\":\"HS256\"}.", "JWT header only (no dots)")
    # More templated prose with identifiers
    for i in range(30):
        uid = str_uuid(rng)
        sha = hexs(rng, 40)
        fp("text/ids-%02d" % i, "text", "Deployment %s of commit %s finished in %d s on node-%d." % (uid, sha, rng.randrange(30, 900), i),
           "UUIDs and SHAs in prose")
    # Reference FPs worth documenting (realistic inputs the reference blocks)
    fp("text/dotenv-example", "text", "# .env.example\nAPP_SECRET=changeme-in-production\nDEBUG=false\n", "placeholder in an .env template")
    fp("text/glued-lines", "text", "FOO_TOKEN=abc\nRETRIES=3\n", "newline deletion glues lines (§13)")
    fp("text/csrf-snippet", "text", "const CSRF_TOKEN = getCookie('csrftoken');", "JS constant assignment")
    fp("text/reset-link", "text", "Click https://accounts.example.com/reset?token=3f9c2a1b to reset your password.", "password-reset link in an email")
    fp("text/minified-js", "text", "var a=1;token=e.accessToken||null;", "minified JS")
    fp("text/query-log", "text", "GET /search?q=shoes&secret=false HTTP/1.1", "log line with a query parameter named secret")
    fp("text/disk-hex", "text", "mounted /dev/disk" + hexs(rng, 32) + " ok", "Twilio regex is sk+32 hex anywhere: 'disk' + hex")
    fp("text/api-doc-jwt", "text", "Example: Authorization: Bearer " + JWT.replace("FAKE", "doc"), "full JWT documentation sample")
    # BIP-39 is not modelled; recorded by hand (detection-facts §6 states this passes the checksum).
    REF_FP.append({"id": "reffp/text/word-repeated", "surface": "text", "input": " ".join(["word"] * 12),
                   "expect": "block", "scanner": "dlp", "pattern": None, "patterns_any": ["BIP-39 Seed Phrase"],
                   "note": "REFERENCE FALSE POSITIVE (not checked by the generator's model, which does not implement "
                           "BIP-39): 'word' x12 passes the BIP-39 checksum (detection-facts §6)"})


def make_png(w, h, rng):
    def chunk(t, d):
        return len(d).to_bytes(4, "big") + t + d + (zlib.crc32(t + d) & 0xFFFFFFFF).to_bytes(4, "big")
    raw = b"".join(b"\x00" + bytes(rng.randrange(256) for _ in range(3 * w)) for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", w.to_bytes(4, "big") + h.to_bytes(4, "big") + b"\x08\x02\x00\x00\x00")
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def gen_ref_fp_urls():
    rng = random.Random(SEED + 7)
    fp("url/verify-token", "url", "https://app.example.com/verify?token=abcd1234", "email-verification link")
    fp("url/api-key-param", "url", "https://maps.example.com/api/staticmap?center=Berlin&zoom=12&api_key=demo", "api_key=demo (4 chars)")
    fp("url/newline-param", "url", "https://example.com/notes?text=line1%0Aline2", "legitimately encoded newline")
    fp("url/desk-hex", "url", "https://help.example.com/desk/%s" % hexs(rng, 32), "path noise stripping glues 'desk' to a hex id")
    fp("url/long-b64-cursor", "url", "https://api.example.com/v1/items?cursor=%s" % base64.urlsafe_b64encode(bytes(rng.randrange(256) for _ in range(36))).decode(),
       "opaque 48-char pagination cursor")
    fp("url/s3-presigned", "url", "https://bucket.s3.amazonaws.com/k.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240517%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Expires=3600",
       "pre-signed S3 URL carries the access key id by design (AWS doc example id)")
    fp("url/random-subdomain", "url", "https://%s.preview.example.app/" % "".join(rng.sample("abcdefghijklmnopqrstuvwxyz0123456789", 20)),
       "preview-deployment host with a random 20-char label")


# ---------------------------------------------------------------------------

def main():
    gen_positives()
    gen_unicode()
    gen_cards()
    gen_iban()
    gen_wif()
    gen_nearmiss()
    gen_host()
    gen_urlchecks()
    gen_fp_urls()
    gen_fp_text()
    gen_ref_fp_urls()
    # schema self-check
    scanners = {"dlp", "core_dlp", "entropy", "subdomain_entropy", "scheme", "crlf_injection", "path_traversal",
                "blocklist", "length", "parser"}
    for rec in CASES + REF_FP:
        assert rec["surface"] in ("url", "text") and rec["expect"] in ("block", "allow"), rec
        if rec["expect"] == "allow":
            assert rec["scanner"] is None and rec["pattern"] is None, rec
        else:
            assert rec["scanner"] in scanners, rec
            if rec["scanner"] in ("dlp", "core_dlp"):
                assert (rec["pattern"] in ALL_NAMES) != ("patterns_any" in rec), rec
            else:
                assert rec["pattern"] is None and "patterns_any" not in rec, rec
    os.makedirs(OUT_DIR, exist_ok=True)
    for fn, lst in (("cases.jsonl", CASES), ("reference_fp.jsonl", REF_FP)):
        with open(os.path.join(OUT_DIR, fn), "w", encoding="utf-8", newline="\n") as f:
            for rec in lst:
                f.write(json.dumps(rec, ensure_ascii=False, sort_keys=False) + "\n")
    stats = {}
    for rec in CASES:
        k = (rec["surface"], rec["expect"], rec["scanner"] or "-")
        stats[k] = stats.get(k, 0) + 1
    print("cases.jsonl: %d cases, reference_fp.jsonl: %d cases, %d warnings" % (len(CASES), len(REF_FP), len(WARNINGS)))
    for k in sorted(stats):
        print("  %-5s %-6s %-18s %d" % (k[0], k[1], k[2], stats[k]))
    fps = sum(1 for r in CASES if r["id"].startswith("fp/"))
    print("  false-positive suite (fp/*): %d" % fps)


if __name__ == "__main__":
    main()
