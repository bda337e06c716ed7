//! TOTP and HOTP (RFC 4226, RFC 6238) — being written; see issue 3.
