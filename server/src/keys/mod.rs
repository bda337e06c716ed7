//! Master keys (DESIGN §3, §5): providers behind one async trait, a keyring
//! of them by id with one active member, and the wrapping of data keys and
//! vault-internal keys. `pkcs11` (an HSM) and `aws-kms` sit behind the cargo
//! features of the same names.

mod keyring;
#[cfg(feature = "aws-kms")]
pub mod kms;
mod members;
#[cfg(feature = "pkcs11")]
pub mod pkcs11;
mod provider;

pub use keyring::{Keyring, LoadError, MemberHealth, VaultKey, dk_aad, load_vault_key};
#[cfg(feature = "pkcs11")]
pub use members::pkcs11_settings;
pub use members::{hsm_init, provider as member_provider};
pub use provider::{KeyError, LocalProvider, MasterKeyProvider, parse_key_material};
