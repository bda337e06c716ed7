//! Keyring members from `[[master_keys]]` tables: the provider each names,
//! with its settings checked. `pkcs11` and `aws-kms` need the cargo features
//! of the same names; without them the server says so and refuses to start.

use std::sync::Arc;

use super::provider::{LocalProvider, MasterKeyProvider};
use crate::config::MasterKeyConfig;

fn need<'a, T: ?Sized>(
    m: &MasterKeyConfig,
    value: Option<&'a T>,
    field: &str,
) -> Result<&'a T, String> {
    value.ok_or_else(|| {
        format!(
            "master key {:?} ({}): `{field}` is required",
            m.id, m.provider
        )
    })
}

/// The provider a member describes; HSM sessions are opened (and the PIN
/// checked) now.
pub fn provider(m: &MasterKeyConfig) -> Result<Arc<dyn MasterKeyProvider>, String> {
    let provider: Arc<dyn MasterKeyProvider> = match m.provider.as_str() {
        "file" => Arc::new(
            LocalProvider::from_file(&m.id, need(m, m.path.as_deref(), "path")?)
                .map_err(|e| e.to_string())?,
        ),
        "env" => Arc::new(
            LocalProvider::from_env(&m.id, need(m, m.env.as_deref(), "env")?)
                .map_err(|e| e.to_string())?,
        ),
        "pkcs11" => pkcs11_provider(m)?,
        "aws-kms" => kms_provider(m)?,
        other => {
            return Err(format!(
                "master key {:?}: unknown provider {other:?} (file, env, pkcs11, aws-kms)",
                m.id
            ));
        }
    };
    Ok(provider)
}

#[cfg(feature = "pkcs11")]
fn pkcs11_provider(m: &MasterKeyConfig) -> Result<Arc<dyn MasterKeyProvider>, String> {
    let provider = super::pkcs11::Pkcs11Provider::connect(&m.id, pkcs11_settings(m)?)
        .map_err(|e| e.to_string())?;
    Ok(Arc::new(provider))
}

#[cfg(feature = "aws-kms")]
fn kms_provider(m: &MasterKeyConfig) -> Result<Arc<dyn MasterKeyProvider>, String> {
    Ok(Arc::new(super::kms::KmsProvider::new(
        &m.id,
        kms_settings(m)?,
    )))
}

#[cfg(not(feature = "pkcs11"))]
fn pkcs11_provider(m: &MasterKeyConfig) -> Result<Arc<dyn MasterKeyProvider>, String> {
    Err(without_feature(m))
}

#[cfg(not(feature = "aws-kms"))]
fn kms_provider(m: &MasterKeyConfig) -> Result<Arc<dyn MasterKeyProvider>, String> {
    Err(without_feature(m))
}

#[cfg(not(all(feature = "pkcs11", feature = "aws-kms")))]
fn without_feature(m: &MasterKeyConfig) -> String {
    format!(
        "master key {:?}: provider {:?} needs a server built with the cargo feature of that name",
        m.id, m.provider
    )
}

/// The `pkcs11` settings of a member, with the PIN read from its variable
/// or file.
#[cfg(feature = "pkcs11")]
pub fn pkcs11_settings(m: &MasterKeyConfig) -> Result<super::pkcs11::Pkcs11Settings, String> {
    use zeroize::Zeroizing;
    let pin = match (&m.pin_env, &m.pin_file) {
        (Some(var), None) => Zeroizing::new(
            std::env::var(var)
                .map_err(|_| format!("master key {:?}: PIN variable {var} is not set", m.id))?,
        ),
        (None, Some(path)) => {
            let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
                format!(
                    "master key {:?}: cannot read PIN file {}: {e}",
                    m.id,
                    path.display()
                )
            })?);
            Zeroizing::new(text.trim_end_matches(['\r', '\n']).to_owned())
        }
        _ => {
            return Err(format!(
                "master key {:?} (pkcs11): set exactly one of `pin_env` and `pin_file`",
                m.id
            ));
        }
    };
    Ok(super::pkcs11::Pkcs11Settings {
        module: need(m, m.module.as_deref(), "module")?.to_path_buf(),
        token_label: need(m, m.token_label.as_deref(), "token_label")?.to_owned(),
        key_label: need(m, m.key_label.as_deref(), "key_label")?.to_owned(),
        pin,
    })
}

#[cfg(feature = "aws-kms")]
fn kms_settings(m: &MasterKeyConfig) -> Result<super::kms::KmsSettings, String> {
    Ok(super::kms::KmsSettings {
        key_id: need(m, m.key_id.as_deref(), "key_id")?.to_owned(),
        region: m.region.clone(),
        endpoint: m.endpoint.clone(),
    })
}

/// `hsm-init [--member ID]`: creates the AES-256 key of every `pkcs11`
/// member (or of `member`) on its token unless one with its label exists;
/// one line per member says which.
pub fn hsm_init(
    config: &crate::config::Config,
    member: Option<&str>,
) -> Result<Vec<String>, String> {
    let members: Vec<&MasterKeyConfig> = config
        .master_keys
        .iter()
        .filter(|m| m.provider == "pkcs11" && member.is_none_or(|id| id == m.id))
        .collect();
    if members.is_empty() {
        return Err("no matching [[master_keys]] member with provider = \"pkcs11\"".into());
    }
    members.into_iter().map(init_one).collect()
}

#[cfg(feature = "pkcs11")]
fn init_one(m: &MasterKeyConfig) -> Result<String, String> {
    let settings = pkcs11_settings(m)?;
    let (key, token) = (settings.key_label.clone(), settings.token_label.clone());
    let created =
        super::pkcs11::Pkcs11Provider::init_key(&m.id, settings).map_err(|e| e.to_string())?;
    let what = if created {
        "created"
    } else {
        "already present:"
    };
    Ok(format!(
        "{}: {what} AES-256 key {key:?} on token {token:?}",
        m.id
    ))
}

#[cfg(not(feature = "pkcs11"))]
fn init_one(m: &MasterKeyConfig) -> Result<String, String> {
    Err(format!(
        "master key {:?}: hsm-init needs a server built with the cargo feature \"pkcs11\"",
        m.id
    ))
}
