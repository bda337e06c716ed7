//! Admin verbs: `migrate`, `create-user`, `create-token`, `verify-audit`,
//! `rotate-master-key`, `rotate-data-keys`.

use sealvault::KeyId;
use sealvault::wire::{CreateToken, ErrorCode, Scope};

use crate::config::Config;

/// `migrate`: runs pending migrations and exits.
pub async fn migrate(config: &Config) -> Result<(), String> {
    let store = super::open_store(config).await?;
    println!("migrations applied ({})", store.backend());
    Ok(())
}

/// `create-user NAME`: prints the new user's id.
pub async fn create_user(config: &Config, name: &str) -> Result<(), String> {
    let state = super::state(config, false).await?;
    let admin = crate::auth::Principal {
        user_id: None,
        token_id: None,
        scopes: vec![Scope::Admin],
        items: None,
        expires_at: None,
    };
    let user = crate::users::create_user(&state, &admin, name)
        .await
        .map_err(|e| e.message)?;
    println!("{}", user.id);
    Ok(())
}

/// `create-token`: prints the secret once.
pub async fn create_token(
    config: &Config,
    user: &str,
    request: &CreateToken,
) -> Result<(), String> {
    let state = super::state(config, false).await?;
    let token = crate::users::mint_token(&state, None, user, request)
        .await
        .map_err(|e| e.message)?;
    // The token is shown once, to the operator's stdout (as the API's 201
    // shows it once); it is never logged and only its SHA-256 is stored.
    println!("{}", token.token.expose_secret());
    Ok(())
}

/// `verify-audit`: walks the chain; an error names the first bad record.
pub async fn verify_audit(config: &Config) -> Result<u64, String> {
    let state = super::state(config, false).await?;
    match state.auditor.verify().await.map_err(|e| e.to_string())? {
        Ok(count) => Ok(count),
        Err(problem) => Err(format!("audit log check FAILED: {problem}")),
    }
}

/// `rotate-master-key`: re-wraps every data key and vault key that another
/// member wraps under the active member, in one transaction, then names
/// the members nothing references any more (safe to remove from the config).
pub async fn rotate_master_key(config: &Config) -> Result<(), String> {
    let state = super::state(config, false).await?;
    let keyring = &state.keyring;
    let active = keyring.active_id().to_owned();
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let mut tx = state.store.write().await.map_err(|e| err(&e))?;
    let mut rewrapped = 0u64;
    for row in tx.all_data_keys().await.map_err(|e| err(&e))? {
        if row.mk_id == active {
            continue;
        }
        let key = keyring.unwrap_data_key(&row).await.map_err(|e| err(&e))?;
        let (mk_id, wrapped) = keyring
            .wrap_data_key(&row.user_id, &key)
            .await
            .map_err(|e| err(&e))?;
        tx.rewrap_data_key(&row.key_id, &mk_id, &wrapped)
            .await
            .map_err(|e| err(&e))?;
        rewrapped += 1;
    }
    for name in ["audit", "inbound"] {
        let Some(row) = tx.vault_key(name).await.map_err(|e| err(&e))? else {
            continue;
        };
        if row.mk_id == active {
            continue;
        }
        let key = keyring.unwrap_vault_key(&row).await.map_err(|e| err(&e))?;
        let (mk_id, wrapped) = keyring
            .wrap_vault_key(name, &key)
            .await
            .map_err(|e| err(&e))?;
        tx.rewrap_vault_key(name, &mk_id, &wrapped)
            .await
            .map_err(|e| err(&e))?;
        rewrapped += 1;
    }
    let detail = serde_json::json!({ "active": active, "rewrapped": rewrapped });
    let event = crate::audit::Event::new("master_key.rotate").detail(detail);
    state
        .auditor
        .append(tx.as_mut(), event, crate::now())
        .await
        .map_err(|e| err(&e))?;
    tx.commit().await.map_err(|e| err(&e))?;
    let retired: Vec<&str> = config
        .master_keys
        .iter()
        .map(|m| m.id.as_str())
        .filter(|id| *id != active)
        .collect();
    println!(
        "re-wrapped {rewrapped} keys under master key {active:?}; no longer used: {retired:?} (remove them from the config)"
    );
    Ok(())
}

/// `rotate-data-keys [--user ID]`: rotates the data key of every user that
/// has one (or of `user`), re-sealing their envelopes, with a progress bar
/// over the credentials on stderr. A key rotated meanwhile by someone else
/// counts as done.
pub async fn rotate_data_keys(config: &Config, user: Option<&str>) -> Result<(), String> {
    let state = super::state(config, false).await?;
    let err = |e: crate::storage::StoreError| e.to_string();
    let mut tx = state.store.read().await.map_err(err)?;
    let keys = match user {
        Some(user) => vec![
            tx.data_key(user)
                .await
                .map_err(err)?
                .ok_or_else(|| format!("user {user:?} has no data key"))?,
        ],
        None => tx.all_data_keys().await.map_err(err)?,
    };
    let mut total = 0;
    for key in &keys {
        total += u64::try_from(tx.count_credentials(&key.user_id).await.map_err(err)?).unwrap_or(0);
    }
    drop(tx);
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} credentials ({eta})")
    {
        bar.set_style(style);
    }
    let (mut rotated, mut skipped, mut reencrypted) = (0u64, 0u64, 0u64);
    for key in &keys {
        let principal = crate::auth::Principal {
            user_id: Some(key.user_id.clone()),
            token_id: None,
            scopes: vec![Scope::KeysRotate],
            items: None,
            expires_at: None,
        };
        let expected = KeyId::from_slice(&key.key_id).map_err(|e| e.to_string())?;
        bar.set_message(format!("user {}", key.user_id));
        let base = bar.position();
        let progress = |done: u64, _total: u64| bar.set_position(base + done);
        match crate::datakeys::rotate_with_progress(&state, &principal, expected, &progress).await {
            Ok(done) => {
                rotated += 1;
                reencrypted += done.reencrypted;
            }
            Err(e) if e.code == ErrorCode::StaleDataKey => skipped += 1,
            Err(e) => {
                bar.abandon();
                return Err(format!("user {}: {}", key.user_id, e.message));
            }
        }
    }
    bar.finish_and_clear();
    println!(
        "rotated the data keys of {rotated} users ({reencrypted} envelopes re-sealed); {skipped} rotated meanwhile by another caller"
    );
    Ok(())
}
