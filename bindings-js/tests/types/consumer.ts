// A typed consumer of the installed package, checked with `tsc --noEmit`.
import {
  DataKey, EnvelopeKey, SecretBytes, Totp, Hotp, seal, sealItem, open, envelopeKey,
  openWithEnvelopeKey, stateKey, inspect, configHash, itemContext, decodeTotpSecret,
  SealVaultError, isSealVaultError, type Inspection, type Context, type SealVaultErrorCode,
  type CodeWithValidity,
} from "sealvault";

const dk: DataKey = DataKey.fromApi("00112233445566778899aabbccddeeff", "AAAA");
const keyId: string = dk.keyId;
const ctx: Context = { tenant: "t1" };
const env: Uint8Array = seal(dk, new Uint8Array([1, 2]), ctx);
const item: Uint8Array = sealItem(dk, {
  kind: "credential", user: "u", item: "i", version: 1, config: { name: "x" }, plaintext: new Uint8Array(),
});
const pt: SecretBytes = open(dk, env, ctx);
const n: number = pt.length;
const bytes: Uint8Array = pt.expose();
pt.free();
const ek: EnvelopeKey = envelopeKey(dk, env);
const pt2: SecretBytes = openWithEnvelopeKey(ek, env);
const sk: DataKey = stateKey(dk, "u", "i");
const info: Inspection = inspect(item);
const v: number = info.version;
const hash: string = configHash({ name: "x" });
const expected: Context = itemContext("credential", "u", "i", 1, { name: "x" });
const t = new Totp("JBSWY3DPEHPK3PXP", { digits: 6, period: 30, algorithm: "SHA1" });
const code: string = t.at(59);
const now: string = Totp.fromUri("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP").now();
const left: number = t.secondsLeft();
const cv: CodeWithValidity = t.codeWithValidity(5);
const step: number | undefined = t.verify(code, 59, 1);
const h: string = new Hotp(new Uint8Array(20), { counter: 1 }).atCounter(1);
const s: SecretBytes = decodeTotpSecret("JBSWY3DPEHPK3PXP");
try {
  open(sk, env);
} catch (e: unknown) {
  if (isSealVaultError(e)) {
    const c: SealVaultErrorCode = e.code;
    const m: string = e.message;
  }
  if (e instanceof SealVaultError) console.log(e.code);
}
void [keyId, n, bytes, pt2, v, hash, expected, now, left, cv, step, h, s];
