// JS bench of the npm package `sealvault` (bindings-js/pkg, from build.sh):
// seal+open at 64 B, 1 KiB, 64 KiB against raw node:crypto AES-256-GCM, the
// same envelope written by hand on node:crypto (HMAC-SHA256, two
// HKDF-Expand, AES-256-GCM; checked against the shared vectors first) and
// the same on WebCrypto; one TOTP code against otpauth; the wasm size.
//   node benches/js/bench.mjs            (after bindings-js/build.sh and npm ci in bindings-js)
import crypto from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const pkg = path.join(root, "bindings-js/pkg");
const sv = await import(path.join(pkg, "index.mjs"));
const OTPAuth = createRequire(path.join(root, "bindings-js/package.json"))("otpauth");

// ---- the envelope by hand (docs/FORMAT.md §2–§5), empty context ----
const enc = new TextEncoder();
const L_EK = enc.encode("sealvault/v1/ek"), L_ENC = enc.encode("sealvault/v1/enc\x01"), L_COM = enc.encode("sealvault/v1/commit\x01");
const hmac = (k, ...parts) => { const h = crypto.createHmac("sha256", k); for (const p of parts) h.update(p); return h.digest(); };
function derive(key, headerBase) {
  const ek = hmac(key, L_EK, headerBase);
  return [hmac(ek, L_ENC), hmac(ek, L_COM)];
}
function handSeal(keyId, key, plaintext) {
  const headerBase = Buffer.concat([Buffer.from([0x53, 0x56, 1, 1]), keyId, crypto.randomBytes(44), Buffer.from([0, 0])]);
  const [encKey, commitment] = derive(key, headerBase);
  const c = crypto.createCipheriv("aes-256-gcm", encKey, headerBase.subarray(52, 64));
  c.setAAD(Buffer.concat([headerBase, commitment]));
  return Buffer.concat([headerBase, commitment, c.update(plaintext), c.final(), c.getAuthTag()]);
}
function handOpen(keyId, key, env) {
  if (env.length < 114 || env[0] !== 0x53 || env[1] !== 0x56 || env[2] !== 1 || env[3] !== 1) throw new Error("malformed");
  if (!crypto.timingSafeEqual(env.subarray(4, 20), keyId)) throw new Error("wrong_key");
  const l = env.readUInt16BE(64);
  if (l !== 0) throw new Error("bench handles the empty context only");
  const headerBase = env.subarray(0, 66), aadEnd = 98;
  const [encKey, commitment] = derive(key, headerBase);
  if (!crypto.timingSafeEqual(commitment, env.subarray(66, 98))) throw new Error("commitment_mismatch");
  const d = crypto.createDecipheriv("aes-256-gcm", encKey, env.subarray(52, 64));
  d.setAAD(env.subarray(0, aadEnd));
  d.setAuthTag(env.subarray(env.length - 16));
  return Buffer.concat([d.update(env.subarray(98, env.length - 16)), d.final()]);
}
// ---- the same on WebCrypto ----
const subtle = crypto.webcrypto.subtle;
async function wcDerive(key, headerBase) {
  const k = await subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const ek = await subtle.importKey("raw", await subtle.sign("HMAC", k, Buffer.concat([L_EK, headerBase])), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const [e, c] = await Promise.all([subtle.sign("HMAC", ek, L_ENC), subtle.sign("HMAC", ek, L_COM)]);
  return [await subtle.importKey("raw", e, "AES-GCM", false, ["encrypt", "decrypt"]), new Uint8Array(c)];
}
async function wcSeal(keyId, key, plaintext) {
  const headerBase = Buffer.concat([Buffer.from([0x53, 0x56, 1, 1]), keyId, crypto.getRandomValues(new Uint8Array(44)), Buffer.from([0, 0])]);
  const [encKey, commitment] = await wcDerive(key, headerBase);
  const ct = await subtle.encrypt({ name: "AES-GCM", iv: headerBase.subarray(52, 64), additionalData: Buffer.concat([headerBase, commitment]) }, encKey, plaintext);
  return Buffer.concat([headerBase, commitment, new Uint8Array(ct)]);
}
async function wcOpen(keyId, key, env) {
  if (!crypto.timingSafeEqual(env.subarray(4, 20), keyId)) throw new Error("wrong_key");
  const [encKey, commitment] = await wcDerive(key, env.subarray(0, 66));
  if (!crypto.timingSafeEqual(Buffer.from(commitment), env.subarray(66, 98))) throw new Error("commitment_mismatch");
  return new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv: env.subarray(52, 64), additionalData: env.subarray(0, 98) }, encKey, env.subarray(98)));
}

