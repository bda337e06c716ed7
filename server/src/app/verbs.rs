//! Admin verbs: `migrate`, `create-user`, `create-token`, `verify-audit`.

use sealvault::wire::{CreateToken, Scope};

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
