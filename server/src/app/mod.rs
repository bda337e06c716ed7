//! Start-up (keyring, database, migrations, vault keys, state), `serve`
//! with graceful shutdown, and the admin verbs.

mod embed;
mod inbound;
mod verbs;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use sha2::Digest;

use crate::api::{self, AppState, Inner};
use crate::audit::Auditor;
use crate::auth::RateLimiter;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::datakeys::cache::KeyCache;
use crate::keys::{Keyring, LocalProvider, load_vault_key};
use crate::metrics::Metrics;
use crate::now;
use crate::proxies::{Pool, health};
use crate::storage::{self, Store};

pub use embed::Embedded;
pub use verbs::{
    create_token, create_user, migrate, rotate_data_keys, rotate_master_key, verify_audit,
};

/// Id of the development master key `serve --dev` generates.
pub const DEV_KEY_ID: &str = "dev";
/// File name of the development master key, in the data folder.
pub const DEV_KEY_FILE: &str = "sealvault-dev-master.key";

/// The keyring the config describes; with `dev` and no keys, a generated
/// development key in the data folder.
pub fn keyring(config: &Config, dev: bool) -> Result<Keyring, String> {
    if config.master_keys.is_empty() {
        if !dev {
            return Err("no master key configured: set SEALVAULT_MASTER_KEY_FILE (32 raw bytes or base64), \
                        add [[master_keys]] to the config file, or run `serve --dev` for a throwaway development key"
                .into());
        }
        return dev_keyring(&config.data_dir());
    }
    let members = config
        .master_keys
        .iter()
        .map(crate::keys::member_provider)
        .collect::<Result<Vec<_>, _>>()?;
    let active: Vec<&str> = config
        .master_keys
        .iter()
        .filter(|m| m.active)
        .map(|m| m.id.as_str())
        .collect();
    let [active] = active.as_slice() else {
        return Err("exactly one [[master_keys]] member must be `active = true`".into());
    };
    Keyring::new(members, active).map_err(|e| e.to_string())
}

fn dev_keyring(dir: &Path) -> Result<Keyring, String> {
    let path = dir.join(DEV_KEY_FILE);
    if !path.exists() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let mut key = zeroize::Zeroizing::new([0u8; 32]);
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, key.as_mut_slice());
        write_private(&path, key.as_slice())?;
    }
    tracing::warn!(
        path = %path.display(),
        "DEVELOPMENT MODE: using a generated master key stored next to the database. \
         Anyone who can read this file and the database can read every credential. Never use --dev in production."
    );
    let provider = LocalProvider::from_file(DEV_KEY_ID, &path).map_err(|e| e.to_string())?;
    Keyring::new(vec![Arc::new(provider)], DEV_KEY_ID).map_err(|e| e.to_string())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(bytes)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Opens the database and runs the migrations.
pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>, String> {
    let store = storage::connect(&config.database_url)
        .await
        .map_err(|e| format!("database: {e}"))?;
    store
        .migrate()
        .await
        .map_err(|e| format!("migrations: {e}"))?;
    Ok(Arc::from(store))
}

/// Everything `serve` and the verbs need, on the system clock.
pub async fn state(config: &Config, dev: bool) -> Result<AppState, String> {
    state_with_clock(config, dev, Arc::new(SystemClock)).await
}

/// [`state`] reading time for the session-state code paths from `clock`.
pub async fn state_with_clock(
    config: &Config,
    dev: bool,
    clock: Arc<dyn Clock>,
) -> Result<AppState, String> {
    let metrics = Arc::new(Metrics::new());
    let keyring = Arc::new(keyring(config, dev)?.with_metrics(metrics.clone()));
    let proxies = Arc::new(Pool::from_config(config)?);
    let store = open_store(config).await?;
    let mut tx = store.write().await.map_err(|e| e.to_string())?;
    let audit_key = load_vault_key(tx.as_mut(), &keyring, "audit", now())
        .await
        .map_err(|e| e.to_string())?;
    let inbound_key = load_vault_key(tx.as_mut(), &keyring, "inbound", now())
        .await
        .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    let limits = config.limits.clone();
    let admin = config.admin_token()?;
    let inbound = Arc::new(
        crate::inbound::Inbound::new(&config.inbound, inbound_key)?
            .with_https(config.tls.is_some()),
    );
    let key_cache = Arc::new(KeyCache::new(
        config.key_cache.entries,
        std::time::Duration::from_secs(config.key_cache.ttl_secs),
    ));
    crate::datakeys::cache::spawn_purger(&key_cache);
    Ok(AppState(Arc::new(Inner {
        key_cache,
        auditor: Auditor::new(audit_key, store.clone(), metrics.clone()),
        store,
        keyring,
        metrics,
        admin_token_hash: admin
            .map(|t| sha2::Sha256::digest(t.expose_secret().as_bytes()).to_vec()),
        auth_failures: RateLimiter::new(limits.failed_auth_per_minute),
        access_limiter: RateLimiter::new(limits.access_per_minute),
        totp_limiter: RateLimiter::new(limits.totp_per_minute),
        inbound_limiter: RateLimiter::new(limits.inbound_per_minute),
        proxies,
        limits,
        clock,
        inbound,
    })))
}

/// `serve`: binds, logs `listening on <addr>`, serves until SIGINT/SIGTERM,
/// then drains in-flight requests.
pub async fn serve(config: Config, dev: bool) -> Result<(), String> {
    let state = state(&config, dev).await?;
    let _checker = health::Checker::new(health::spawn(state.clone()).await?);
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(
        backend = state.store.backend(),
        master_key = state.keyring.active_id(),
        scheme = if config.tls.is_some() {
            "https"
        } else {
            "http"
        },
        "listening on {addr}"
    );
    let sweeper = crate::session_state::spawn_sweeper(state.clone(), sweep_interval(&config));
    let _inbound = inbound::start(&config, &state).await?;
    let app = api::router(state).into_make_service_with_connect_info::<SocketAddr>();
    let _sweeper = AbortOnDrop(sweeper);
    match &config.tls {
        None => axum::serve(listener, app)
            .with_graceful_shutdown(shutdown())
            .await
            .map_err(|e| e.to_string())?,
        Some(tls) => serve_tls(listener, app, tls).await?,
    }
    tracing::info!("shut down");
    Ok(())
}

/// The session-state sweeper's period.
fn sweep_interval(config: &Config) -> std::time::Duration {
    std::time::Duration::from_secs(config.session_state.sweep_interval_secs.max(1))
}

/// Aborts a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// HTTPS with rustls (ring provider), draining on shutdown like plain HTTP.
async fn serve_tls(
    listener: tokio::net::TcpListener,
    app: axum::extract::connect_info::IntoMakeServiceWithConnectInfo<axum::Router, SocketAddr>,
    tls: &crate::config::TlsConfig,
) -> Result<(), String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rustls = axum_server::tls_rustls::RustlsConfig::from_pem_file(&tls.cert, &tls.key)
        .await
        .map_err(|e| {
            format!(
                "TLS certificate or key ({} / {}): {e}",
                tls.cert.display(),
                tls.key.display()
            )
        })?;
    let listener = listener.into_std().map_err(|e| e.to_string())?;
    let handle = axum_server::Handle::new();
    let on_signal = handle.clone();
    tokio::spawn(async move {
        shutdown().await;
        on_signal.graceful_shutdown(Some(std::time::Duration::from_secs(30)));
    });
    axum_server::from_tcp_rustls(listener, rustls)
        .handle(handle)
        .serve(app)
        .await
        .map_err(|e| e.to_string())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: draining requests");
}
