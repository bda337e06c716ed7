//! The README's main command: the quickstart runs every step and exits 0.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::Command;

#[test]
fn quickstart_prints_every_step_and_succeeds() {
    let out = Command::new(env!("CARGO_BIN_EXE_quickstart"))
        .output()
        .expect("quickstart runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "quickstart failed:\n{stdout}\n{stderr}"
    );
    for step in 1..=13 {
        assert!(
            stdout.contains(&format!("{step:>2}. ")),
            "step {step} missing:\n{stdout}"
        );
    }
    assert!(stdout.contains("every step passed"), "{stdout}");
    for shout in ["DOES NOT MATCH", "ACCEPTED", "INVALID", "GRANTED"] {
        assert!(!stdout.contains(shout), "{stdout}");
    }
}

#[test]
fn seal_open_runs() {
    let out = Command::new(env!("CARGO_BIN_EXE_seal_open"))
        .output()
        .expect("seal_open runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
