// The shared envelope vectors (testdata/envelope-v1.json), round trips,
// bit flips, errors and codes, through the built npm package.
import { test } from "node:test";
import assert from "node:assert/strict";
import { sv, vectors, hex, toHex, utf8, throwsCode } from "./helpers.mjs";

const V = vectors("envelope-v1.json");
const keyOf = (k) => sv.DataKey.fromBytes(hex(k.key_id), hex(k.key));

test("envelope vectors: every case opens or fails with its code", () => {
  assert.ok(V.cases.length >= 40);
  let ok = 0;
  for (const c of V.cases) {
    const env = hex(c.envelope);
    const run = () =>
      c.open_with === "envelope_key"
        ? sv.openWithEnvelopeKey(sv.EnvelopeKey.fromBytes(hex(c.envelope_key)), env, c.expected_context)
        : sv.open(keyOf(c.key), env, c.expected_context);
    if (c.expect === "ok") {
      const pt = run();
      assert.equal(toHex(pt.expose()), c.plaintext, c.name);
      assert.equal(pt.length, c.plaintext.length / 2);
      pt.free();
      ok++;
      if (c.envelope_key && c.key) {
        const ek = sv.envelopeKey(keyOf(c.key), env);
        assert.equal(toHex(ek.expose()), c.envelope_key, c.name);
      }
      const info = sv.inspect(env);
      assert.equal(info.version, 1);
      assert.equal(info.suite, 1);
      if (c.key) assert.equal(info.keyId, c.key.key_id);
    } else {
      throwsCode(run, c.expect);
    }
  }
  assert.ok(ok >= 10);
});

test("contexts section: sealed contexts come back from inspect, encoded as in the vector", () => {
  const dk = sv.DataKey.generate();
  for (const c of V.contexts) {
    const env = sv.seal(dk, utf8("x"), c.context);
    assert.deepEqual(sv.inspect(env).context, c.context);
    if (c.encoded) assert.ok(Buffer.from(env).includes(Buffer.from(c.encoded, "hex")));
    assert.equal(toHex(sv.open(dk, env, c.context).expose()), "78");
  }
});

test("state_keys section: derived key id and bytes match", () => {
  for (const c of V.state_keys) {
    const sk = sv.stateKey(keyOf(c.key), c.user, c.item);
    assert.equal(sk.keyId, c.state_key_id);
    // Same bytes: what one seals the vector's key opens.
    const env = sv.seal(sk, utf8("state"), {});
    const fromVector = sv.DataKey.fromBytes(hex(c.state_key_id), hex(c.state_key));
    assert.equal(new TextDecoder().decode(sv.open(fromVector, env).expose()), "state");
  }
});

test("config_hashes section", () => {
  for (const c of V.config_hashes) {
    assert.equal(sv.configHash(JSON.parse(c.config_json)), c.sha256);
  }
});

test("round trips: seal/open, sealItem/itemContext, envelope key, fromApi", () => {
  const dk = sv.DataKey.generate();
  assert.match(dk.keyId, /^[0-9a-f]{32}$/);
  for (const n of [0, 1, 64, 1024, 65536]) {
    const data = new Uint8Array(n).map((_, i) => i * 7);
    const env = sv.seal(dk, data, { tenant: "t1" });
    assert.deepEqual(sv.open(dk, env, { tenant: "t1" }).expose(), data);
    assert.deepEqual(sv.open(dk, env).expose(), data);
    assert.deepEqual(sv.openWithEnvelopeKey(sv.envelopeKey(dk, env), env).expose(), data);
  }
  const config = { name: "acme", tfa: { method: "AUTHENTICATOR" } };
  const env = sv.sealItem(dk, { kind: "credential", user: "usr_1", item: "acme", version: 3, config, plaintext: utf8("pw"), extra: { note: "n" } });
  const expected = sv.itemContext("credential", "usr_1", "acme", 3, config);
  assert.deepEqual(expected, { "sv:user": "usr_1", "sv:item": "acme", "sv:kind": "credential", "sv:version": "3", "sv:config": sv.configHash(config) });
  assert.equal(new TextDecoder().decode(sv.open(dk, env, expected).expose()), "pw");
  assert.deepEqual(sv.inspect(env).context, { ...expected, note: "n" });
  throwsCode(() => sv.open(dk, env, sv.itemContext("credential", "usr_1", "acme", 4, config)), "context_mismatch");
  const seed = sv.sealItem(dk, { kind: "totp-seed", user: "usr_1", item: "acme", version: 1, plaintext: utf8("otpauth://x") });
  sv.open(dk, seed, sv.itemContext("totp-seed", "usr_1", "acme", 1));
  const b64 = Buffer.from(new Uint8Array(32).fill(9)).toString("base64url");
  const api = sv.DataKey.fromApi("00112233445566778899aabbccddeeff", b64);
  assert.equal(api.keyId, "00112233445566778899aabbccddeeff");
  const same = sv.DataKey.fromBytes(hex("00112233445566778899aabbccddeeff"), new Uint8Array(32).fill(9));
  assert.equal(sv.open(same, sv.seal(api, utf8("k"))).length, 1);
});

