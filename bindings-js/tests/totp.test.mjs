// The shared TOTP/HOTP vectors (testdata/totp.json) and a differential
// test against the `otpauth` npm package.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as OTPAuth from "otpauth";
import { sv, vectors, hex, toHex, throwsCode } from "./helpers.mjs";

const V = vectors("totp.json");
const secretOf = (c) => (c.secret_hex !== undefined ? hex(c.secret_hex) : c.secret_base32);
const totpOf = (c) =>
  c.steam
    ? sv.Totp.steam(secretOf(c))
    : new sv.Totp(secretOf(c), { algorithm: c.algorithm, digits: c.digits, period: c.period, t0: c.t0 });

const ops = {
  hotp: (c) => ({ code: new sv.Hotp(secretOf(c), { algorithm: c.algorithm, digits: c.digits }).atCounter(c.counter) }),
  totp: (c) => {
    const t = totpOf(c);
    return { code: t.at(c.unix), step: t.step(c.unix), seconds_left: t.secondsLeft(c.unix) };
  },
  secret: (c) => ({ hex: toHex(sv.decodeTotpSecret(c.base32).expose()) }),
  code_with_validity: (c) => {
    const r = totpOf(c).codeWithValidity(c.min_secs, c.unix);
    return { code: r.code, valid_for_secs: r.validForSecs, wait_secs: r.waitSecs };
  },
  verify: (c) => ({ matched_step: totpOf(c).verify(c.code, c.unix, c.window) ?? null }),
  parse_uri: (c) => {
    const g = c.as === "hotp" ? sv.Hotp.fromUri(c.uri) : sv.Totp.fromUri(c.uri);
    const uri = g.toUri();
    const out = {
      secret_hex: toHex(sv.decodeTotpSecret(new URL(uri).searchParams.get("secret")).expose()),
      algorithm: g.algorithm, digits: g.digits, issuer: g.issuer ?? null, account: g.account,
      to_uri: uri,
    };
    if (c.as === "hotp") Object.assign(out, { counter: g.counter, code: g.atCounter(c.counter), steam: false });
    else Object.assign(out, { period: g.period, t0: g.t0, steam: g.isSteam, code: g.at(c.unix) });
    return out;
  },
};

test("totp vectors: every case gives its outputs or its error code", () => {
  const counts = {};
  for (const c of V.cases) {
    const op = ops[c.op];
    assert.ok(op, `unknown op ${c.op}`);
    counts[c.op] = (counts[c.op] ?? 0) + 1;
    if (c.expect !== "ok") {
      throwsCode(() => op(c), c.expect);
      continue;
    }
    const got = op(c);
    for (const [k, v] of Object.entries(got)) {
      // Every output the case states (verify's "code" is an input).
      if (k in c && !(c.op === "verify" && k === "code")) {
        assert.deepEqual(v, c[k], `${c.op} "${c.name}": ${k}`);
      }
    }
  }
  assert.equal(Object.values(counts).reduce((a, b) => a + b), V.cases.length);
});

test("Totp: now(), secondsLeft() default to Date.now; redacted toString", () => {
  const t = new sv.Totp("JBSWY3DPEHPK3PXP");
  const unix = Math.floor(Date.now() / 1000);
  const now = t.now();
  assert.ok(now === t.at(unix) || now === t.at(unix + 1));
  const left = t.secondsLeft();
  assert.ok(left >= 1 && left <= 30);
  assert.ok(t.verify(now) !== null);
  assert.equal(String(t), "Totp([redacted])");
  const cv = t.codeWithValidity(10);
  assert.equal(typeof cv.code, "string");
});

test("TOTP differential vs otpauth (random secrets, algorithms, digits, periods, times)", () => {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 500; i++) {
    const bytes = new Uint8Array(10 + Math.floor(rnd() * 54)).map(() => Math.floor(rnd() * 256));
    const algorithm = ["SHA1", "SHA256", "SHA512"][i % 3];
    const digits = 6 + Math.floor(rnd() * 3);
    const period = [30, 60, 15, 1][i % 4];
    const unix = Math.floor(rnd() * 4e9);
    const ours = new sv.Totp(bytes, { algorithm, digits, period });
    const theirs = new OTPAuth.TOTP({ secret: new OTPAuth.Secret({ buffer: bytes.buffer }), algorithm, digits, period });
    assert.equal(ours.at(unix), theirs.generate({ timestamp: unix * 1000 }), `case ${i}`);
    const b32 = theirs.secret.base32;
    assert.equal(new sv.Totp(b32, { algorithm, digits, period }).at(unix), ours.at(unix));
    // Both parse each other's URIs.
    assert.equal(sv.Totp.fromUri(theirs.toString()).at(unix), ours.at(unix));
    const labelled = sv.Totp.fromUri(theirs.toString()).toUri();
    assert.equal(OTPAuth.URI.parse(labelled).generate({ timestamp: unix * 1000 }), ours.at(unix));
    const h = new OTPAuth.HOTP({ secret: new OTPAuth.Secret({ buffer: bytes.buffer }), algorithm, digits });
    assert.equal(new sv.Hotp(bytes, { algorithm, digits }).atCounter(i * 977), h.generate({ counter: i * 977 }));
  }
});
