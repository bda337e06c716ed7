//! Master keys (DESIGN §3, §5): providers behind one async trait, a keyring
//! of them by id with one active member, and the wrapping of data keys and
//! vault-internal keys.

mod keyring;
mod provider;

pub use keyring::{Keyring, LoadError, VaultKey, dk_aad, load_vault_key};
pub use provider::{KeyError, LocalProvider, MasterKeyProvider, parse_key_material};
