//! Routing a received message to the one credential it is for, extracting
//! its code or link and storing that sealed under the inbound key. The raw
//! message is never kept; a message nobody can take stores nothing.
//!
//! Email: the recipient address names the credential. SMS: the number
//! names the user (a number belongs to one user); of that user's SMS
//! credentials on the number (sender filters applied), the one whose lease
//! is in its login phase takes it, the sender filter breaking ties; with
//! none or several the text is held (sealed, unassigned, audited) and the
//! waiters on that number are told `ambiguous_recipient`.

use sealvault::wire::{CredentialConfig, InboundSms, TfaChannel, TfaMethod};

use super::extract::{Extracted, Extractor};
use super::seal::{Sealed, seal};
use super::{assigned_phone, tfa_method};
use crate::api::AppState;
use crate::audit::Event;
use crate::auth::new_id;
use crate::error::{ApiError, ApiResult};
use crate::storage::{CredentialRow, InboundCodeRow, Tx};
use crate::{now, now_us};

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Stored for this many credentials.
    Stored(usize),
    /// Held: no single credential could take it.
    Held,
    /// No credential has that address or number.
    UnknownRecipient,
    /// Refused by the credential's sender filter.
    Filtered,
    /// Nothing that looks like a code or link.
    NoCode,
    /// A webhook id seen before.
    Replayed,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Stored(_) => "stored",
            Outcome::Held => "held",
            Outcome::UnknownRecipient => "unknown_recipient",
            Outcome::Filtered => "filtered",
            Outcome::NoCode => "no_code",
            Outcome::Replayed => "replayed",
        }
    }
}

fn channel_str(channel: TfaChannel) -> &'static str {
    match channel {
        TfaChannel::Email => "email",
        TfaChannel::Sms => "sms",
    }
}

fn config_of(row: &CredentialRow) -> Option<CredentialConfig> {
    serde_json::from_str(row.config.as_deref()?).ok()
}

/// Whether `sender` (or a forwarding sender) passes the credential's filter:
/// an address matches itself, `@domain` or `domain` any address there, a
/// number itself (spaces, dashes and brackets ignored), a text sender id
/// itself (case-insensitive).
pub fn sender_allowed(filter: Option<&str>, senders: &[&str]) -> bool {
    let Some(filter) = filter.map(str::trim).filter(|f| !f.is_empty()) else {
        return true;
    };
    let filter = normalize(filter);
    senders.iter().any(|sender| {
        let sender = normalize(sender);
        if sender == filter {
            return true;
        }
        let bare_domain = !filter.contains('@') && filter.contains('.');
        let domain = filter
            .strip_prefix('@')
            .or(bare_domain.then_some(filter.as_str()));
        domain.is_some_and(|domain| sender.rsplit_once('@').is_some_and(|(_, d)| d == domain))
    })
}

fn normalize(value: &str) -> String {
    let value = value.trim().to_lowercase();
    if value.starts_with('+')
        || value
            .chars()
            .all(|c| c.is_ascii_digit() || " -().".contains(c))
    {
        value
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect()
    } else {
        value
    }
}

fn extractor(config: &CredentialConfig) -> Option<Extractor> {
    let pattern = config.tfa.as_ref().and_then(|t| t.code_pattern.as_deref());
    Extractor::new(pattern, config.login_url.as_deref()).ok()
}

fn sealed(found: Extracted) -> Option<Sealed> {
    if found.code.is_none() && found.link.is_none() {
        return None;
    }
    Some(Sealed {
        code: found.code.map(|c| c.as_str().to_owned()),
        link: found.link.map(|l| l.as_str().to_owned()),
    })
}

