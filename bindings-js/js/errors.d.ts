
/** Stable error codes (DESIGN.md §9; `invalid_totp` for TOTP input). */
export type SealVaultErrorCode =
  | "invalid_request" | "invalid_config" | "unauthorized" | "forbidden" | "not_found" | "request_timeout"
  | "version_conflict" | "salt_reuse" | "data_key_exists" | "no_number_available"
  | "ambiguous_recipient" | "stale_data_key" | "concurrency_limit" | "lease_required"
  | "stale_fencing_token" | "payload_too_large" | "malformed_envelope"
  | "unsupported_version" | "wrong_key" | "commitment_mismatch" | "integrity"
  | "context_mismatch" | "invalid_totp" | "login_in_progress" | "rate_limited"
  | "internal" | "master_key_unavailable" | "proxy_unavailable"
  /** The vault client: the request did not complete / the answer had an unexpected shape. */
  | "transport" | "protocol";

/** Every error SealVault throws: an `Error` with a stable `.code`. */
export declare class SealVaultError extends Error {
  constructor(message: string, code: SealVaultErrorCode);
  readonly name: "SealVaultError";
  readonly code: SealVaultErrorCode;
  /** Vault client, API errors: the HTTP status (absent for local errors). */
  readonly status?: number;
  /** With `version_conflict`: the item's current version. */
  readonly currentVersion?: number;
  /** With `stale_data_key`: the user's current data key id (hex). */
  readonly currentKeyId?: string;
  /** With `rate_limited` and some lease errors: seconds to wait. */
  readonly retryAfterSecs?: number;
  /** With `transport`: whether the vault may have received the request. */
  readonly sent?: boolean;
}

/** `await using s = await client.session(id)` releases the lease. */
export interface Session {
  [Symbol.asyncDispose](): Promise<void>;
}

/** Type guard: `e` is a SealVaultError. */
export declare function isSealVaultError(e: unknown): e is SealVaultError;

declare const sealvault: {
  DataKey: typeof DataKey; EnvelopeKey: typeof EnvelopeKey; SecretBytes: typeof SecretBytes;
  Totp: typeof Totp; Hotp: typeof Hotp; seal: typeof seal; sealItem: typeof sealItem;
  open: typeof open; envelopeKey: typeof envelopeKey; openWithEnvelopeKey: typeof openWithEnvelopeKey;
  stateKey: typeof stateKey; inspect: typeof inspect; configHash: typeof configHash;
  itemContext: typeof itemContext; decodeTotpSecret: typeof decodeTotpSecret;
  SecretText: typeof SecretText; Client: typeof Client; Session: typeof Session;
  Credential: typeof Credential; checkOrigin: typeof checkOrigin;
  SealVaultError: typeof SealVaultError; isSealVaultError: typeof isSealVaultError;
};
export default sealvault;
