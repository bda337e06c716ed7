// Cross-language: envelopes sealed by the npm package open in Rust (the
// core's interop driver, core/examples/interop.rs) and in Python (the
// independent implementation of docs/FORMAT.md, tests/independent), and
// envelopes sealed there open here. scripts/test.sh builds the driver and
// `make test-js` passes the Python of the independent suite's venv.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { sv, repoRoot, toHex, hex, utf8 } from "./helpers.mjs";

const KEY_ID = Uint8Array.from({ length: 16 }, (_, i) => i);
const KEY = Uint8Array.from({ length: 32 }, (_, i) => 32 + i);
const dk = () => sv.DataKey.fromBytes(KEY_ID, KEY);
const keyFields = { key_id: toHex(KEY_ID), key: toHex(KEY) };
const CONFIG = { name: "acme", login_url: "https://acme.test/login", n: 1.5 };
const required = !!process.env.CI;

function need(file, what) {
  if (file && existsSync(file)) return file;
  const why = `${what} not found (${file || "unset"})`;
  if (required) throw new Error(`required in CI: ${why}`);
  return null;
}

function rust(op, cases) {
  const target = process.env.CARGO_TARGET_DIR || path.join(repoRoot, "target");
  const bin = need(process.env.SEALVAULT_INTEROP || path.join(target, "debug/examples/interop"), "interop driver");
  if (!bin) return null;
  const out = execFileSync(bin, { input: JSON.stringify({ op, cases }), encoding: "utf8" });
  return JSON.parse(out).results;
}

// Python: open and seal with the independent implementation.
const PY = `
import json, sys
sys.path.insert(0, sys.argv[1])
import sealvault_ref as ref
job = json.load(sys.stdin)
kid, key = bytes.fromhex(job["key_id"]), bytes.fromhex(job["key"])
opened = []
for c in job["open"]:
    try:
        opened.append({"ok": True, "plaintext": ref.open(kid, key, bytes.fromhex(c["envelope"]), c["expected"]).hex()})
    except Exception as e:
        opened.append({"ok": False, "error": type(e).__name__ + ": " + str(getattr(e, "code", ""))})
sealed = [ref.seal(kid, key, bytes.fromhex(p), {"tenant": "t1"}).hex() for p in job["seal"]]
print(json.dumps({"opened": opened, "sealed": sealed}))
`;

function python(job) {
  const py = need(process.env.SEALVAULT_PYTHON, "SEALVAULT_PYTHON (a Python with tests/independent/requirements.txt)");
  if (!py) return null;
  const out = execFileSync(py, ["-c", PY, path.join(repoRoot, "tests/independent")], {
    input: JSON.stringify({ ...keyFields, ...job }),
    encoding: "utf8",
  });
  return JSON.parse(out);
}

/** Envelopes sealed here, with what opening them must give. */
function jsEnvelopes() {
  const big = new Uint8Array(randomBytes(70_000));
  const item = { kind: "credential", user: "usr_1", item: "acme", version: 2, config: CONFIG, plaintext: utf8("{}") };
  return [
    { env: sv.seal(dk(), utf8("plain"), { tenant: "t1", "\u00e9": "" }), expected: { tenant: "t1" }, plaintext: utf8("plain") },
    { env: sv.seal(dk(), new Uint8Array(0)), expected: {}, plaintext: new Uint8Array(0) },
    { env: sv.seal(dk(), big), expected: {}, plaintext: big },
    {
      env: sv.sealItem(dk(), item),
      expected: { "sv:user": "usr_1", "sv:item": "acme", "sv:kind": "credential", "sv:version": "2" },
      plaintext: utf8("{}"),
    },
  ];
}

test("JS envelopes open in Rust; Rust envelopes open in JS", (t) => {
  const sealed = jsEnvelopes();
  const opened = rust("open", sealed.map((s) => ({ ...keyFields, envelope: toHex(s.env), expected_context: s.expected })));
  if (!opened) return t.skip("no interop driver");
  sealed.forEach((s, i) => {
    assert.ok(opened[i].ok, JSON.stringify(opened[i]));
    assert.equal(opened[i].plaintext, toHex(s.plaintext));
  });
  const tampered = Uint8Array.from(sealed[0].env);
  tampered[tampered.length - 1] ^= 1;
  const refused = rust("open", [{ ...keyFields, envelope: toHex(tampered), expected_context: {} }])[0];
  assert.deepEqual([refused.ok, refused.code], [false, "integrity"]);
  const plaintexts = [new Uint8Array(0), utf8("x"), new Uint8Array(randomBytes(5000))];
  const fromRust = rust("seal", plaintexts.map((p) => ({ ...keyFields, plaintext: toHex(p), context: { tenant: "t1" } })));
  plaintexts.forEach((p, i) => {
    const pt = sv.open(dk(), hex(fromRust[i].envelope), { tenant: "t1" });
    assert.equal(toHex(pt.expose()), toHex(p));
    pt.free();
  });
});

test("JS envelopes open in Python; Python envelopes open in JS", (t) => {
  const sealed = jsEnvelopes();
  const plaintexts = [new Uint8Array(0), utf8("y"), new Uint8Array(randomBytes(5000))];
  const result = python({
    open: sealed.map((s) => ({ envelope: toHex(s.env), expected: s.expected })),
    seal: plaintexts.map(toHex),
  });
  if (!result) return t.skip("no Python for the independent implementation");
  sealed.forEach((s, i) => {
    assert.ok(result.opened[i].ok, JSON.stringify(result.opened[i]));
    assert.equal(result.opened[i].plaintext, toHex(s.plaintext));
  });
  plaintexts.forEach((p, i) => {
    const pt = sv.open(dk(), hex(result.sealed[i]), { tenant: "t1" });
    assert.equal(toHex(pt.expose()), toHex(p));
    pt.free();
  });
});
