// A typed consumer of the installed package, checked with `tsc --noEmit`.
import {
  DataKey, EnvelopeKey, SecretBytes, Totp, Hotp, seal, sealItem, open, envelopeKey,
  openWithEnvelopeKey, stateKey, inspect, configHash, itemContext, decodeTotpSecret,
  SealVaultError, isSealVaultError, type Inspection, type Context, type SealVaultErrorCode,
  type CodeWithValidity, Client, Session, Credential, SecretText, checkOrigin,
  type Meta, type Me, type User, type TokenCreated, type TokenInfo, type CredentialWritten,
  type CredentialSummary, type CredentialDetail, type Rotated, type AuditList, type OneTimeCode,
  type SessionOptions, type CredentialConfig, type BrowserState, type SessionStateWritten,
  type ProxyAnswer, type TfaCode,
} from "sealvault";
import {
  captureContext, saveContext, restoreContext, sessionStorageScript,
  type BrowserContextLike, type BrowserLike,
} from "sealvault/playwright";

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

async function client(): Promise<void> {
  const c = new Client("http://127.0.0.1:8080", "token", { maxRetries: 1 });
  const url: string = c.baseUrl;
  const meta: Meta = await c.meta();
  const limit: number = meta.limits.credential_body_bytes;
  const me: Me = await c.me();
  const user: User = await c.createUser("u");
  const tok: TokenCreated = await c.createToken(user.id, { name: "t", scopes: ["keys:use", "sessions"], items: null, ttlSecs: 60 });
  const tokens: TokenInfo[] = await c.listTokens(user.id);
  await c.revokeToken(user.id, tok.id);
  const key: DataKey = await c.createDataKey();
  const cur: DataKey = await c.currentDataKey();
  const rotated: Rotated = await c.rotateDataKey(cur.keyId);
  const config: CredentialConfig = { name: "acme", login_url: "https://acme.test/login" };
  const w: CredentialWritten = await c.putCredential("acme", { username: "a", password: "b", fields: { pin: "1" } }, t, config);
  await c.putCredential("b", { username: "a", password: "b" }, "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP", config);
  await c.putCredential("c", { username: "a", password: "b" }, null, config);
  const w2: CredentialWritten = await c.replaceCredential("acme", w.version, { username: "a", password: "c" }, null, config);
  const list: CredentialSummary[] = await c.listCredentials();
  const detail: CredentialDetail = await c.getCredential("acme");
  const envBytes: Uint8Array = detail.envelope;
  await c.deleteCredential("acme", w2.version);
  const audit: AuditList = await c.audit();
  const health: Record<string, unknown> = await c.healthz();
  const metrics: string = await c.metrics();
  const options: SessionOptions = { purpose: "login", waitSecs: 5, ttlSecs: 30 };
  {
    await using s: Session = await c.session("acme", options);
    const id: string = s.sessionId;
    const fence: number = s.fencingToken;
    const phase: "login" | "active" | "released" = s.phase;
    const exp: number = s.expiresAt;
    const sk2: DataKey = s.stateKey;
    using cred: Credential = await s.access();
    cred.checkOrigin("https://acme.test/login");
    const name: string = cred.username;
    const pw: SecretText = cred.password;
    const text: string = pw.expose();
    const pin: SecretText | undefined = cred.fields["pin"];
    const otp: OneTimeCode = await s.totp(5);
    const code6: string = otp.code.expose();
    const left2: number = otp.secondsLeft;
    const tfa: TfaCode | null = await s.waitForTfaCode({ timeoutSecs: 30, since: 1_700_000_000 });
    const tfaCode: string | undefined = tfa?.code?.expose();
    const channel: "email" | "sms" | undefined = tfa?.channel;
    const received: number | undefined = tfa?.receivedAt;
    const none: TfaCode | null = await s.waitForTfaCode();
    void [tfaCode, channel, received, none, tfa?.link];
    await s.heartbeat();
    await s.loginComplete();
    void [id, fence, phase, exp, sk2, name, text, pin, code6, left2];
  }
  const s2 = await c.session("acme");
  await s2.release();
  checkOrigin("https://a.test/", "https://a.test/x");
  try {
    await c.me();
  } catch (e: unknown) {
    if (isSealVaultError(e)) {
      const status: number | undefined = e.status;
      const cv2: number | undefined = e.currentVersion;
      const kid: string | undefined = e.currentKeyId;
      const ra: number | undefined = e.retryAfterSecs;
      const tc: SealVaultErrorCode = e.code === "transport" ? "transport" : e.code;
      void [status, cv2, kid, ra, tc];
    }
  }
  void [url, limit, me, tokens, key, rotated, list, envBytes, audit, health, metrics];
}
void client;

// Browser state, proxies and the Playwright helpers (a structural stand-in
// for playwright-core's types, which this consumer does not install).
async function browserState(s: Session, context: BrowserContextLike, browser: BrowserLike): Promise<void> {
  const state: BrowserState = { cookies: [], origins: [{ origin: "https://a.test", localStorage: [], sessionStorage: [{ name: "k", value: "v" }] }] };
  const written: SessionStateWritten = await s.saveState(state);
  const loaded: BrowserState | null = await s.loadState();
  await s.deleteState();
  const answer: ProxyAnswer = await s.resolveProxy({ url: "http://proxy.test:3128", ip: null });
  const none: ProxyAnswer = await s.resolveProxy();
  const url: string | undefined = answer.proxy?.url.expose();
  const source: "credential" | "workflow" | "none" = none.source;
  const config: CredentialConfig | null = s.config;
  const captured: BrowserState = await captureContext(context);
  const saved: SessionStateWritten = await saveContext(s, context);
  const { context: restoredContext, restored } = await restoreContext(s, browser, { viewport: null });
  const script: string | null = sessionStorageScript(state);
  void [written.version, loaded, url, source, config, captured, saved, restoredContext, restored, script];
}
void browserState;