test("every bit flip of a small envelope is rejected", () => {
  const dk = sv.DataKey.generate();
  const env = sv.seal(dk, utf8("hi"), { a: "b" });
  const codes = new Set();
  for (let i = 0; i < env.length * 8; i++) {
    const bad = env.slice();
    bad[i >> 3] ^= 1 << (i & 7);
    assert.throws(() => sv.open(dk, bad, { a: "b" }), (e) => {
      assert.ok(sv.isSealVaultError(e) && e instanceof sv.SealVaultError);
      codes.add(e.code);
      return true;
    }, `bit ${i}`);
  }
  for (const c of codes) assert.ok(["malformed_envelope", "unsupported_version", "wrong_key", "commitment_mismatch", "integrity", "context_mismatch"].includes(c), c);
  // Truncations too.
  for (let n = 0; n < env.length; n++) {
    assert.throws(() => sv.open(dk, env.slice(0, n)), (e) => sv.isSealVaultError(e), `length ${n}`);
  }
});

test("errors: classes and codes", () => {
  const dk = sv.DataKey.generate();
  const other = sv.DataKey.generate();
  const env = sv.seal(dk, utf8("x"));
  throwsCode(() => sv.open(other, env), "wrong_key");
  throwsCode(() => sv.seal(dk, utf8("x"), { "sv:user": "u" }), "invalid_request");
  throwsCode(() => sv.seal(dk, utf8("x"), { a: 1 }), "invalid_request");
  throwsCode(() => sv.seal(dk, "text"), "invalid_request");
  throwsCode(() => sv.DataKey.fromBytes(new Uint8Array(16), new Uint8Array(31)), "invalid_request");
  throwsCode(() => sv.DataKey.fromApi("zz", "AAAA"), "invalid_request");
  throwsCode(() => sv.inspect(new Uint8Array([1, 2, 3])), "malformed_envelope");
  throwsCode(() => sv.sealItem(dk, { kind: "nope", user: "u", item: "i", version: 1, plaintext: utf8("") }), "invalid_request");
  throwsCode(() => sv.sealItem(dk, { kind: "credential", user: "u", item: "i", version: 1, plaintext: utf8("") }), "invalid_request");
  throwsCode(() => sv.configHash({ n: 2 ** 60 }), "invalid_config");
  throwsCode(() => new sv.Totp("not base32!"), "invalid_totp");
  const e = new sv.SealVaultError("m", "integrity");
  assert.ok(e instanceof Error && sv.isSealVaultError(e) && e.code === "integrity");
  assert.ok(!sv.isSealVaultError(new Error("x")) && !sv.isSealVaultError("integrity") && !sv.isSealVaultError({ code: "integrity" }));
});

test("secrets: redacted toString/JSON, zeroized objects freed and disposable", () => {
  const dk = sv.DataKey.fromBytes(new Uint8Array(16).fill(1), new Uint8Array(32).fill(0xab));
  const pt = sv.open(dk, sv.seal(dk, utf8("hunter2")));
  for (const s of [String(pt), JSON.stringify({ pt }), String(dk), JSON.stringify(dk), String(sv.envelopeKey(dk, sv.seal(dk, utf8(""))))]) {
    assert.ok(!s.includes("hunter2") && !s.includes("abab") && !s.includes("171,171"), s);
    assert.ok(s.includes("redacted"), s);
  }
  assert.equal(typeof pt[Symbol.dispose], "function");
  pt[Symbol.dispose]();
  assert.throws(() => pt.expose());
  dk.free();
  assert.throws(() => sv.seal(dk, utf8("x")));
});
