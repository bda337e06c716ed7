//! Runs the shared TOTP/HOTP vectors of `testdata/totp.json` (RFC 4226
//! Appendix D, RFC 6238 Appendix B, Key Uri Format URIs, Steam Guard codes
//! and invalid inputs), the same file the Python and JS suites read.

use sealvault::totp::{Algorithm, Hotp, Secret, Totp};
use sealvault::{Error, Result};
use serde_json::{Value, json};

fn cases() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/totp.json");
    let text = std::fs::read_to_string(path).expect("read testdata/totp.json");
    let doc: Value = serde_json::from_str(&text).expect("parse testdata/totp.json");
    doc["cases"].as_array().expect("cases array").clone()
}

fn str_of<'a>(case: &'a Value, key: &str) -> &'a str {
    case[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {case}"))
}

fn u64_of(case: &Value, key: &str, default: u64) -> u64 {
    case.get(key)
        .map_or(default, |v| v.as_u64().expect("unsigned integer"))
}

fn i64_of(case: &Value, key: &str, default: i64) -> i64 {
    case.get(key)
        .map_or(default, |v| v.as_i64().expect("integer"))
}

fn secret(case: &Value) -> Result<Secret> {
    match case.get("secret_hex") {
        Some(hex) => Secret::from_bytes(&hex::decode(hex.as_str().expect("hex")).expect("hex")),
        None => Secret::from_base32(str_of(case, "secret_base32")),
    }
}

fn algorithm(case: &Value) -> Algorithm {
    case.get("algorithm").map_or(Algorithm::Sha1, |a| {
        a.as_str().expect("name").parse().expect("algorithm")
    })
}

/// The generator a case describes field by field.
fn totp(case: &Value) -> Result<Totp> {
    let totp = if case.get("steam") == Some(&json!(true)) {
        Totp::steam(secret(case)?)
    } else {
        let digits = u64_of(case, "digits", 6) as u32;
        Totp::new(
            secret(case)?,
            algorithm(case),
            digits,
            u64_of(case, "period", 30),
        )?
    };
    Ok(totp.with_t0(i64_of(case, "t0", 0)))
}

/// Runs one case; `Ok` carries the outputs to compare with the case.
fn run(case: &Value) -> Result<Value> {
    let unix = || i64_of(case, "unix", 0);
    match str_of(case, "op") {
        "hotp" => {
            let hotp = Hotp::new(
                secret(case)?,
                algorithm(case),
                u64_of(case, "digits", 6) as u32,
            )?;
            Ok(json!({"code": hotp.at_counter(u64_of(case, "counter", 0))?}))
        }
        "totp" => {
            let totp = totp(case)?;
            Ok(json!({"code": totp.at(unix())?, "step": totp.step(unix())?,
                      "seconds_left": totp.seconds_left(unix())?}))
        }
        "secret" => Ok(
            json!({"hex": hex::encode(Secret::from_base32(str_of(case, "base32"))?.expose_secret())}),
        ),
        "parse_uri" => parse_uri(case),
        "code_with_validity" => {
            let got = totp(case)?.code_with_validity(u64_of(case, "min_secs", 0), unix())?;
            Ok(
                json!({"code": got.code, "valid_for_secs": got.valid_for_secs, "wait_secs": got.wait_secs}),
            )
        }
        "verify" => {
            let window = u64_of(case, "window", 1) as u32;
            Ok(json!({"matched_step": totp(case)?.verify(str_of(case, "code"), unix(), window)?}))
        }
        op => panic!("unknown op {op}"),
    }
}

fn parse_uri(case: &Value) -> Result<Value> {
    let uri = str_of(case, "uri");
    if str_of(case, "as") == "hotp" {
        let hotp = Hotp::from_uri(uri)?;
        let counter = hotp.counter();
        return Ok(json!({
            "secret_hex": hex::encode(hotp.secret().expose_secret()), "algorithm": hotp.algorithm().as_str(),
            "digits": hotp.digits(), "issuer": hotp.issuer(), "account": hotp.account(), "steam": false,
            "counter": counter, "code": hotp.at_counter(counter)?, "to_uri": hotp.to_uri().as_str(),
        }));
    }
    let totp = Totp::from_uri(uri)?;
    let unix = i64_of(case, "unix", 0);
    Ok(json!({
        "secret_hex": hex::encode(totp.secret().expose_secret()), "algorithm": totp.algorithm().as_str(),
        "digits": totp.digits(), "issuer": totp.issuer(), "account": totp.account(), "steam": totp.is_steam(),
        "period": totp.period(), "t0": totp.t0(), "unix": unix, "code": totp.at(unix)?,
        "to_uri": totp.to_uri().as_str(),
    }))
}

