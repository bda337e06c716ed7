//! SealVault end to end on the embedded default, in one run: a vault
//! in-process (SQLite in a temp dir, a development master key), a user
//! with an owner token and an agent token limited to one item, a credential
//! with a TOTP seed sealed on the client, a login lease, leased access, a
//! server-side TOTP code checked on the client, a data-key rotation, and
//! access again. Secrets never print.
//!
//! `cargo run --release -p sealvault-examples --bin quickstart`

use std::time::{SystemTime, UNIX_EPOCH};

use rand::distributions::Alphanumeric;
use rand::{Rng, RngCore};
use sealvault::Totp;
use sealvault::client::{Client, ClientError, Credential, Purpose};
use sealvault::totp::{Algorithm, Secret};
use sealvault::wire::{CreateToken, ErrorCode, Scope};
use sealvault_server::app::Embedded;
use sealvault_server::config::Config;

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("quickstart failed: {e} (code {})", e.code());
        std::process::exit(1);
    }
}

async fn run() -> Result<(), ClientError> {
    let dir = tempfile::tempdir().map_err(|e| fail(format!("temp dir: {e}")))?;
    let admin_token = random_text(32);
    let vault = start_vault(dir.path(), &admin_token).await?;
    let url = vault.base_url();
    step(
        1,
        format!(
            "vault listening on {url} (SQLite in {}, development master key)",
            dir.path().display()
        ),
    );

    let admin = Client::new(&url, &admin_token)?;
    let user = admin.create_user("demo-user").await?;
    let owner_token = admin
        .create_token(&user.id, &token("owner", OWNER_SCOPES, None))
        .await?;
    let agent_token = admin
        .create_token(
            &user.id,
            &token("agent", AGENT_SCOPES, Some(vec!["acme".into()])),
        )
        .await?;
    step(
        2,
        format!(
            "user {} with an owner token and an agent token limited to item \"acme\"",
            user.id
        ),
    );

    let owner = Client::new(&url, owner_token.token.expose_secret())?;
    let agent = Client::new(&url, agent_token.token.expose_secret())?;
    let first_key = owner.create_data_key().await?.key_id();
    step(
        3,
        format!("data key {first_key} created by the vault, wrapped by its master key"),
    );

    let config = serde_json::json!({
        "name": "acme-portal",
        "login_url": "https://portal.acme.test/login",
        "tfa": {"method": "AUTHENTICATOR"},
        "concurrency": {"allow_multiple": false}
    });
    let password = random_text(24);
    let totp = Totp::new(
        Secret::from_bytes(&random_bytes(20))?,
        Algorithm::Sha1,
        6,
        30,
    )?;
    let written = owner
        .put_credential(
            "acme",
            &Credential::new("alice@acme.test", password.as_str()),
            Some(&totp),
            &config,
        )
        .await?;
    step(
        4,
        format!(
            "credential \"acme\" and its TOTP seed sealed on the client, verified and stored: version {}",
            written.version
        ),
    );

    let session = agent.session("acme", Purpose::Login).await?;
    step(
        5,
        format!(
            "agent took login lease {} (fencing token {})",
            session.session_id(),
            session.fencing_token()
        ),
    );
    let credential = session.access().await?;
    let opened = credential.password.expose_secret() == password.as_str();
    step(
        6,
        format!(
            "agent opened the credential: username {}, password opened ({}; never printed)",
            credential.username,
            if opened {
                "matches what the owner sealed"
            } else {
                "DOES NOT MATCH"
            }
        ),
    );
    credential.check_origin("https://portal.acme.test/login?next=/home")?;
    let phishing = credential
        .check_origin("https://portal.acme.test.evil.example/login")
        .is_err();
    step(
        7,
        format!(
            "origin check: login page accepted, look-alike page {}",
            if phishing { "refused" } else { "ACCEPTED" }
        ),
    );

    let code = session.totp(5).await?;
    let valid = totp.verify(code.code.expose_secret(), now(), 0)?.is_some();
    step(
        8,
        format!(
            "vault computed the TOTP code ({} s left); client-side check: {}",
            code.seconds_left,
            if valid { "valid" } else { "INVALID" }
        ),
    );
    session.login_complete().await?;
    session.release().await?;
    step(9, "login complete, lease released".into());

    let outside = agent.session("elsewhere", Purpose::Login).await.err();
    step(
        10,
        format!(
            "agent asking for an item outside its list: {}",
            outside.as_ref().map_or("GRANTED", |e| e.code())
        ),
    );

    let rotated = owner.rotate_data_key(first_key).await?;
    step(
        11,
        format!(
            "data key rotated: {} -> {}, {} envelopes re-sealed",
            first_key, rotated.key_id, rotated.reencrypted
        ),
    );

    let session = agent.session("acme", Purpose::Login).await?;
    let again = session.access().await?.password.expose_secret() == password.as_str();
    session.login_complete().await?;
    session.release().await?;
    step(
        12,
        format!(
            "agent accessed again after rotation: password {}",
            if again {
                "opened and matches"
            } else {
                "DOES NOT MATCH"
            }
        ),
    );

    let records = owner.audit().await?.items.len();
    step(
        13,
        format!("audit log: {records} records for this user, HMAC-chained"),
    );
    vault.shutdown().await;

    let ok =
        opened && phishing && valid && again && outside.is_some_and(|e| e.is(ErrorCode::NotFound));
    if !ok {
        return Err(fail("a check above failed".into()));
    }
    println!("quickstart finished: every step passed");
    Ok(())
}

const OWNER_SCOPES: &[Scope] = &[Scope::KeysUse, Scope::KeysRotate, Scope::SecretsWrite];
const AGENT_SCOPES: &[Scope] = &[Scope::SecretsAccess, Scope::Sessions];

async fn start_vault(dir: &std::path::Path, admin_token: &str) -> Result<Embedded, ClientError> {
    let mut config = Config::load(None).map_err(fail)?;
    config.listen = "127.0.0.1:0".into();
    config.database_url = format!("sqlite://{}", dir.join("vault.db").display());
    config.data_dir = Some(dir.to_path_buf());
    config.master_keys.clear();
    config.admin_token = Some(sealvault::wire::SecretString::new(admin_token.to_owned()));
    config.admin_token_file = None;
    config.tls = None;
    Embedded::start(&config, true).await.map_err(fail)
}

fn token(name: &str, scopes: &[Scope], items: Option<Vec<String>>) -> CreateToken {
    CreateToken {
        name: name.into(),
        scopes: scopes.to_vec(),
        items,
        ttl_secs: Some(3600),
    }
}

fn step(n: u32, text: String) {
    println!("{n:>2}. {text}");
}

fn fail(message: String) -> ClientError {
    ClientError::Core(sealvault::Error::InvalidRequest(message))
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}

fn random_text(n: usize) -> sealvault::Zeroizing<String> {
    let rng = rand::thread_rng();
    sealvault::Zeroizing::new(
        rng.sample_iter(&Alphanumeric)
            .take(n)
            .map(char::from)
            .collect(),
    )
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