/// Seals and inserts one code row, audited (never its content).
async fn store(
    state: &AppState,
    tx: &mut dyn Tx,
    (user, item, number): (&str, Option<&str>, Option<&str>),
    channel: TfaChannel,
    content: &Sealed,
) -> ApiResult<()> {
    let at = now();
    let id = new_id("tfa_");
    let bytes = seal(state.inbound.key(), &id, user, item, content).map_err(ApiError::internal)?;
    tx.inbound()
        .insert_code(&InboundCodeRow {
            id,
            user_id: user.to_owned(),
            item_id: item.map(str::to_owned),
            number: number.map(str::to_owned),
            channel: channel_str(channel).to_owned(),
            sealed: bytes,
            received_at: at,
            received_us: now_us(),
            expires_at: at + state.inbound.code_ttl_secs(),
        })
        .await?;
    let action = if item.is_some() {
        "tfa.received"
    } else {
        "tfa.held"
    };
    let mut event = Event::new(action)
        .by(Some(user), None)
        .detail(serde_json::json!({
            "channel": channel_str(channel),
            "code": content.code.is_some(),
            "link": content.link.is_some(),
        }));
    if let Some(item) = item {
        event = event.item(item);
    }
    state.auditor.append(tx, event, at).await?;
    Ok(())
}

fn count(state: &AppState, channel: TfaChannel, outcome: Outcome) -> Outcome {
    state.metrics.inbound(channel_str(channel), outcome.label());
    outcome
}

/// An email for `rcpts` (already lower-cased). `dedup` names a webhook
/// body accepted once.
pub async fn email(
    state: &AppState,
    rcpts: &[String],
    raw: &[u8],
    dedup: Option<&str>,
) -> ApiResult<Outcome> {
    let channel = TfaChannel::Email;
    let mut tx = state.store.write().await?;
    let mut owners = Vec::new();
    for rcpt in rcpts {
        if let Some(owner) = tx.inbound().address_owner(rcpt).await? {
            owners.push(owner);
        }
    }
    if owners.is_empty() {
        return Ok(count(state, channel, Outcome::UnknownRecipient));
    }
    if let Some(id) = dedup
        && !tx.inbound().mark_seen("email", id, now()).await?
    {
        return Ok(count(state, channel, Outcome::Replayed));
    }
    let Some(mail) = super::mime::parse(raw) else {
        return Ok(count(state, channel, Outcome::NoCode));
    };
    let senders: Vec<&str> = mail
        .from
        .iter()
        .chain(&mail.forwarded_from)
        .map(String::as_str)
        .collect();
    let mut outcome = Outcome::NoCode;
    let mut stored = 0;
    for (user, item) in owners {
        let Some(row) = tx.credential(&user, &item).await?.filter(|r| !r.deleted) else {
            continue;
        };
        let Some(config) = config_of(&row).filter(|c| tfa_method(c) == TfaMethod::Email) else {
            continue;
        };
        let filter = config.tfa.as_ref().and_then(|t| t.sender_filter.as_deref());
        if !sender_allowed(filter, &senders) {
            outcome = Outcome::Filtered;
            continue;
        }
        let Some(content) = extractor(&config).and_then(|x| sealed(x.extract(&mail.text))) else {
            continue;
        };
        store(
            state,
            tx.as_mut(),
            (&user, Some(&item), None),
            channel,
            &content,
        )
        .await?;
        stored += 1;
    }
    if stored > 0 {
        outcome = Outcome::Stored(stored);
    }
    tx.commit().await?;
    if stored > 0 {
        state.inbound.wake();
    }
    Ok(count(state, channel, outcome))
}

