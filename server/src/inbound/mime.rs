//! Parsing a raw `message/rfc822` into the text extraction reads.
//!
//! Use case: an email received by the SMTP listener or the raw-MIME webhook
//! is reduced to its sender, the senders of any messages forwarded inside it,
//! and one plain text (subject and bodies) that [`super::extract`] searches
//! for a code or a magic link.
//!
//! About: the MIME structure, transfer encodings (quoted-printable, base64)
//! and charsets (UTF-8, ISO-8859-*, Windows-125*, …) are decoded by
//! Stalwart's `mail-parser`. HTML parts are reduced to text here by a small
//! tokenizer ([`html_to_text`]): `<script>`, `<style>` and `<head>` are
//! dropped, entities decoded, and every `<a href>` target kept as
//! `text <https://…>` so a magic link survives the reduction. Forwarded
//! messages count both as attached `message/rfc822` parts and as inline
//! "Forwarded message" / "Begin forwarded message:" / "Original Message"
//! blocks; the `From:` of each lands in [`ParsedMail::forwarded_from`].
//!
//! Security: the text is held in [`Zeroizing`] strings; nothing here logs.

use mail_parser::{Message, MessageParser, PartType};
use zeroize::Zeroizing;

/// Nested `message/rfc822` parts followed at most this deep.
const MAX_DEPTH: usize = 4;

/// A parsed email, reduced to what routing and extraction need.
pub struct ParsedMail {
    /// The `From` address (lower case), when present.
    pub from: Option<String>,
    /// Senders named in forwarded messages inside it (lower case).
    pub forwarded_from: Vec<String>,
    /// Subject, then every text part, HTML parts reduced to text with link
    /// targets kept, forwarded messages included. Wiped on drop.
    pub text: Zeroizing<String>,
}

impl std::fmt::Debug for ParsedMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedMail")
            .field("from", &self.from)
            .field("forwarded_from", &self.forwarded_from)
            .field("text", &"[redacted]")
            .finish()
    }
}

/// Parses a raw message; `None` when it is not a message at all.
pub fn parse(raw: &[u8]) -> Option<ParsedMail> {
    let message = MessageParser::default().parse(raw)?;
    if message.root_part().headers.is_empty() {
        return None;
    }
    let from = sender(&message);
    let mut forwarded_from = Vec::new();
    let mut text = Zeroizing::new(String::new());
    collect(&message, 0, &mut text, &mut forwarded_from);
    for address in inline_forwarded_senders(&text) {
        push_unique(&mut forwarded_from, address);
    }
    Some(ParsedMail {
        from,
        forwarded_from,
        text,
    })
}

/// The first `From` address, lower case.
fn sender(message: &Message<'_>) -> Option<String> {
    message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(normalize_address)
        .filter(|a| a.contains('@'))
}

fn normalize_address(address: &str) -> String {
    address
        .trim()
        .trim_matches(|c| c == '<' || c == '>')
        .to_lowercase()
}

fn push_unique(list: &mut Vec<String>, address: String) {
    if !list.contains(&address) {
        list.push(address);
    }
}

/// Appends the subject and bodies of `message` (and of messages attached to
/// it) to `out`.
fn collect(
    message: &Message<'_>,
    depth: usize,
    out: &mut Zeroizing<String>,
    forwarded: &mut Vec<String>,
) {
    if let Some(subject) = message.subject() {
        out.push_str(subject.trim());
        out.push('\n');
    }
    let mut done: Vec<u32> = Vec::new();
    for &id in &message.text_body {
        push_part(message, id, out);
        done.push(id);
    }
    // The HTML alternatives too: a plain part may lack the code or the link
    // (extraction prefers what comes first on a tie, i.e. the plain text).
    for &id in &message.html_body {
        if !done.contains(&id) {
            push_part(message, id, out);
            done.push(id);
        }
    }
    if depth >= MAX_DEPTH {
        return;
    }
    for part in &message.parts {
        if let PartType::Message(inner) = &part.body {
            if let Some(address) = sender(inner) {
                push_unique(forwarded, address);
            }
            out.push_str("\n---------- Attached message ----------\n");
            collect(inner, depth + 1, out, forwarded);
        }
    }
}