/// Compares the outputs a case lists (and only those) with what ran.
fn check(case: &Value, outcome: Result<Value>) -> std::result::Result<(), String> {
    let expect = str_of(case, "expect");
    match outcome {
        Err(err) if err.code() == expect => Ok(()),
        Err(err) => Err(format!(
            "expected {expect}, got error {} ({err})",
            err.code()
        )),
        Ok(_) if expect != "ok" => Err(format!("expected error {expect}, got ok")),
        Ok(got) => {
            let skip = [
                "op",
                "name",
                "expect",
                "as",
                "uri",
                "base32",
                "secret_base32",
                "min_secs",
                "window",
            ];
            let fields = case
                .as_object()
                .expect("object")
                .iter()
                .filter(|(k, _)| !skip.contains(&k.as_str()));
            let wrong: Vec<String> = fields
                .filter(|(key, want)| got.get(key.as_str()).is_some_and(|have| have != *want))
                .map(|(key, want)| format!("{key}: want {want}, got {}", got[key.as_str()]))
                .collect();
            if wrong.is_empty() {
                Ok(())
            } else {
                Err(wrong.join("; "))
            }
        }
    }
}

#[test]
fn shared_vectors() {
    let cases = cases();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            check(case, run(case))
                .err()
                .map(|why| format!("{}: {why}", str_of(case, "name")))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    println!("{} TOTP/HOTP vectors passed", cases.len());
}

#[test]
fn every_op_is_covered_with_successes_and_failures() {
    let cases = cases();
    for op in [
        "hotp",
        "totp",
        "secret",
        "parse_uri",
        "code_with_validity",
        "verify",
    ] {
        assert!(
            cases.iter().any(|c| c["op"] == op && c["expect"] == "ok"),
            "{op} has no ok case"
        );
    }
    for op in [
        "totp",
        "secret",
        "parse_uri",
        "code_with_validity",
        "verify",
    ] {
        assert!(
            cases
                .iter()
                .any(|c| c["op"] == op && c["expect"] == "invalid_totp"),
            "{op} has no error case"
        );
    }
    let rfc = cases
        .iter()
        .filter(|c| str_of(c, "name").contains(" Appendix "))
        .count();
    assert_eq!(rfc, 10 + 18, "RFC 4226 (10) and RFC 6238 (18) vectors");
}

#[test]
fn errors_never_quote_the_secret() {
    let secret = "JBSWY3DPEHPK3PX1JBSWY3DPEHPK3PX1";
    let uri = format!("otpauth://totp/x?secret={secret}&digits=5");
    for err in [
        Totp::from_uri(&uri).err(),
        Secret::from_base32(secret).err(),
    ] {
        let Some(Error::InvalidTotp(message)) = err else {
            panic!("expected InvalidTotp")
        };
        assert!(!message.contains("JBSWY3DP"), "{message}");
    }
}

#[test]
fn debug_prints_no_key_bytes() {
    let totp =
        Totp::from_uri("otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").expect("uri");
    let shown = format!("{totp:?} {:?}", totp.secret());
    assert!(shown.contains("[redacted]"), "{shown}");
    for leak in ["GEZDGNBV", "12345678", "49, 50", "0x31", "[49"] {
        assert!(!shown.contains(leak), "{shown}");
    }
}

#[test]
fn extremes_of_time_are_errors_or_codes_never_panics() {
    let totp = Totp::from_base32("JBSWY3DPEHPK3PXP", 6, 1, Algorithm::Sha1).expect("totp");
    assert!(totp.at(i64::MAX).is_ok());
    assert!(totp.at(i64::MIN).is_err());
    let early = totp.with_t0(i64::MIN);
    assert_eq!(early.step(i64::MAX).expect("step"), u64::MAX);
    // With a 1 s period every code has the whole period left: never a next step.
    let last = early.code_with_validity(5, i64::MAX).expect("last step");
    assert_eq!((last.wait_secs, last.valid_for_secs), (0, 1));
    assert!(early.verify("000000", i64::MAX, 100).is_ok());
    let hotp = Hotp::from_base32("JBSWY3DPEHPK3PXP", 6, Algorithm::Sha1).expect("hotp");
    assert!(hotp.verify("000000", u64::MAX, 100).is_ok());
    assert!(hotp.verify("000000", 0, 101).is_err());
}

#[test]
fn builders_round_trip_through_uri() {
    let totp = Totp::from_base32("jbsw y3dp ehpk 3pxp", 8, 45, Algorithm::Sha512)
        .and_then(|t| t.with_issuer("ACME Co"))
        .and_then(|t| t.with_account("john@example.com"))
        .expect("totp")
        .with_t0(-5);
    let again = Totp::from_uri(&totp.to_uri()).expect("round trip");
    assert_eq!(
        (again.issuer(), again.account()),
        (Some("ACME Co"), "john@example.com")
    );
    assert_eq!((again.digits(), again.period(), again.t0()), (8, 45, -5));
    assert_eq!(again.algorithm(), Algorithm::Sha512);
    assert_eq!(again.at(1_700_000_000).ok(), totp.at(1_700_000_000).ok());
    assert!(
        Totp::steam(Secret::from_base32("JBSWY3DPEHPK3PXP").expect("secret"))
            .with_issuer("a:b")
            .is_err()
    );
    let hotp = Hotp::from_base32("JBSWY3DPEHPK3PXP", 6, Algorithm::Sha1)
        .expect("hotp")
        .with_counter(42);
    assert_eq!(
        Hotp::from_uri(&hotp.to_uri()).expect("hotp uri").counter(),
        42
    );
}