/// A text to a pool number, from the webhook `source` (`twilio`, `sms`).
pub async fn sms(state: &AppState, source: &str, message: &InboundSms) -> ApiResult<Outcome> {
    let channel = TfaChannel::Sms;
    let to = normalize(&message.to);
    let mut tx = state.store.write().await?;
    let Some(user) = tx.inbound().number_owner(&to).await? else {
        return Ok(count(state, channel, Outcome::UnknownRecipient));
    };
    if !tx.inbound().mark_seen(source, &message.id, now()).await? {
        return Ok(count(state, channel, Outcome::Replayed));
    }
    let senders = [message.from.as_str()];
    let mut on_number = Vec::new();
    for row in tx.credentials(&user).await? {
        let Some(config) = config_of(&row).filter(|c| tfa_method(c) == TfaMethod::Sms) else {
            continue;
        };
        if assigned_phone(&row).as_deref() != Some(to.as_str()) {
            continue;
        }
        let filter = config.tfa.as_ref().and_then(|t| t.sender_filter.clone());
        if sender_allowed(filter.as_deref(), &senders) {
            on_number.push((row, config, filter.is_some()));
        }
    }
    if on_number.is_empty() {
        tx.commit().await?;
        return Ok(count(state, channel, Outcome::Filtered));
    }
    let at = now();
    let mut logging_in = Vec::new();
    for (row, config, filtered) in on_number {
        let leases = tx.leases(&user, &row.item_id).await?;
        if leases
            .iter()
            .any(|l| l.phase == "login" && l.expires_at > at)
        {
            logging_in.push((row, config, filtered));
        }
    }
    if logging_in.len() > 1 && logging_in.iter().filter(|(_, _, f)| *f).count() == 1 {
        logging_in.retain(|(_, _, filtered)| *filtered);
    }
    let outcome = match logging_in.as_slice() {
        [(row, config, _)] => {
            match extractor(config).and_then(|x| sealed(x.extract(&message.body))) {
                Some(content) => {
                    let key = (user.as_str(), Some(row.item_id.as_str()), None);
                    store(state, tx.as_mut(), key, channel, &content).await?;
                    Outcome::Stored(1)
                }
                None => Outcome::NoCode,
            }
        }
        _ => {
            let found = Extractor::new(None, None)
                .map(|x| x.extract(&message.body))
                .unwrap_or_default();
            let content = sealed(found).unwrap_or_default();
            store(
                state,
                tx.as_mut(),
                (&user, None, Some(&to)),
                channel,
                &content,
            )
            .await?;
            Outcome::Held
        }
    };
    tx.commit().await?;
    if outcome != Outcome::NoCode {
        state.inbound.wake();
    }
    Ok(count(state, channel, outcome))
}

/// The addresses on `domain` a raw message's headers name (`Delivered-To`,
/// `X-Original-To`, `Envelope-To`, `To`, `Cc`), lower-cased: the webhook's
/// recipients, which carry no SMTP envelope.
pub fn header_recipients(raw: &[u8], domain: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    let head = text
        .split("\r\n\r\n")
        .next()
        .unwrap_or("")
        .split("\n\n")
        .next()
        .unwrap_or("");
    let mut unfolded: Vec<String> = Vec::new();
    for line in head.lines() {
        match (line.starts_with([' ', '\t']), unfolded.last_mut()) {
            (true, Some(last)) => last.push_str(line),
            _ => unfolded.push(line.to_owned()),
        }
    }
    let suffix = format!("@{}", domain.to_ascii_lowercase());
    let mut found = Vec::new();
    for line in unfolded {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        if !["delivered-to", "x-original-to", "envelope-to", "to", "cc"].contains(&name.as_str()) {
            continue;
        }
        for word in value.split(|c: char| c.is_whitespace() || ",;<>\"'()".contains(c)) {
            let word = word.to_ascii_lowercase();
            if word.ends_with(&suffix) && word.len() > suffix.len() && !found.contains(&word) {
                found.push(word);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sender_filters() {
        assert!(sender_allowed(None, &["anyone@x.test"]));
        assert!(sender_allowed(
            Some("NoReply@Acme.test"),
            &["noreply@acme.test"]
        ));
        assert!(!sender_allowed(
            Some("noreply@acme.test"),
            &["evil@acme.test"]
        ));
        assert!(sender_allowed(
            Some("@acme.test"),
            &["evil@x.test", "a@acme.test"]
        ));
        assert!(sender_allowed(Some("acme.test"), &["a@acme.test"]));
        assert!(!sender_allowed(Some("acme.test"), &["a@acme.test.evil"]));
        assert!(sender_allowed(Some("+1 (555) 010-0001"), &["+15550100001"]));
        assert!(!sender_allowed(Some("+15550100001"), &["+15550100002"]));
        assert!(sender_allowed(Some("ACMEBANK"), &["acmebank"]));
    }

    #[test]
    fn recipients_from_headers() {
        let raw = b"From: a@b.test\r\nTo: \"Me\" <SV-1@Inbound.Test>,\r\n other@x.test\r\nCc: sv-2@inbound.test\r\nSubject: sv-3@inbound.test\r\n\r\nTo: sv-4@inbound.test\r\n";
        assert_eq!(
            header_recipients(raw, "inbound.test"),
            ["sv-1@inbound.test", "sv-2@inbound.test"]
        );
    }
}
