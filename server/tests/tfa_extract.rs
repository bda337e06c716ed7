//! Every message of `testdata/tfa-messages/` through MIME parsing (emails) and
//! extraction, checked against `expected.json`: the code, the link, and for
//! emails the sender and the forwarded senders. Prints one line per message
//! and fails listing every mismatch. The corpus cannot silently shrink: at
//! least 40 messages, at least 10 of them marked `"decoys": true`.

use std::path::PathBuf;

use sealvault_server::inbound::{extract::Extractor, mime};
use serde_json::Value;

const MIN_MESSAGES: usize = 40;
const MIN_DECOYS: usize = 10;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/tfa-messages")
}

fn opt_str(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn show(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "null".into())
}

#[test]
fn corpus_codes_and_links() {
    let dir = corpus_dir();
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(dir.join("expected.json")).expect("expected.json is readable"),
    )
    .expect("expected.json is JSON");
    let messages = manifest["messages"].as_array().expect("a messages array");

    // Every file in the folder is listed, and every listed file exists.
    let listed: Vec<&str> = messages.iter().filter_map(|m| m["file"].as_str()).collect();
    for entry in std::fs::read_dir(&dir).expect("corpus folder") {
        let name = entry
            .expect("dir entry")
            .file_name()
            .to_string_lossy()
            .to_string();
        if name.ends_with(".eml") || name.ends_with(".txt") {
            assert!(
                listed.contains(&name.as_str()),
                "{name} is not in expected.json"
            );
        }
    }

    let decoys = messages
        .iter()
        .filter(|m| m["decoys"] == Value::Bool(true))
        .count();
    assert!(
        messages.len() >= MIN_MESSAGES,
        "corpus shrank to {} messages",
        messages.len()
    );
    assert!(decoys >= MIN_DECOYS, "only {decoys} messages with decoys");

    let mut failures = Vec::new();
    let mut ok = 0;
    println!(
        "{:<34} {:<5} {:<14} {:<14} {:<5} result",
        "file", "chan", "code expected", "code got", "link"
    );
    for m in messages {
        let file = m["file"].as_str().expect("file");
        let channel = m["channel"].as_str().expect("channel");
        let raw = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let extractor = match Extractor::new(
            m.get("code_pattern").and_then(Value::as_str),
            m.get("login_url").and_then(Value::as_str),
        ) {
            Ok(e) => e,
            Err(e) => {
                failures.push(format!("{file}: extractor: {e}"));
                continue;
            }
        };
        let mut problems = Vec::new();
        let got = match channel {
            "email" => {
                let Some(mail) = mime::parse(&raw) else {
                    failures.push(format!("{file}: not parsed as a message"));
                    continue;
                };
                if let Some(from) = m.get("from")
                    && mail.from.as_deref() != from.as_str()
                {
                    problems.push(format!("from {:?} != {from}", mail.from));
                }
                let want_fwd: Vec<String> = m
                    .get("forwarded_from")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                if mail.forwarded_from != want_fwd {
                    problems.push(format!(
                        "forwarded_from {:?} != {want_fwd:?}",
                        mail.forwarded_from
                    ));
                }
                extractor.extract(&mail.text)
            }
            "sms" => extractor.extract(&String::from_utf8(raw).expect("SMS bodies are UTF-8")),
            other => panic!("{file}: unknown channel {other}"),
        };
        let code = got.code.as_ref().map(|c| c.to_string());
        let link = got.link.as_ref().map(|l| l.to_string());
        let want_code = opt_str(m, "code");
        let want_link = opt_str(m, "link");
        if code != want_code {
            problems.push(format!(
                "code {} != expected {}",
                show(&code),
                show(&want_code)
            ));
        }
        if link != want_link {
            problems.push(format!(
                "link {} != expected {}",
                show(&link),
                show(&want_link)
            ));
        }
        // Test data only: these are invented codes, printed to find failures.
        println!(
            "{:<34} {:<5} {:<14} {:<14} {:<5} {}",
            file,
            channel,
            show(&want_code),
            show(&code),
            if link.is_some() { "yes" } else { "-" },
            if problems.is_empty() {
                "ok"
            } else {
                "MISMATCH"
            }
        );
        if problems.is_empty() {
            ok += 1;
        } else {
            failures.push(format!("{file}: {}", problems.join("; ")));
        }
    }
    println!(
        "{ok} of {} messages as expected ({decoys} with decoys)",
        messages.len()
    );
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