fn push_part(message: &Message<'_>, id: u32, out: &mut Zeroizing<String>) {
    let Some(part) = message.parts.get(id as usize) else {
        return;
    };
    match &part.body {
        PartType::Text(text) => {
            out.push_str(text);
            out.push('\n');
        }
        PartType::Html(html) => {
            let text = html_to_text(html);
            out.push_str(&text);
            out.push('\n');
        }
        _ => {}
    }
}

/// Senders of inline forwarded blocks: a separator line ("---------- Forwarded
/// message ---------", "Begin forwarded message:", "-----Original
/// Message-----", German/French/Spanish variants) followed within a few lines
/// by a `From:` line.
pub fn inline_forwarded_senders(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if !is_forward_separator(line) {
            continue;
        }
        for next in lines.iter().skip(i + 1).take(8) {
            let l = next.trim_start_matches(['>', ' ', '\t', '*']).trim();
            let lower = l.to_lowercase();
            let rest = ["from:", "von:", "de :", "de:", "da:", "van:"]
                .iter()
                .find_map(|p| lower.strip_prefix(p).map(|r| r.to_string()));
            if let Some(rest) = rest {
                if let Some(address) = address_in(&rest) {
                    push_unique(&mut found, address);
                }
                break;
            }
        }
    }
    found
}

fn is_forward_separator(line: &str) -> bool {
    let l = line
        .trim_start_matches(['>', ' ', '\t'])
        .trim()
        .to_lowercase();
    let core = l.trim_matches(|c: char| c == '-' || c == ' ' || c == '*' || c == '_');
    let core = core.trim_end_matches(':').trim();
    matches!(
        core,
        "forwarded message"
            | "begin forwarded message"
            | "original message"
            | "weitergeleitete nachricht"
            | "ursprüngliche nachricht"
            | "message transféré"
            | "message d'origine"
            | "mensaje reenviado"
            | "mensaje original"
            | "mensagem encaminhada"
            | "messaggio inoltrato"
            | "doorgestuurd bericht"
    ) || (l.starts_with("-----") && l.contains("forwarded"))
}

/// The address in a header-like value: `Name <a@b>`, `<a@b>` or `a@b`.
fn address_in(value: &str) -> Option<String> {
    let candidate = match (value.find('<'), value.rfind('>')) {
        (Some(s), Some(e)) if s < e => &value[s + 1..e],
        _ => value
            .split_whitespace()
            .find(|w| w.contains('@'))
            .unwrap_or(""),
    };
    let candidate = candidate
        .trim()
        .trim_matches(|c: char| !(c.is_alphanumeric() || c == '@' || c == '.' || c == '-'));
    let candidate = candidate.strip_prefix("mailto:").unwrap_or(candidate);
    let (local, domain) = candidate.split_once('@')?;
    if local.is_empty() || !domain.contains('.') || domain.contains('@') {
        return None;
    }
    Some(candidate.to_lowercase())
}

