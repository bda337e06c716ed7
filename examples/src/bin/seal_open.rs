//! Seal and open a credential with no server: the core flow in one run.
//!
//! `cargo run --release -p sealvault-examples --bin seal_open`

use sealvault::{
    Context, DataKey, ItemInfo, Zeroizing, envelope_key, inspect, open, open_with_envelope_key,
    seal_item, state_key,
};

/// The error code of a refused open.
fn refusal(result: sealvault::Result<Zeroizing<Vec<u8>>>) -> &'static str {
    result.err().map_or("accepted (unexpected)", |e| e.code())
}

fn main() -> Result<(), sealvault::Error> {
    // A data key for offline use (the vault mints the real ones).
    let dk = DataKey::generate();
    println!(
        "1. data key generated (id {}; its bytes never print)",
        dk.key_id()
    );

    let config =
        serde_json::json!({"name": "acme-portal", "login_url": "https://portal.acme.test/login"});
    let info = ItemInfo::credential("usr_demo", "acme", 1, &config);
    let plaintext =
        br#"{"username":"alice","password":"correct horse battery staple","fields":{}}"#;
    let envelope = seal_item(&dk, &info, &Context::new(), plaintext)?;
    println!("2. credential sealed: {} bytes", envelope.len());

    let header = inspect(&envelope)?;
    println!(
        "3. header (public): key_id {} context {:?}",
        header.key_id, header.context
    );

    let opened = open(&dk, &envelope, &info.context()?)?;
    let credential: serde_json::Value =
        serde_json::from_slice(&opened).map_err(|_| sealvault::Error::Integrity)?;
    println!(
        "4. opened with the data key: username {}, password opened ({} chars, not shown)",
        credential["username"],
        credential["password"].as_str().map_or(0, str::len)
    );

    let ek = envelope_key(&dk, &envelope)?;
    let via_ek = open_with_envelope_key(&ek, &envelope, &info.context()?)?;
    println!(
        "5. opened with its envelope key alone (what an agent gets): {}",
        via_ek[..] == opened[..]
    );

    let mut tampered = envelope.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    println!(
        "6. one flipped bit is refused: {}",
        refusal(open(&dk, &tampered, &info.context()?))
    );

    let other_item = ItemInfo::credential("usr_demo", "bank", 1, &config);
    println!(
        "7. opened as another item is refused: {}",
        refusal(open(&dk, &envelope, &other_item.context()?))
    );

    let sk = state_key(&dk, "usr_demo", "acme")?;
    let state = seal_item(
        &sk,
        &ItemInfo::session_state("usr_demo", "acme", 1),
        &Context::new(),
        br#"{"cookies":[]}"#,
    )?;
    let refused = refusal(open(&dk, &state, &Context::new()));
    println!(
        "8. browser state sealed under the state key ({} bytes); the data key alone does not open it: {}",
        state.len(),
        refused
    );
    println!("done");
    Ok(())
}
