"""The independent Python envelope implementation against the vectors and the Rust core.

(a) every vector in testdata/envelope-v1.json, using only sealvault_ref.py;
(b) cross-implementation both ways through `core/examples/interop.rs`.

The interop binary comes from $SEALVAULT_INTEROP_BIN, or is built with
`cargo build -q -p sealvault --example interop --features hazmat` into
$CARGO_TARGET_DIR (default <repo>/target).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import rfc8785

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sealvault_ref as sv  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "testdata" / "envelope-v1.json").read_text(encoding="utf-8"))
CASES = VECTORS["cases"]
SEALED_CASES = [c for c in CASES if "seal" in c]
H = bytes.fromhex

# Envelopes per direction for the cross-implementation tests.
N_INTEROP = 240
SEED = int(os.environ.get("SEALVAULT_INDEP_SEED", "20240601"))


def _open_case(case: dict) -> tuple[str, bytes | None]:
    env = H(case["envelope"])
    try:
        if case["open_with"] == "data_key":
            pt = sv.open(H(case["key"]["key_id"]), H(case["key"]["key"]), env, case["expected_context"])
        elif case["open_with"] == "envelope_key":
            pt = sv.open_with_envelope_key(H(case["envelope_key"]), env, case["expected_context"])
        else:
            raise AssertionError(f"unknown open_with {case['open_with']!r}")
    except sv.RefError as e:
        return e.code, None
    return "ok", pt


# ==========================================================================
# (a) vectors


def test_vector_file_shape():
    assert len(CASES) >= 40
    assert {c["open_with"] for c in CASES} == {"data_key", "envelope_key"}
    assert len({c["name"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_vector_open(case):
    code, pt = _open_case(case)
    assert code == case["expect"]
    if code == "ok":
        assert pt == H(case["plaintext"])


@pytest.mark.parametrize("case", SEALED_CASES, ids=[c["name"] for c in SEALED_CASES])
def test_vector_reseal_and_envelope_key(case):
    key_id, key = H(case["key"]["key_id"]), H(case["key"]["key"])
    s = case["seal"]
    env = sv.seal(key_id, key, H(s["plaintext"]), s["context"], salt=H(s["salt"]), nonce=H(s["nonce"]))
    assert env.hex() == case["envelope"]
    assert H(case["plaintext"]) == H(s["plaintext"])
    assert sv.envelope_key(key_id, key, env).hex() == case["envelope_key"]
    # the released envelope key opens it too, and the layout arithmetic holds
    assert sv.open_with_envelope_key(H(case["envelope_key"]), env, s["context"]) == H(s["plaintext"])
    ctx_len = len(sv.encode_context(s["context"]))
    assert len(env) == 114 + ctx_len + len(H(s["plaintext"]))


def test_vector_contexts():
    assert VECTORS["contexts"]
    for entry in VECTORS["contexts"]:
        assert sv.encode_context(entry["context"]).hex() == entry["encoded"]
        assert sv.decode_context(H(entry["encoded"])) == entry["context"]


def test_vector_state_keys():
    assert VECTORS["state_keys"]
    for entry in VECTORS["state_keys"]:
        dk = H(entry["key"]["key"])
        assert sv.state_key(dk, entry["user"], entry["item"]).hex() == entry["state_key"]
        assert entry["state_key_id"] == entry["key"]["key_id"]  # §1: carries its DK's id


def test_vector_config_hashes():
    assert VECTORS["config_hashes"]
    for entry in VECTORS["config_hashes"]:
        value = json.loads(entry["config_json"])
        assert rfc8785.dumps(value).decode("utf-8") == entry["canonical"]
        assert sv.config_hash(value) == entry["sha256"]
        assert hashlib.sha256(entry["canonical"].encode("utf-8")).hexdigest() == entry["sha256"]


def test_item_credential_vector_binds_config_hash():
    case = next(c for c in CASES if c["name"] == "item_credential")
    hashes = {e["sha256"] for e in VECTORS["config_hashes"]}
    assert case["seal"]["context"]["sv:config"] in hashes


def test_session_state_vector_uses_state_key():
    case = next(c for c in CASES if c["name"] == "item_session_state")
    sk = next(e for e in VECTORS["state_keys"] if (e["user"], e["item"]) == ("usr_1", "acme"))
    assert case["key"]["key"] == sk["state_key"]
    assert case["key"]["key_id"] == sk["key"]["key_id"]


# The numbers printed in FORMAT.md itself (§3, §8), independently of the vector file.


def test_format_md_section3_examples():
    assert sv.encode_context({"tenant": "t1"}).hex() == "000674656e616e7400027431"
    assert (
        sv.encode_context({"b": "", "a": "1", "B": "2", "é": "3"}).hex()
        == "00014200013200016100013100016200000002c3a9000133"
    )
    assert sv.encode_context({}) == b""


def test_format_md_section8_worked_example():
    k = H("07f433d5cde4ce7c73f1df305dcb78990e5daf8d0c3e580a6826ac851147542e")
    key_id = H("baa6155474462e4e60ebb1f45c0bda12")
    salt = H("06e9afe885aa32b60eb5973ec0875055479bc7bd30b72e8cf46cc92bb33a7202")
    nonce = H("85e5cd94ea7cd9c2cd0a0398")
    ctx = {"tenant": "t1"}
    pt = b"correct horse battery staple"
    hb = sv.header_base(key_id, salt, nonce, ctx)
    assert hb == H("53560101") + key_id + salt + nonce + H("000c") + H("000674656e616e7400027431")
    ek = sv.derive_ek(k, hb)
    enc_key, commitment = sv.expand(ek)
    assert ek.hex() == "8d5e9edbbc179df228ea5590bb64659ce89fbe0baa2e83cf428db7753422db83"
    assert enc_key.hex() == "8d9ba2f9848ae34bff0d306e0aa18439a49b1a214bb51d703deec3642f22a707"
    assert commitment.hex() == "c636ea5346eecdaa60e267ec481624b30e1777ca787bbc8bf0b6ed99453f39af"
    env = sv.seal(key_id, k, pt, ctx, salt=salt, nonce=nonce)
    assert len(env) == 154
    assert env[: len(hb)] == hb
    assert env[len(hb) : len(hb) + 32] == commitment
    assert env[len(hb) + 32 : -16].hex() == "729765fa8a9ee26147ed0465c0f8c0d4c131520122e119f8971cf5b8"
    assert env[-16:].hex() == "e8d799c25cb3bdcbd8ed26c5ecbf3300"
    assert env.hex() == next(c for c in CASES if c["name"] == "basic")["envelope"]
    # smallest envelope
    small = next(c for c in CASES if c["name"] == "empty_plaintext_empty_context")
    senv = H(small["envelope"])
    assert len(senv) == 114 and senv[64:66] == b"\x00\x00"
    assert senv[52:64].hex() == "46fc8e99a9863b8c6e83901d"
    assert senv[66:98].hex() == "da757e0a89c649705667f4269c96cfcb4190266bc4b82a182e26a51124c36330"
    assert senv[98:].hex() == "22d42ce3874d95b26eaa6c22bf640611"
    # state key example
    assert (
        sv.state_key(k, "usr_1", "acme").hex()
        == "6a78931e100677ce1a99950075fa4af519c441d08fd69962dc7ed00deabae6e7"
    )
    # config hash example
    cfg = json.loads(
        '{ "name" : "ünïcödé ✓", "concurrency": {"max_concurrent": 3, "allow_multiple": true},'
        ' "expiration": {"from_last_use_secs": 3600.0} }'
    )
    assert sv.config_hash(cfg) == "f63e322d2624aadf63b892c0eb0e4648c1406b67afd036d5bd8e8de69743cfcb"


INVALID_CONTEXTS = [
    {"": "x"},
    {"k" * 256: "x"},
    {"k": "v" * 1025},
    {f"k{i:03}": "v" * 1000 for i in range(5)},  # > 4096 bytes encoded
]


@pytest.mark.parametrize(
    "ctx",
    [
        {"": "x"},
        {"k" * 256: "x"},
        {"k": "v" * 1025},
        {f"k{i:03}": "v" * 1000 for i in range(5)},  # > 4096 bytes encoded
        {"\ud800": "lone surrogate"},
        {"k": "\udfff"},
    ],
    ids=["empty_key", "key_256", "value_1025", "over_4096", "surrogate_key", "surrogate_value"],
)
def test_encode_refuses_invalid_context(ctx):
    with pytest.raises(sv.RefError) as err:
        sv.encode_context(ctx)
    assert err.value.code == sv.INVALID_REQUEST


def test_seal_general_refuses_reserved_keys():
    with pytest.raises(sv.RefError) as err:
        sv.seal(bytes(16), bytes(32), b"x", {"sv:user": "u"}, allow_reserved=False)
    assert err.value.code == sv.INVALID_REQUEST


# ==========================================================================
# (b) cross-implementation against the Rust core


@pytest.fixture(scope="session")
def interop_bin() -> str:
    path = os.environ.get("SEALVAULT_INTEROP_BIN")
    if path:
        assert os.access(path, os.X_OK), f"SEALVAULT_INTEROP_BIN={path} is not executable"
        return path
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    subprocess.run(
        ["cargo", "build", "-q", "-p", "sealvault", "--example", "interop", "--features", "hazmat"],
        cwd=ROOT,
        check=True,
    )
    built = target / "debug" / "examples" / "interop"
    assert built.exists(), f"{built} missing after cargo build"
    return str(built)


@pytest.fixture(scope="session")
def rust(interop_bin):
    def call(op: str, cases: list[dict]) -> list[dict]:
        request = json.dumps({"op": op, "cases": cases}, ensure_ascii=False).encode("utf-8")
        proc = subprocess.run([interop_bin], input=request, capture_output=True, check=False)
        assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
        results = json.loads(proc.stdout)["results"]
        assert len(results) == len(cases)
        for r in results:
            assert "protocol_error" not in r, r
        return results

    return call


# ---- generators --------------------------------------------------------

# Characters chosen to stress sorting by UTF-8 bytes: ASCII, Latin-1,
# Cyrillic, CJK, U+FF61/U+FFEE (before astral characters in UTF-8 byte order
# but after them in UTF-16 code-unit order), astral emoji, combining marks,
# U+0000 and U+007F.
ALPHABET = "abcXYZ019_-.:/ " "éÎüß" "ключзн" "日本語" "\uff61\uffee" "🔑✓😀𝄞" "\u0301\u200d" "\u0000\u007f"
SIZES = [0, 1, 2, 15, 16, 17, 31, 32, 33, 63, 64, 255, 256, 1023, 1024, 4095, 4096, 4097, 4999, 5000]
KINDS = ["credential", "totp-seed", "session-state"]


def rand_text(rng: random.Random, lo: int, hi: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(lo, hi)))


def rand_item_id(rng: random.Random) -> str:
    first = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    rest = first + "._-"
    return rng.choice(first) + "".join(rng.choice(rest) for _ in range(rng.randint(0, 127)))


def rand_config(rng: random.Random) -> dict:
    cfg = {"name": rand_text(rng, 1, 20), "login_url": f"https://{rng.randint(1, 999)}.example.test/"}
    if rng.random() < 0.5:
        cfg["concurrency"] = {"max_concurrent": rng.randint(1, 9), "allow_multiple": rng.random() < 0.5}
    if rng.random() < 0.5:
        cfg["expiration"] = {"from_last_use_secs": float(rng.randint(1, 10**6))}
    return cfg


def rand_caller_context(rng: random.Random) -> dict[str, str]:
    style = rng.choice(["empty", "ascii", "unicode", "unicode", "big"])
    if style == "empty":
        return {}
    if style == "ascii":
        return {f"k{i}": f"v{rng.randint(0, 10**6)}" for i in range(rng.randint(1, 5))}
    if style == "unicode":
        ctx: dict[str, str] = {}
        for _ in range(rng.randint(1, 8)):
            key = rand_text(rng, 1, 12)
            if not key.startswith("sv:"):
                ctx[key] = rand_text(rng, 0, 40)
        return ctx
    # "big": long keys and values up to the limits, total <= 4096 bytes
    ctx = {}
    total = 0
    while True:
        key = "K" * rng.randint(200, 255) + str(len(ctx))
        key = key[-255:]
        value = "v" * rng.randint(500, 1024)
        size = 4 + len(key.encode()) + len(value.encode())
        if total + size > 4096:
            break
        ctx[key] = value
        total += size
    return ctx


def rand_item_context(rng: random.Random) -> tuple[dict[str, str], str]:
    kind = rng.choice(KINDS)
    ctx = {
        "sv:user": rng.choice(["usr_1", "usr_" + str(rng.randint(0, 10**9)), rand_text(rng, 0, 20)]),
        "sv:item": rand_item_id(rng),
        "sv:kind": kind,
        "sv:version": str(rng.randint(1, 10**12)),
    }
    if kind == "credential":
        ctx["sv:config"] = sv.config_hash(rand_config(rng))
    if rng.random() < 0.4:
        ctx.update({k: v for k, v in rand_caller_context(rng).items() if len(k) < 100 and len(v) < 100})
    return ctx, kind


def gen_specs(rng: random.Random, n: int) -> list[dict]:
    """Envelope inputs: fresh key per envelope; item-style half of the time."""
    specs = []
    for i in range(n):
        dk, key_id = os.urandom(32), os.urandom(16)
        size = SIZES[i] if i < len(SIZES) else rng.randint(0, 5000)
        plaintext = os.urandom(size)
        if i % 2:
            ctx, kind = rand_item_context(rng)
            key = sv.state_key(dk, ctx["sv:user"], ctx["sv:item"]) if kind == "session-state" else dk
        else:
            ctx, kind = rand_caller_context(rng), None
            key = dk
        specs.append(
            {"key_id": key_id, "dk": dk, "key": key, "plaintext": plaintext, "context": ctx, "kind": kind}
        )
    return specs


def subset(rng: random.Random, ctx: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in ctx.items() if rng.random() < 0.5}


def hexkey(spec: dict) -> dict:
    return {"key_id": spec["key_id"].hex(), "key": spec["key"].hex()}


# ---- Python -> Rust ----------------------------------------------------


@pytest.fixture(scope="module")
def python_sealed():
    rng = random.Random(SEED)
    specs = gen_specs(rng, N_INTEROP)
    for spec in specs:
        spec["salt"], spec["nonce"] = os.urandom(32), os.urandom(12)
        spec["envelope"] = sv.seal(
            spec["key_id"], spec["key"], spec["plaintext"], spec["context"], spec["salt"], spec["nonce"]
        )
    return specs


def test_python_sealed_open_in_rust(rust, python_sealed):
    rng = random.Random(SEED + 1)
    full = [
        {**hexkey(s), "envelope": s["envelope"].hex(), "expected_context": s["context"]}
        for s in python_sealed
    ]
    part = [{**c, "expected_context": subset(rng, s["context"])} for c, s in zip(full, python_sealed)]
    for results in (rust("open", full), rust("open", part)):
        for spec, r in zip(python_sealed, results):
            assert r == {"ok": True, "plaintext": spec["plaintext"].hex()}, spec["context"]
    assert len(python_sealed) >= 200
    kinds = {s["kind"] for s in python_sealed}
    assert {None, *KINDS} <= kinds
    sizes = [len(s["plaintext"]) for s in python_sealed]
    assert min(sizes) == 0 and max(sizes) == 5000


def test_python_sealed_envelope_keys_match_rust(rust, python_sealed):
    results = rust("envelope_key", [{**hexkey(s), "envelope": s["envelope"].hex()} for s in python_sealed])
    eks = []
    for spec, r in zip(python_sealed, results):
        ek = sv.envelope_key(spec["key_id"], spec["key"], spec["envelope"])
        assert r == {"ok": True, "envelope_key": ek.hex()}
        eks.append(ek)
    opened = rust(
        "open_ek",
        [
            {"envelope_key": ek.hex(), "envelope": s["envelope"].hex(), "expected_context": s["context"]}
            for ek, s in zip(eks, python_sealed)
        ],
    )
    for spec, r in zip(python_sealed, opened):
        assert r == {"ok": True, "plaintext": spec["plaintext"].hex()}


def test_rust_deterministic_seal_matches_python_bytes(rust, python_sealed):
    """Same inputs, same salt and nonce: byte-identical envelopes."""
    results = rust(
        "seal_deterministic",
        [
            {
                **hexkey(s),
                "plaintext": s["plaintext"].hex(),
                "context": s["context"],
                "salt": s["salt"].hex(),
                "nonce": s["nonce"].hex(),
            }
            for s in python_sealed
        ],
    )
    for spec, r in zip(python_sealed, results):
        assert r == {"ok": True, "envelope": spec["envelope"].hex()}


def test_inspect_matches_rust(rust, python_sealed):
    sample = python_sealed[:60]
    results = rust("inspect", [{"envelope": s["envelope"].hex()} for s in sample])
    for spec, r in zip(sample, results):
        mine = sv.inspect(spec["envelope"])
        assert r["ok"] and r["version"] == mine["version"] == 1 and r["suite"] == mine["suite"] == 1
        assert r["key_id"] == mine["key_id"].hex() == spec["key_id"].hex()
        assert dict(r["context"]) == mine["context"] == spec["context"]
        # Rust lists entries in canonical (UTF-8 byte) order
        assert [k for k, _ in r["context"]] == sorted(spec["context"], key=lambda k: k.encode("utf-8"))


def test_state_keys_match_rust(rust, python_sealed):
    items = [s for s in python_sealed if s["kind"] is not None]
    cases = [
        {
            "key_id": s["key_id"].hex(),
            "key": s["dk"].hex(),
            "user": s["context"]["sv:user"],
            "item": s["context"]["sv:item"],
        }
        for s in items
    ]
    for spec, case, r in zip(items, cases, rust("state_key", cases)):
        assert r == {
            "ok": True,
            "state_key": sv.state_key(spec["dk"], case["user"], case["item"]).hex(),
            "state_key_id": spec["key_id"].hex(),
        }


def test_config_hashes_match_rust(rust):
    rng = random.Random(SEED + 2)
    configs = [json.loads(e["config_json"]) for e in VECTORS["config_hashes"]]
    configs += [rand_config(rng) for _ in range(40)]
    configs += [
        {"n": 1e21, "m": 1e-7, "f": 0.1, "neg": -0.0, "big": 2**53 - 1, "e": '\u2028\u0000"\\/'},
        {"\U0001f511": 1, "\uff61": 2, "a": 3},  # keys sort by UTF-16 code units in JCS
    ]
    results = rust("config_hash", [{"config": c} for c in configs])
    for cfg, r in zip(configs, results):
        assert r == {"ok": True, "sha256": sv.config_hash(cfg)}, cfg


def test_non_object_and_non_i_json_configs_are_refused_by_both(rust):
    bad = [[1, "two", None, True, {"b": [], "a": {}}], "acme", None, 7, {"big": 2**53 + 1}, {"n": [-(2**53) - 1]}]
    results = rust("config_hash", [{"config": c} for c in bad])
    for cfg, r in zip(bad, results):
        assert r == {"ok": False, "code": "invalid_config"}, cfg
        with pytest.raises(sv.RefError) as err:
            sv.config_hash(cfg)
        assert err.value.code == "invalid_config"


def test_context_codec_matches_rust(rust):
    rng = random.Random(SEED + 3)
    ctxs = [rand_caller_context(rng) for _ in range(80)] + [rand_item_context(rng)[0] for _ in range(40)]
    enc = rust("context_encode", [{"context": c} for c in ctxs])
    for ctx, r in zip(ctxs, enc):
        assert r == {"ok": True, "encoded": sv.encode_context(ctx).hex()}
    dec = rust("context_decode", [{"encoded": r["encoded"]} for r in enc])
    for ctx, r in zip(ctxs, dec):
        assert r["ok"] and dict(r["context"]) == ctx


# ---- Rust -> Python ----------------------------------------------------


@pytest.fixture(scope="module")
def rust_sealed(rust):
    rng = random.Random(SEED + 10)
    specs = gen_specs(rng, N_INTEROP)
    plain = [s for s in specs if s["kind"] is None]
    items = [s for s in specs if s["kind"] is not None]

    def req(s):
        return {**hexkey(s), "plaintext": s["plaintext"].hex(), "context": s["context"]}

    # general-purpose seal for caller contexts; seal_deterministic with Rust-side
    # random salt and nonce for item contexts (plain `seal` refuses `sv:` keys)
    for s, r in zip(plain, rust("seal", [req(s) for s in plain])):
        assert r["ok"], r
        s["envelope"] = H(r["envelope"])
    for s, r in zip(items, rust("seal_any", [req(s) for s in items])):
        assert r["ok"], r
        s["envelope"] = H(r["envelope"])
    return specs


def test_rust_sealed_open_in_python(rust_sealed):
    rng = random.Random(SEED + 11)
    assert len(rust_sealed) >= 200
    for s in rust_sealed:
        env = s["envelope"]
        assert len(env) == 114 + len(sv.encode_context(s["context"])) + len(s["plaintext"])
        assert sv.open(s["key_id"], s["key"], env, s["context"]) == s["plaintext"]
        assert sv.open(s["key_id"], s["key"], env, subset(rng, s["context"])) == s["plaintext"]
        ek = sv.envelope_key(s["key_id"], s["key"], env)
        assert sv.open_with_envelope_key(ek, env, s["context"]) == s["plaintext"]
    salts = {s["envelope"][20:52] for s in rust_sealed}
    nonces = {s["envelope"][52:64] for s in rust_sealed}
    assert len(salts) == len(nonces) == len(rust_sealed), "Rust reused a salt or nonce"


def test_rust_sealed_envelope_keys_match_python(rust, rust_sealed):
    results = rust("envelope_key", [{**hexkey(s), "envelope": s["envelope"].hex()} for s in rust_sealed])
    for s, r in zip(rust_sealed, results):
        assert r == {"ok": True, "envelope_key": sv.envelope_key(s["key_id"], s["key"], s["envelope"]).hex()}


def _py_code(fn, *args, **kwargs) -> str:
    try:
        fn(*args, **kwargs)
        return "ok"
    except sv.RefError as e:
        return e.code


def test_bad_requests_refused_with_same_code(rust):
    """Refusals before any envelope exists: FORMAT.md names no code (§3 "an invalid request")."""
    kid, key = "00" * 16, "11" * 32
    # contexts to seal
    seal_ctxs = INVALID_CONTEXTS + [{"tenant": "t1", "sv:user": "u"}, {"sv:": ""}]
    results = rust("seal", [{"key_id": kid, "key": key, "plaintext": "", "context": c} for c in seal_ctxs])
    for ctx, r in zip(seal_ctxs, results):
        mine = _py_code(sv.seal, H(kid), H(key), b"", ctx, allow_reserved=False)
        assert not r["ok"] and r["code"] == mine == sv.INVALID_REQUEST, ctx
    # `sv:` is case-sensitive and only a prefix
    ok_ctxs = [{"SV:user": "u"}, {"sv": "x", "sv_": "y"}]
    for ctx, r in zip(
        ok_ctxs, rust("seal", [{"key_id": kid, "key": key, "plaintext": "", "context": c} for c in ok_ctxs])
    ):
        assert r["ok"] and _py_code(sv.seal, H(kid), H(key), b"", ctx, allow_reserved=False) == "ok"
    # invalid expected contexts
    env = sv.seal(H(kid), H(key), b"x", {"tenant": "t1"})
    bad_expected = INVALID_CONTEXTS[:3]
    results = rust(
        "open",
        [{"key_id": kid, "key": key, "envelope": env.hex(), "expected_context": c} for c in bad_expected],
    )
    for ctx, r in zip(bad_expected, results):
        assert not r["ok"] and r["code"] == _py_code(sv.open, H(kid), H(key), env, ctx) == sv.INVALID_REQUEST
    # key lengths
    [r1] = rust("open", [{"key_id": "00" * 15, "key": key, "envelope": env.hex(), "expected_context": {}}])
    [r2] = rust("open_ek", [{"envelope_key": "00" * 31, "envelope": env.hex(), "expected_context": {}}])
    assert r1["code"] == _py_code(sv.open, bytes(15), H(key), env, {}) == sv.INVALID_REQUEST
    assert r2["code"] == _py_code(sv.open_with_envelope_key, bytes(31), env, {}) == sv.INVALID_REQUEST
    # a state-key part too long for its u16 length prefix
    [r3] = rust("state_key", [{"key_id": kid, "key": key, "user": "u" * 70000, "item": "x"}])
    assert r3["code"] == _py_code(sv.state_key, H(key), "u" * 70000, "x") == sv.INVALID_REQUEST


def test_reserved_values_not_validated_on_open(rust):
    """FORMAT.md gives formats for `sv:` values but open checks only what is expected."""
    kid, key = os.urandom(16), os.urandom(32)
    odd = [
        {"sv:kind": "bogus", "sv:version": "0", "sv:item": "-bad item", "sv:user": ""},
        {"sv:whatever": "x", "sv:config": "NOT HEX"},
    ]
    envs = [sv.seal(kid, key, b"hi", c) for c in odd]
    results = rust(
        "open",
        [
            {"key_id": kid.hex(), "key": key.hex(), "envelope": e.hex(), "expected_context": c}
            for e, c in zip(envs, odd)
        ],
    )
    for e, c, r in zip(envs, odd, results):
        assert r == {"ok": True, "plaintext": "6869"} and sv.open(kid, key, e, c) == b"hi"


# ---- tampering: both implementations refuse with the same code ----------


def tamperings(rng: random.Random, spec: dict) -> list[tuple[str, dict]]:
    """(label, open request) pairs derived from one valid envelope."""
    env = spec["envelope"]
    ctx = spec["context"]
    clen = int.from_bytes(env[64:66], "big")
    n = len(env) - 114 - clen
    key_id, key = spec["key_id"], spec["key"]

    def flip(e: bytes, i: int, mask: int = 0x01) -> bytes:
        b = bytearray(e)
        b[i] ^= mask
        return bytes(b)

    def case(label, envelope=env, kid=key_id, k=key, expected=ctx):
        return (
            label,
            {"key_id": kid.hex(), "key": k.hex(), "envelope": envelope.hex(), "expected_context": expected},
        )

    out = [
        case("magic", flip(env, 0)),
        case("magic2", flip(env, 1, 0x40)),
        case("version", flip(env, 2, 0x03)),
        case("suite", flip(env, 3, 0x02)),
        case("key_id", flip(env, 4 + rng.randrange(16))),
        case("salt", flip(env, 20 + rng.randrange(32), 0x80)),
        case("nonce", flip(env, 52 + rng.randrange(12))),
        case("len_hi", flip(env, 64, 0x10)),
        case("len_lo", flip(env, 65)),
        case("commitment", flip(env, 66 + clen + rng.randrange(32))),
        case("tag", flip(env, len(env) - 1 - rng.randrange(16), 0x80)),
        case("truncate_0", b""),
        case("truncate_3", env[:3]),
        case("truncate_4", env[:4]),
        case("truncate_65", env[:65]),
        case("truncate_66", env[:66]),
        case("truncate_header", env[: 113 + clen]),
        case("drop_last", env[:-1]),
        case("append", env + b"\x00"),
        case("wrong_key_id", kid=os.urandom(16)),
        case("wrong_key_same_id", k=os.urandom(32)),
        case("magic_and_wrong_key_id", flip(env, 0), kid=os.urandom(16)),
        case("version_and_short", flip(env[:10], 2)),
        case("version_and_wrong_key_id", flip(env, 2, 0x02), kid=os.urandom(16)),
        case("len_hi_and_wrong_key_id", flip(env, 64, 0x10), kid=os.urandom(16)),
        case("len_lo_and_wrong_key_id", flip(env, 65), kid=os.urandom(16)),
        case("tag_and_context_mismatch", flip(env, len(env) - 1), expected={**ctx, "zz-extra": "x"}),
        case("commitment_and_tag", flip(flip(env, 66 + clen), len(env) - 1)),
        case("extra_expected", expected={**ctx, "zz-extra": "x"}),
        case("sv_subset_wrong_value", expected={k: v + "x" for k, v in list(ctx.items())[:1]} or {"a": "b"}),
        case("empty_expected_ok", expected={}),
    ]
    if clen:
        out.append(case("context_byte", flip(env, 66 + rng.randrange(clen))))
        out.append(
            case(
                "context_byte_and_wrong_key_id", flip(env, 66 + rng.randrange(clen), 0x80), kid=os.urandom(16)
            )
        )
    if n:
        out.append(case("ciphertext", flip(env, 98 + clen + rng.randrange(n))))
    if spec["kind"] == "session-state":
        out.append(case("state_envelope_with_data_key", k=spec["dk"]))
    return out


def fuzz(rng: random.Random, spec: dict) -> dict:
    env = bytearray(spec["envelope"])
    choice = rng.random()
    if choice < 0.6:
        for _ in range(rng.randint(1, 3)):
            env[rng.randrange(min(len(env), 140))] ^= 1 << rng.randrange(8)
    elif choice < 0.8:
        env = env[: rng.randrange(len(env))]
    else:
        env += os.urandom(rng.randint(1, 20))
    return {
        "key_id": spec["key_id"].hex(),
        "key": spec["key"].hex(),
        "envelope": bytes(env).hex(),
        "expected_context": spec["context"],
    }


def _python_code(case: dict) -> str:
    try:
        sv.open(H(case["key_id"]), H(case["key"]), H(case["envelope"]), case["expected_context"])
        return "ok"
    except sv.RefError as e:
        return e.code


def test_tampered_refused_with_same_code(rust, python_sealed, rust_sealed):
    rng = random.Random(SEED + 20)
    labelled = []
    for spec in python_sealed[:12] + rust_sealed[:12]:
        labelled += tamperings(rng, spec)
    cases = [c for _, c in labelled]
    results = rust("open", cases)
    seen: dict[str, int] = {}
    for (label, case), r in zip(labelled, results):
        rust_code = "ok" if r["ok"] else r["code"]
        assert _python_code(case) == rust_code, (label, rust_code)
        seen[rust_code] = seen.get(rust_code, 0) + 1
    # every refusal code of §6 is exercised
    assert set(seen) >= {
        "ok",
        "malformed_envelope",
        "unsupported_version",
        "wrong_key",
        "commitment_mismatch",
        "integrity",
        "context_mismatch",
    }, seen


def test_fuzzed_refused_with_same_code(rust, python_sealed, rust_sealed):
    rng = random.Random(SEED + 21)
    cases = [fuzz(rng, rng.choice(python_sealed + rust_sealed)) for _ in range(600)]
    for case, r in zip(cases, rust("open", cases)):
        rust_code = "ok" if r["ok"] else r["code"]
        assert _python_code(case) == rust_code


def test_vectors_agree_with_rust(rust):
    """Sanity: the Rust core gives every vector's expected result through the driver."""
    data = [c for c in CASES if c["open_with"] == "data_key"]
    ek = [c for c in CASES if c["open_with"] == "envelope_key"]
    for c, r in zip(
        data,
        rust(
            "open",
            [
                {**c["key"], "envelope": c["envelope"], "expected_context": c["expected_context"]}
                for c in data
            ],
        ),
    ):
        assert ("ok" if r["ok"] else r["code"]) == c["expect"], c["name"]
    for c, r in zip(
        ek,
        rust(
            "open_ek",
            [
                {
                    "envelope_key": c["envelope_key"],
                    "envelope": c["envelope"],
                    "expected_context": c["expected_context"],
                }
                for c in ek
            ],
        ),
    ):
        assert ("ok" if r["ok"] else r["code"]) == c["expect"], c["name"]