/// HTML reduced to text: tags dropped (block tags become line breaks),
/// `<script>`, `<style>`, `<head>`, `<template>` and comments removed,
/// character references decoded, whitespace collapsed, and each link kept as
/// `text <target>` (http, https and mailto targets only).
pub fn html_to_text(html: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(html.len() / 2));
    let mut pending_href: Vec<Option<String>> = Vec::new();
    let bytes = html.as_bytes();
    let mut i = 0;
    let mut text_start = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        push_text(&mut out, &html[text_start..i]);
        // Comment.
        if html[i..].starts_with("<!--") {
            i = html[i + 4..]
                .find("-->")
                .map_or(bytes.len(), |e| i + 4 + e + 3);
            text_start = i;
            continue;
        }
        let Some(end) = tag_end(html, i) else {
            // A lone '<': keep it as text.
            push_text(&mut out, "<");
            i += 1;
            text_start = i;
            continue;
        };
        let tag = &html[i + 1..end];
        i = end + 1;
        text_start = i;
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() {
            continue; // <!DOCTYPE …>, <?xml …?>
        }
        if !closing
            && matches!(
                name.as_str(),
                "script" | "style" | "head" | "template" | "title"
            )
        {
            // Skip to the matching close tag (case-insensitive); a `<head>`
            // also ends where `<body` starts. Unclosed: only the tag goes,
            // so sloppy HTML never loses its body.
            let close = format!("</{name}");
            let mut stop = find_ci(html, i, &close);
            if name == "head"
                && let Some(body) = find_ci(html, i, "<body")
            {
                stop = Some(stop.map_or(body, |s| s.min(body)));
            }
            if let Some(p) = stop {
                i = if html[p..].starts_with("</") {
                    tag_end(html, p).map_or(bytes.len(), |e| e + 1)
                } else {
                    p
                };
                text_start = i;
            }
            continue;
        }
        match name.as_str() {
            "a" if !closing => {
                let href = attribute(tag, "href")
                    .map(|h| decode_entities(h.trim()).to_string())
                    .filter(|h| {
                        let l = h.to_ascii_lowercase();
                        l.starts_with("http://")
                            || l.starts_with("https://")
                            || l.starts_with("mailto:")
                    });
                pending_href.push(href);
            }
            "a" => {
                if let Some(Some(href)) = pending_href.pop() {
                    let target = href.strip_prefix("mailto:").unwrap_or(&href);
                    if !out.trim_end().ends_with(target) {
                        out.push_str(" <");
                        out.push_str(&href);
                        out.push('>');
                    }
                }
            }
            "br" | "p" | "div" | "tr" | "li" | "ul" | "ol" | "table" | "h1" | "h2" | "h3"
            | "h4" | "h5" | "h6" | "hr" | "blockquote" | "pre" | "section" | "article"
            | "header" | "footer" | "center" | "tbody" | "thead" | "dd" | "dt" => newline(&mut out),
            "td" | "th" if !out.ends_with([' ', '\n']) && !out.is_empty() => {
                out.push(' ');
            }
            "img" if !closing => {
                if let Some(alt) = attribute(tag, "alt") {
                    push_text(&mut out, &alt);
                }
            }
            _ => {}
        }
    }
    push_text(&mut out, &html[text_start.min(bytes.len())..]);
    // Unclosed anchors still keep their targets.
    for href in pending_href.into_iter().flatten() {
        out.push_str(" <");
        out.push_str(&href);
        out.push('>');
    }

    Zeroizing::new(
        out.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// The index of the `>` ending the tag that starts at `start`, skipping
/// quoted attribute values; `None` when `start` does not open a tag.
fn tag_end(html: &str, start: usize) -> Option<usize> {
    let bytes = html.as_bytes();
    let next = *bytes.get(start + 1)?;
    if !(next.is_ascii_alphabetic() || next == b'/' || next == b'!' || next == b'?') {
        return None;
    }
    let mut quote: Option<u8> = None;
    let mut j = start + 1;
    while j < bytes.len() {
        let b = bytes[j];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'>' => return Some(j),
            None => {}
        }
        j += 1;
    }
    None
}

fn find_ci(haystack: &str, from: usize, needle: &str) -> Option<usize> {
    let hay = haystack.as_bytes();
    let n = needle.as_bytes();
    (from..hay.len().saturating_sub(n.len() - 1))
        .find(|&p| hay[p..p + n.len()].eq_ignore_ascii_case(n))
}