// Check the hand-written envelope against the vectors and the package.
const V = JSON.parse(readFileSync(path.join(root, "testdata/envelope-v1.json"), "utf8"));
for (const c of V.cases.filter((c) => c.expect === "ok" && c.open_with === "data_key" && Object.keys(c.expected_context).length === 0 && c.envelope.slice(128, 132) === "0000")) {
  const got = handOpen(Buffer.from(c.key.key_id, "hex"), Buffer.from(c.key.key, "hex"), Buffer.from(c.envelope, "hex"));
  if (got.toString("hex") !== c.plaintext) throw new Error(`hand-written open disagrees on ${c.name}`);
}
const keyId = crypto.randomBytes(16), key = crypto.randomBytes(32);
const dk = sv.DataKey.fromBytes(keyId, key);
{
  const x = enc.encode("interop");
  if (sv.open(dk, handSeal(keyId, key, x)).expose().toString() !== x.toString()) throw new Error("package cannot open the hand-written envelope");
  if (handOpen(keyId, key, Buffer.from(sv.seal(dk, x))).toString() !== "interop") throw new Error("hand-written open fails on the package's envelope");
  if (Buffer.from(await wcOpen(keyId, key, Buffer.from(sv.seal(dk, x)))).toString() !== "interop") throw new Error("webcrypto open fails");
}

function bench(fn, minMs = 400) {
  for (let i = 0; i < 50; i++) fn();
  let n = 0, t0 = process.hrtime.bigint(), el = 0n;
  const budget = BigInt(minMs) * 1_000_000n;
  while (el < budget) { for (let i = 0; i < 50; i++) fn(); n += 50; el = process.hrtime.bigint() - t0; }
  return Number(el) / n / 1000; // µs per call
}
async function benchAsync(fn, minMs = 400) {
  for (let i = 0; i < 20; i++) await fn();
  let n = 0; const t0 = process.hrtime.bigint(); let el = 0n;
  const budget = BigInt(minMs) * 1_000_000n;
  while (el < budget) { await fn(); n++; el = process.hrtime.bigint() - t0; }
  return Number(el) / n / 1000;
}

const rows = [];
for (const [label, size] of [["64 B", 64], ["1 KiB", 1024], ["64 KiB", 65536]]) {
  const data = crypto.randomBytes(size);
  const ours = bench(() => { const e = sv.seal(dk, data); sv.open(dk, e).free(); });
  const hand = bench(() => handOpen(keyId, key, handSeal(keyId, key, data)));
  const raw = bench(() => {
    const iv = crypto.randomBytes(12);
    const c = crypto.createCipheriv("aes-256-gcm", key, iv); const ct = Buffer.concat([c.update(data), c.final()]); const tag = c.getAuthTag();
    const d = crypto.createDecipheriv("aes-256-gcm", key, iv); d.setAuthTag(tag); Buffer.concat([d.update(ct), d.final()]);
  });
  const wc = await benchAsync(async () => wcOpen(keyId, key, await wcSeal(keyId, key, data)));
  rows.push({ size: label, sealvault_us: ours, hand_node_crypto_us: hand, webcrypto_envelope_us: wc, raw_aes_gcm_us: raw, vs_hand: ours / hand, vs_raw: ours / raw });
}
const totp = new sv.Totp("JBSWY3DPEHPK3PXP");
const otp = new OTPAuth.TOTP({ secret: "JBSWY3DPEHPK3PXP" });
let t = 1_700_000_000;
const totpOurs = bench(() => totp.at(t++));
const totpTheirs = bench(() => otp.generate({ timestamp: (t++) * 1000 }));
const wasm = path.join(pkg, "web/sealvault_js_bg.wasm");
const wasmSize = statSync(wasm).size, wasmGz = zlib.gzipSync(readFileSync(wasm), { level: 9 }).length;

console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
console.log("| size | sealvault (wasm) µs | hand-written node:crypto µs | WebCrypto envelope µs | raw node:crypto AES-GCM µs | vs hand | vs raw |");
console.log("|---|---|---|---|---|---|---|");
for (const r of rows) console.log(`| ${r.size} | ${r.sealvault_us.toFixed(1)} | ${r.hand_node_crypto_us.toFixed(1)} | ${r.webcrypto_envelope_us.toFixed(1)} | ${r.raw_aes_gcm_us.toFixed(1)} | ${r.vs_hand.toFixed(2)}× | ${r.vs_raw.toFixed(2)}× |`);
console.log(`TOTP one code: sealvault ${totpOurs.toFixed(2)} µs, otpauth ${totpTheirs.toFixed(2)} µs (${(totpOurs / totpTheirs).toFixed(2)}×)`);
console.log(`wasm: ${wasmSize} bytes, ${wasmGz} gzipped`);
