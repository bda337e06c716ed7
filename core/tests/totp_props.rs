//! Properties of the TOTP module: no input panics (arbitrary URIs, secrets,
//! times, periods, digit counts, codes and windows); every failure is
//! `invalid_totp`; what is built parses back to the same generator.

use proptest::prelude::*;
use sealvault::totp::{Algorithm, Hotp, Secret, Totp};
use sealvault::{Error, Result};

/// Modest case counts; failures are printed, not persisted to files.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Ok, or the one TOTP error: anything else (or a panic) fails the property.
fn typed<T>(result: Result<T>) -> std::result::Result<Option<T>, TestCaseError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(Error::InvalidTotp(_)) => Ok(None),
        Err(other) => Err(TestCaseError::fail(format!("unexpected error {other:?}"))),
    }
}

/// URI-shaped strings: scheme, type, label and parameters drawn from both
/// valid and invalid pieces, so parsing gets past its first checks.
fn uri_like() -> impl Strategy<Value = String> {
    let scheme = prop_oneof!["otpauth", "OTPAUTH", "steam", "http", ""];
    let kind = prop_oneof!["totp", "hotp", "steam", "TOTP", "x", ""];
    let name = prop_oneof![
        "secret",
        "issuer",
        "algorithm",
        "digits",
        "period",
        "counter",
        "encoder",
        "t0",
        "image",
        "[a-z]{0,3}"
    ];
    let value = prop_oneof![
        "[A-Z2-7]{0,40}",
        "[a-z2-7 =-]{0,40}",
        "-?[0-9]{0,25}",
        "(SHA1|sha256|SHA512|MD5|steam)",
        "(%[0-9A-Fa-f]{0,2}|\\+|&|=|#|:|/|\\?)*",
        ".{0,12}",
    ];
    let params = prop::collection::vec((name, value), 0..8);
    (scheme, kind, ".{0,20}", params).prop_map(|(scheme, kind, label, params)| {
        let query: Vec<String> = params
            .into_iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        format!("{scheme}://{kind}/{label}?{}", query.join("&"))
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_strings_never_panic(text in ".{0,200}") {
        typed(Totp::from_uri(&text))?;
        typed(Hotp::from_uri(&text))?;
        typed(Secret::from_base32(&text))?;
    }

    #[test]
    fn uri_shaped_strings_never_panic(uri in uri_like()) {
        if let Some(totp) = typed(Totp::from_uri(&uri))? {
            prop_assert!(totp.at(1_700_000_000 + totp.t0().max(0)).is_ok());
        }
        if let Some(hotp) = typed(Hotp::from_uri(&uri))? {
            prop_assert!(hotp.at_counter(hotp.counter()).is_ok());
        }
    }

    #[test]
    fn mutated_valid_uris_never_panic(at in 0usize..120, byte in any::<u8>(), cut in any::<bool>()) {
        let valid = "otpauth://totp/ACME%20Co:j@x.com?secret=JBSWY3DPEHPK3PXP&issuer=ACME&digits=8&period=45";
        let mut bytes = valid.as_bytes().to_vec();
        let at = at.min(bytes.len() - 1);
        if cut { bytes.remove(at); } else { bytes.insert(at, byte); }
        let text = String::from_utf8_lossy(&bytes);
        typed(Totp::from_uri(&text))?;
        typed(Hotp::from_uri(&text))?;
    }

    #[test]
    fn base32_is_accepted_or_refused_and_round_trips(text in "[A-Za-z2-7 =-]{0,60}") {
        if let Some(secret) = typed(Secret::from_base32(&text))? {
            prop_assert!(secret.len() >= 10);
            let again = Secret::from_base32(&secret.to_base32()).expect("own base32");
            prop_assert_eq!(again.expose_secret(), secret.expose_secret());
        }
    }

    #[test]
    fn raw_secrets_need_80_bits(bytes in prop::collection::vec(any::<u8>(), 0..100)) {
        let secret = typed(Secret::from_bytes(&bytes))?;
        prop_assert_eq!(secret.is_some(), bytes.len() >= 10);
    }

    #[test]
    fn invalid_base32_messages_never_quote_it(token in "[A-Z2-7]{16,32}", bad in "[018!/]") {
        let text = format!("{token}{bad}");
        let uri = format!("otpauth://totp/x?secret={text}");
        for err in [Secret::from_base32(&text).err(), Totp::from_uri(&uri).err()] {
            let message = err.map(|e| e.to_string()).unwrap_or_default();
            prop_assert!(message.starts_with("invalid totp"));
            prop_assert!(!message.contains(&token[..16]), "{}", message);
        }
    }

    #[test]
    fn any_time_period_digits_and_window_is_a_result(
        unix in any::<i64>(), t0 in any::<i64>(), period in any::<u64>(), digits in any::<u32>(),
        min_secs in any::<u64>(), window in 0u32..150, code in ".{0,12}",
    ) {
        let secret = Secret::from_bytes(b"12345678901234567890").expect("secret");
        let Some(totp) = typed(Totp::new(secret, Algorithm::Sha256, digits, period))? else {
            prop_assert!(period == 0 || !(6..=10).contains(&digits));
            return Ok(());
        };
        let totp = totp.with_t0(t0);
        let before_t0 = unix < t0;
        prop_assert_eq!(typed(totp.at(unix))?.is_none(), before_t0);
        prop_assert_eq!(typed(totp.step(unix))?.is_none(), before_t0);
        if let Some(left) = typed(totp.seconds_left(unix))? {
            prop_assert!((1..=period).contains(&left));
        }
        if let Some(ready) = typed(totp.code_with_validity(min_secs, unix))? {
            prop_assert!(ready.valid_for_secs >= min_secs.min(period));
            prop_assert_eq!(ready.code.len(), digits as usize);
        }
        typed(totp.verify(&code, unix, window))?;
    }

    #[test]
    fn verify_finds_the_step_that_made_the_code(
        unix in 0i64..i64::MAX / 2, offset in -3i64..=3, window in 0u32..4,
    ) {
        let totp = Totp::from_base32("JBSWY3DPEHPK3PXP", 6, 30, Algorithm::Sha1).expect("totp");
        let step = totp.step(unix).expect("step");
        let target = step.checked_add_signed(offset).expect("in range");
        let code = totp.at_step(target).expect("code");
        let matched = totp.verify(&code, unix, window).expect("verify");
        if offset.unsigned_abs() <= u64::from(window) {
            // A collision with a nearer step may win; the code must match it.
            let found = matched.expect("within the window");
            prop_assert_eq!(totp.at_step(found).expect("code"), code);
            prop_assert!(found.abs_diff(step) <= offset.unsigned_abs());
        }
    }

    #[test]
    fn built_uris_parse_back(
        issuer in "[^:]{0,16}", account in "[^:]{0,24}", digits in 6u32..=10, period in 1u64..100_000,
        t0 in any::<i64>(), algorithm in prop_oneof![Just(Algorithm::Sha1), Just(Algorithm::Sha256), Just(Algorithm::Sha512)],
        key in prop::collection::vec(any::<u8>(), 10..80),
    ) {
        let secret = Secret::from_bytes(&key).expect("secret");
        let totp = Totp::new(secret, algorithm, digits, period).expect("totp")
            .with_t0(t0).with_issuer(&issuer).expect("issuer").with_account(&account).expect("account");
        let again = Totp::from_uri(&totp.to_uri()).expect("parse own URI");
        prop_assert_eq!(again.secret().expose_secret(), &key[..]);
        prop_assert_eq!((again.algorithm(), again.digits(), again.period(), again.t0()), (algorithm, digits, period, t0));
        prop_assert_eq!(again.issuer(), Some(issuer.as_str()).filter(|i| !i.is_empty()));
        // A label's leading spaces after the colon are dropped by design.
        let expected_account = if again.issuer().is_some() { account.trim_start_matches(' ') } else { &account };
        prop_assert_eq!(again.account(), expected_account);
    }
}
