//! Rewrites `testdata/envelope-v1.json` from the deterministic generator.
//!
//! `cargo run -p sealvault --example gen-vectors --features hazmat`

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let vectors = sealvault::hazmat::vectors::generate()?;
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/envelope-v1.json");
    let mut text = serde_json::to_string_pretty(&vectors)?;
    text.push('\n');
    std::fs::write(&path, text)?;
    println!("wrote {}", path.display());
    Ok(())
}
