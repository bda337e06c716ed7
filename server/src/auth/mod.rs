//! Bearer tokens (DESIGN §8): minting, hashing, the [`Principal`] extractor,
//! scopes and item allow-lists, and the failed-auth rate limit.
//!
//! # Security
//! Tokens are 256 random bits, shown once, stored as SHA-256. The lookup is
//! by hash and the stored hash is compared again in constant time. The
//! Authorization header is never logged.

mod limiter;
mod principal;
mod tokens;

pub use limiter::RateLimiter;
pub use principal::Principal;
pub use tokens::{hash_secret, new_id, new_secret, validate_patterns};
