//! `sealvault-server`: the SealVault vault (see the crate docs and DESIGN §8).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sealvault::wire::{CreateToken, Scope};
use sealvault_server::app;
use sealvault_server::config::Config;

#[derive(Parser)]
#[command(
    name = "sealvault-server",
    version,
    about = "The SealVault vault server"
)]
struct Cli {
    /// TOML configuration file; SEALVAULT_* variables override it.
    #[arg(long, global = true, env = "SEALVAULT_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve {
        /// Generate (once) a development master key in the data folder.
        #[arg(long)]
        dev: bool,
    },
    /// Run pending database migrations.
    Migrate,
    /// Create a user; prints its id.
    CreateUser {
        /// Display name.
        name: String,
    },
    /// Mint a token; prints the secret once.
    CreateToken {
        /// User id.
        #[arg(long)]
        user: String,
        /// Token name.
        #[arg(long, default_value = "cli")]
        name: String,
        /// Comma-separated scopes (admin, keys:use, keys:rotate, secrets:write, secrets:access, sessions).
        #[arg(long, value_delimiter = ',')]
        scopes: Vec<String>,
        /// Comma-separated item allow-list (ids or prefix*).
        #[arg(long, value_delimiter = ',')]
        items: Option<Vec<String>>,
        /// Lifetime in seconds (default 90 days).
        #[arg(long)]
        ttl_secs: Option<u64>,
    },
    /// Check the audit chain; exits non-zero on a removed or altered record.
    VerifyAudit,
    /// Re-wrap every data key and vault key under the active master key.
    RotateMasterKey,
    /// Create the AES-256 key of `pkcs11` master keys on their tokens (if absent).
    HsmInit {
        /// Only this [[master_keys]] member.
        #[arg(long)]
        member: Option<String>,
    },
    /// Rotate users' data keys, re-sealing their envelopes (progress on stderr).
    RotateDataKeys {
        /// Only this user (default: every user with a data key).
        #[arg(long)]
        user: Option<String>,
    },
}

fn init_logging(config: &Config) {
    let filter = config
        .log
        .clone()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| "info,sqlx=warn".to_owned());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}

fn scopes(names: &[String]) -> Result<Vec<Scope>, String> {
    names
        .iter()
        .map(|n| {
            serde_json::from_value(serde_json::Value::String(n.clone()))
                .map_err(|_| format!("unknown scope {n:?}"))
        })
        .collect()
}

async fn run(cli: Cli, config: Config) -> Result<(), String> {
    match cli.command {
        Command::Serve { dev } => app::serve(config, dev).await,
        Command::Migrate => app::migrate(&config).await,
        Command::CreateUser { name } => app::create_user(&config, &name).await,
        Command::CreateToken {
            user,
            name,
            scopes: names,
            items,
            ttl_secs,
        } => {
            let request = CreateToken {
                name,
                scopes: scopes(&names)?,
                items,
                ttl_secs,
            };
            app::create_token(&config, &user, &request).await
        }
        Command::RotateMasterKey => app::rotate_master_key(&config).await,
        Command::HsmInit { member } => {
            let lines = sealvault_server::keys::hsm_init(&config, member.as_deref())?;
            lines.iter().for_each(|line| println!("{line}"));
            Ok(())
        }
        Command::RotateDataKeys { user } => app::rotate_data_keys(&config, user.as_deref()).await,
        Command::VerifyAudit => {
            let count = app::verify_audit(&config).await?;
            println!("audit log OK: {count} records");
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    init_logging(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