/// The value of attribute `name` in a tag's inside (`a href="…" …`).
fn attribute(tag: &str, name: &str) -> Option<String> {
    let bytes = tag.as_bytes();
    // Skip the tag name.
    let mut i = tag
        .find(|c: char| c.is_whitespace() || c == '/')
        .unwrap_or(tag.len());
    while i < bytes.len() {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        let key_start = i;
        while i < bytes.len()
            && !bytes[i].is_ascii_whitespace()
            && bytes[i] != b'='
            && bytes[i] != b'/'
        {
            i += 1;
        }
        let key = &tag[key_start..i];
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = None;
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < bytes.len() && (bytes[i] == b'"' || bytes[i] == b'\'') {
                let q = bytes[i];
                let s = i + 1;
                let e = tag[s..].find(q as char).map_or(tag.len(), |p| s + p);
                value = Some(&tag[s..e]);
                i = e + 1;
            } else {
                let s = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                value = Some(&tag[s..i]);
            }
        }
        if key.eq_ignore_ascii_case(name) {
            return value.map(str::to_string);
        }
        if key.is_empty() && value.is_none() {
            i += 1;
        }
    }
    None
}

fn newline(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

/// Text between tags: entities decoded, runs of whitespace collapsed.
fn push_text(out: &mut String, raw: &str) {
    if raw.is_empty() {
        return;
    }
    let decoded = decode_entities(raw);
    for c in decoded.chars() {
        let c = if c == '\u{a0}' { ' ' } else { c };
        if c.is_whitespace() || c == '\u{200b}' || c == '\u{200c}' || c == '\u{feff}' {
            if !out.is_empty() && !out.ends_with([' ', '\n']) {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
}

/// Decodes numeric character references and the named ones mail uses.
pub fn decode_entities(raw: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(raw.len()));
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .map_or(rest.len(), |p| p + 1);
        let name = &rest[1..end];
        let decoded = if let Some(num) = name.strip_prefix('#') {
            let value = if let Some(hex) = num.strip_prefix(['x', 'X']) {
                u32::from_str_radix(hex, 16).ok()
            } else {
                num.parse::<u32>().ok()
            };
            value.and_then(char::from_u32).map(|c| c.to_string())
        } else {
            named_entity(name).map(str::to_string)
        };
        match decoded {
            Some(text) => {
                out.push_str(&text);
                rest = &rest[end..];
                if rest.starts_with(';') {
                    rest = &rest[1..];
                }
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn named_entity(name: &str) -> Option<&'static str> {
    Some(match name {
        "amp" | "AMP" => "&",
        "lt" | "LT" => "<",
        "gt" | "GT" => ">",
        "quot" | "QUOT" => "\"",
        "apos" => "'",
        "nbsp" => " ",
        "copy" | "COPY" => "©",
        "reg" => "®",
        "trade" => "™",
        "euro" => "€",
        "pound" => "£",
        "yen" => "¥",
        "cent" => "¢",
        "sect" => "§",
        "deg" => "°",
        "middot" => "·",
        "bull" => "•",
        "hellip" => "…",
        "ndash" => "–",
        "mdash" => "—",
        "lsquo" => "‘",
        "rsquo" => "’",
        "ldquo" => "“",
        "rdquo" => "”",
        "laquo" => "«",
        "raquo" => "»",
        "zwnj" => "\u{200c}",
        "zwj" => "\u{200d}",
        "shy" => "",
        "ordm" => "º",
        "ordf" => "ª",
        "iexcl" => "¡",
        "iquest" => "¿",
        "szlig" => "ß",
        "auml" => "ä",
        "ouml" => "ö",
        "uuml" => "ü",
        "Auml" => "Ä",
        "Ouml" => "Ö",
        "Uuml" => "Ü",
        "aacute" => "á",
        "eacute" => "é",
        "iacute" => "í",
        "oacute" => "ó",
        "uacute" => "ú",
        "Aacute" => "Á",
        "Eacute" => "É",
        "Iacute" => "Í",
        "Oacute" => "Ó",
        "Uacute" => "Ú",
        "agrave" => "à",
        "egrave" => "è",
        "igrave" => "ì",
        "ograve" => "ò",
        "ugrave" => "ù",
        "Agrave" => "À",
        "Egrave" => "È",
        "acirc" => "â",
        "ecirc" => "ê",
        "icirc" => "î",
        "ocirc" => "ô",
        "ucirc" => "û",
        "atilde" => "ã",
        "otilde" => "õ",
        "ntilde" => "ñ",
        "Ntilde" => "Ñ",
        "ccedil" => "ç",
        "Ccedil" => "Ç",
        "euml" => "ë",
        "iuml" => "ï",
        "aring" => "å",
        "oslash" => "ø",
        "aelig" => "æ",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_a_message() {
        assert!(parse(b"").is_none());
    }

    #[test]
    fn html_keeps_links_and_drops_scripts() {
        let html = "<html><head><title>T 999111</title><style>p{color:red}</style></head>\
            <body><script>var x = '123456';</script><p>Your code:&nbsp;<b>482&#57;13</b></p>\
            <a href=\"https://portal.acme.test/magic?t=a&amp;b=1\">Sign in</a>\
            <!-- 777777 --></body></html>";
        let text = html_to_text(html);
        assert!(text.contains("Your code: 482913"), "{}", *text);
        assert!(text.contains("Sign in <https://portal.acme.test/magic?t=a&b=1>"));
        assert!(!text.contains("123456") && !text.contains("777777") && !text.contains("999111"));
    }

    #[test]
    fn sloppy_html_keeps_its_body() {
        let text = html_to_text("<html><head><meta charset=utf-8><body><p>Code 482913</p>");
        assert_eq!(&*text, "Code 482913");
        let text = html_to_text("<p>Code <script>x = 1 < 2</p>482913");
        assert!(text.contains("Code"), "{}", *text);
        let text = html_to_text("a < b and 3 > 2 <b>bold</b> &amp;&unknown; &#x41;");
        assert_eq!(&*text, "a < b and 3 > 2 bold &&unknown; A");
    }

    /// Random fragments of HTML and MIME: no panic.
    #[test]
    fn no_panic_on_random_input() {
        const PIECES: &[&str] = &[
            "<",
            ">",
            "</",
            "a href=",
            "\"",
            "'",
            "https://x.test/?a=1&amp;b",
            "&",
            "&#",
            "x41",
            ";",
            "<!--",
            "-->",
            "<script>",
            "</script",
            "<head>",
            "<body>",
            "ä",
            "日本",
            "🙂",
            "From: ",
            "a@b.test",
            "\r\n",
            "\n",
            "Content-Type: multipart/mixed; boundary=b",
            "--b",
            "=?utf-8?b?w6Q=?=",
            "=C3",
            "<br>",
            "<td>",
            " ",
            "code 1",
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..(state % 50) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(PIECES[(state % PIECES.len() as u64) as usize]);
            }
            let _ = html_to_text(&text);
            let _ = inline_forwarded_senders(&text);
            let _ = parse(text.as_bytes());
            state = state.wrapping_add(1);
        }
    }

    #[test]
    fn inline_forward_sender() {
        let text = "fyi\n\n---------- Forwarded message ---------\nFrom: Acme Accounts <NoReply@Accounts.Acme.test>\nDate: x\n\nYour code is 1";
        assert_eq!(
            inline_forwarded_senders(text),
            vec!["noreply@accounts.acme.test"]
        );
        let text = "Begin forwarded message:\n\n> From: \"Acme\" <otp@acme.test>\n";
        assert_eq!(inline_forwarded_senders(text), vec!["otp@acme.test"]);
    }

    #[test]
    fn debug_redacts_text() {
        let raw = b"From: a@b.test\r\nSubject: code 482913\r\n\r\nYour code is 482913\r\n";
        let mail = parse(raw).expect("a message");
        assert_eq!(mail.from.as_deref(), Some("a@b.test"));
        assert!(!format!("{mail:?}").contains("482913"));
    }
}
