//! `demo-site`: the stand-in website SealVault's browser agents log in to
//! in tests. A test fixture, not a real site (see README.md).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use demo_site::accounts::Account;
use demo_site::{Config, app, serve};
use tracing_subscriber::EnvFilter;

/// A stand-in website for SealVault's agent tests (no real security).
#[derive(Parser)]
#[command(name = "demo-site", version)]
struct Args {
    /// Address to listen on (port 0: any free port; the bound address is printed).
    #[arg(long, env = "DEMO_LISTEN", default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// A JSON file holding a list of accounts.
    #[arg(long, env = "DEMO_ACCOUNTS")]
    accounts: Option<PathBuf>,
    /// host:port of the SMTP server emailed codes go to (plain SMTP).
    #[arg(long, env = "DEMO_SMTP")]
    smtp: Option<String>,
    /// The vault's Twilio webhook URL (…/v1/inbound/sms/twilio) texted codes are posted to.
    #[arg(long, env = "DEMO_TWILIO_URL")]
    twilio_url: Option<String>,
    /// The Twilio auth token the webhook is signed with.
    #[arg(long, env = "DEMO_TWILIO_AUTH_TOKEN", hide_env_values = true)]
    twilio_token: Option<String>,
    /// The E.164 number texted codes come from.
    #[arg(long, env = "DEMO_SMS_FROM")]
    sms_from: Option<String>,
}

fn load_accounts(path: &PathBuf) -> Result<Vec<Account>, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("parsing {}: {e}", path.display()))
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("demo-site: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let accounts = match &args.accounts {
        Some(path) => load_accounts(path)?,
        None => Vec::new(),
    };
    let router = app(Config {
        accounts,
        smtp: args.smtp,
        twilio_url: args.twilio_url,
        twilio_token: args.twilio_token,
        sms_from: args.sms_from,
    })
    .map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("binding {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "demo-site listening on http://{addr}").map_err(|e| e.to_string())?;
    stdout.flush().map_err(|e| e.to_string())?;
    serve(listener, router).await.map_err(|e| e.to_string())
}
