//! Finding the code (or magic link) in a received message's text.
//!
//! Use case: a login second factor arrives by email or SMS; the vault keeps
//! only the one-time code or the magic link it carries.
//!
//! About: with a credential's `code_pattern`, that regular expression decides
//! alone (first capture group, else the whole match; no match, no code).
//! Without one, built-in rules collect candidates: 4–8 digit numbers, digit
//! groups of one length that read as one code (`482 913`, `482-913`,
//! `48 29 13`, `4 8 2 9 1 3` as HTML table cells become), `G-123456`
//! (the single-letter prefix dropped) and 4–8 character upper-case
//! alphanumerics holding a digit. Each is then scored:
//!
//! - a keyword nearby is required (at most 150 bytes before, 100 after):
//!   strong ones ("code", "verification", "verify", "OTP", "PIN",
//!   "passcode", "one-time", "TAN", "Bestätigungscode", "Sicherheitscode",
//!   "código", "codice", "vérification", "verificatiecode", any compound
//!   ending in "code", …) score 300 minus the distance in bytes, weak ones
//!   ("sign in", "login", "expires", "valid", "do not share", "confirm",
//!   "password", …) 100 minus the distance; a keyword that labels the
//!   candidate (only filler words such as "is", "your", "lautet", "est",
//!   "number" and punctuation between; after the candidate, within its
//!   clause) adds 100 (strong) or 30 (weak);
//! - decoys are refused outright: a number labelled by order, invoice,
//!   ticket, account, customer, tracking, transaction, phone, card "ending
//!   in", price, ZIP/postal, promo, reference and similar words (in the same
//!   languages), "code" itself when it is a zip/promo/QR/previous/old code,
//!   `#123456`, masked digits (`•••4821`, `***21`), prices (currency signs
//!   or codes next to it, decimal separators), parts of longer number
//!   chains (phone numbers, dates, times, IBANs), a ZIP after a state
//!   (`CA 94105`), anything inside a URL or an email address;
//! - years (1900–2099) next to a month name or a copyright sign are refused,
//!   and other years and numbers on an address line (street, suite, GmbH,
//!   postcode, …) count only when a strong keyword labels them;
//!   alphanumerics count only near a strong keyword;
//! - a year-like number loses 150, letters cost 20 (digits are likelier), 6
//!   digits gain 10.
//!
//! The best score above 50 wins (the earliest on a tie); no candidate above
//! it means no code: a missing code costs a retry, a wrong one a failed login.
//!
//! Magic links: http(s) URLs whose host is `login_url`'s host, its parent
//! domain (when that has at least two labels and is not a public suffix such
//! as `co.uk` or a shared hosting domain) or a subdomain of either. Among
//! them, one whose path or query looks like sign-in, verify, magic, confirm
//! or carries a long token wins; unsubscribe, privacy, "this wasn't me",
//! help and asset links score negative and are never returned.
//!
//! Security: codes and texts stay in [`Zeroizing`] strings, nothing here
//! logs, and [`Extracted`]'s `Debug` prints `[redacted]`.

use regex::{Regex, RegexBuilder};
use zeroize::Zeroizing;

/// Compiled size limit of a credential's `code_pattern`.
const PATTERN_SIZE_LIMIT: usize = 1 << 20;
/// Longest `code_pattern` accepted, in bytes.
const PATTERN_MAX_LEN: usize = 1024;
/// Only this much of a message is searched.
const MAX_TEXT: usize = 256 * 1024;
/// A candidate must score above this.
const THRESHOLD: i32 = 50;

/// What one message yielded: a code, a magic link, both or neither.
#[derive(Default)]
pub struct Extracted {
    /// The one-time code.
    pub code: Option<Zeroizing<String>>,
    /// A URL on the credential's `login_url` site.
    pub link: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for Extracted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = |o: &Option<Zeroizing<String>>| o.as_ref().map(|_| "[redacted]");
        f.debug_struct("Extracted")
            .field("code", &r(&self.code))
            .field("link", &r(&self.link))
            .finish()
    }
}

/// A credential's `code_pattern` that does not compile.
#[derive(Debug, thiserror::Error)]
#[error("code_pattern is not a valid regular expression")]
pub struct InvalidPattern;

/// Extraction settings of one credential.
pub struct Extractor {
    pattern: Option<Regex>,
    site: Option<Site>,
}

impl std::fmt::Debug for Extractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extractor")
            .field("code_pattern", &self.pattern.as_ref().map(Regex::as_str))
            .field(
                "link_domain",
                &self.site.as_ref().map(|s| s.domain.as_str()),
            )
            .finish()
    }
}

/// The hosts a magic link may point at.
struct Site {
    host: String,
    /// The domain whose subdomains are accepted too.
    domain: String,
}

impl Extractor {
    /// Built-in patterns, or `code_pattern` (first capture group, else the
    /// whole match) when set; magic links only on `login_url`'s site.
    pub fn new(
        code_pattern: Option<&str>,
        login_url: Option<&str>,
    ) -> Result<Self, InvalidPattern> {
        let pattern = code_pattern.map(compile).transpose()?;
        let site = login_url.and_then(Site::from_login_url);
        Ok(Self { pattern, site })
    }

    /// The code and link in `text` (subject and body, HTML already reduced).
    pub fn extract(&self, text: &str) -> Extracted {
        let text = truncate(text, MAX_TEXT);
        let code = match &self.pattern {
            Some(re) => pattern_code(re, text),
            None => builtin_code(text),
        };
        let link = self.site.as_ref().and_then(|site| best_link(site, text));
        Extracted { code, link }
    }
}

/// Checks a credential's `code_pattern` at ingest.
pub fn check_code_pattern(pattern: &str) -> Result<(), InvalidPattern> {
    compile(pattern).map(|_| ())
}

fn compile(pattern: &str) -> Result<Regex, InvalidPattern> {
    if pattern.is_empty() || pattern.len() > PATTERN_MAX_LEN {
        return Err(InvalidPattern);
    }
    RegexBuilder::new(pattern)
        .size_limit(PATTERN_SIZE_LIMIT)
        .dfa_size_limit(PATTERN_SIZE_LIMIT)
        .nest_limit(64)
        .build()
        .map_err(|_| InvalidPattern)
}

fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn pattern_code(re: &Regex, text: &str) -> Option<Zeroizing<String>> {
    for caps in re.captures_iter(text) {
        let m = caps.get(1).or_else(|| caps.get(0))?;
        let value = m.as_str().trim();
        if !value.is_empty() {
            return Some(Zeroizing::new(value.to_string()));
        }
    }
    None
}

// ---------------------------------------------------------------------------
// Words and their meaning.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// Names a one-time code.
    Strong,
    /// Often near one (sign in, expires, do not share, …).
    Weak,
    /// Labels a number that is not a code (order, phone, price, ZIP, …).
    Negative,
    /// May stand between a label and its value ("is", "lautet", "your").
    Filler,
    /// A month name: a 4-digit number next to it is a year.
    Month,
    Other,
}

struct Word {
    start: usize,
    end: usize,
    lower: Zeroizing<String>,
    kind: Kind,
}

/// Maximal runs of alphanumeric characters.
fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        let inside = i < text.len() && c.is_alphanumeric();
        match (inside, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(Word {
                    start: s,
                    end: i,
                    lower: Zeroizing::new(text[s..i].to_lowercase()),
                    kind: Kind::Other,
                });
                start = None;
            }
            _ => {}
        }
    }
    for j in 0..out.len() {
        let prev = j
            .checked_sub(1)
            .map(|p| out[p].lower.as_str())
            .unwrap_or("");
        let next = out.get(j + 1).map(|w| w.lower.as_str()).unwrap_or("");
        let next2 = out.get(j + 2).map(|w| w.lower.as_str()).unwrap_or("");
        let kind = classify(&out[j].lower, prev, next, next2);
        out[j].kind = kind;
    }
    out
}

const STRONG: &[&str] = &[
    "code",
    "codes",
    "codigo",
    "código",
    "códigos",
    "codigos",
    "codice",
    "codici",
    "passcode",
    "passcodes",
    "otp",
    "pin",
    "pincode",
    "tan",
    "mtan",
    "smstan",
    "verification",
    "vérification",
    "verificación",
    "verificação",
    "verificacao",
    "verificatie",
    "verifizierung",
    "verify",
    "verifizieren",
    "verificar",
    "verifique",
    "verifica",
    "verificare",
    "vérifier",
    "verifiëren",
    "2fa",
    "mfa",
    "authentication",
    "authentifizierung",
    "authentification",
    "autenticación",
    "autenticação",
    "autenticazione",
    "authenticatie",
    "einmalpasswort",
    "einmalkennwort",
    "kod",
    "kode",
    "koodi",
    "totp",
];

const WEAK: &[&str] = &[
    "login",
    "logon",
    "signin",
    "anmeldung",
    "anmelden",
    "connexion",
    "connecter",
    "connectez",
    "identification",
    "acceso",
    "acceder",
    "iniciar",
    "sesión",
    "accesso",
    "accedere",
    "accedi",
    "inloggen",
    "aanmelden",
    "confirm",
    "confirmation",
    "confirmer",
    "confirmez",
    "confirmar",
    "confirmação",
    "confermare",
    "conferma",
    "bestätigen",
    "bestätigung",
    "bevestig",
    "bevestigen",
    "bevestiging",
    "expires",
    "expire",
    "expira",
    "expirará",
    "expirera",
    "läuft",
    "gültig",
    "valid",
    "válido",
    "valable",
    "valido",
    "geldig",
    "share",
    "teilen",
    "weiter",
    "partagez",
    "partager",
    "compartas",
    "compartir",
    "compartilhe",
    "compartilhar",
    "condividere",
    "condividi",
    "delen",
    "password",
    "passwort",
    "kennwort",
    "contraseña",
    "senha",
    "security",
    "sicherheit",
    "sécurité",
    "seguridad",
    "segurança",
    "sicurezza",
    "beveiliging",
    "enter",
    "eingeben",
    "geben",
    "saisissez",
    "saisir",
    "introduce",
    "ingresa",
    "digite",
    "insira",
    "inserisci",
    "voer",
    "token",
    "factor",
    "step",
];

const NEGATIVE: &[&str] = &[
    "order",
    "orders",
    "bestellung",
    "commande",
    "pedido",
    "pedidos",
    "ordine",
    "bestelling",
    "invoice",
    "facture",
    "factura",
    "fattura",
    "factuur",
    "receipt",
    "quittung",
    "beleg",
    "recibo",
    "ricevuta",
    "ticket",
    "case",
    "incident",
    "reference",
    "ref",
    "réf",
    "referenz",
    "referencia",
    "referência",
    "riferimento",
    "referentie",
    "account",
    "konto",
    "compte",
    "cuenta",
    "conta",
    "conto",
    "rekening",
    "customer",
    "kunde",
    "client",
    "cliente",
    "klant",
    "member",
    "membership",
    "tracking",
    "shipment",
    "suivi",
    "seguimiento",
    "rastreamento",
    "spedizione",
    "transaction",
    "transaktion",
    "transacción",
    "transação",
    "booking",
    "reservation",
    "reservierung",
    "réservation",
    "reserva",
    "prenotazione",
    "flight",
    "flug",
    "vol",
    "vuelo",
    "voo",
    "volo",
    "seat",
    "room",
    "zimmer",
    "gate",
    "ending",
    "endet",
    "endend",
    "last",
    "letzte",
    "phone",
    "tel",
    "telefon",
    "telephone",
    "téléphone",
    "teléfono",
    "telefone",
    "telefono",
    "telefoon",
    "fax",
    "call",
    "anrufen",
    "appelez",
    "llama",
    "ligue",
    "chiama",
    "bel",
    "hotline",
    "mobile",
    "mobil",
    "whatsapp",
    "iban",
    "bic",
    "swift",
    "card",
    "karte",
    "carte",
    "tarjeta",
    "cartão",
    "carta",
    "kaart",
    "total",
    "subtotal",
    "amount",
    "betrag",
    "summe",
    "montant",
    "importe",
    "valor",
    "importo",
    "bedrag",
    "price",
    "preis",
    "prix",
    "precio",
    "preço",
    "prezzo",
    "prijs",
    "qty",
    "quantity",
    "menge",
    "item",
    "artikel",
    "article",
    "sku",
    "model",
    "modell",
    "serial",
    "version",
    "build",
    "release",
    "id",
    "zip",
    "postal",
    "postcode",
    "plz",
    "postleitzahl",
    "cep",
    "cap",
    "promo",
    "promotional",
    "discount",
    "coupon",
    "voucher",
    "gift",
    "referral",
    "invite",
    "patient",
    "policy",
    "police",
    "vertrag",
    "contract",
    "claim",
    "vorgang",
    "dossier",
    "expediente",
    "pratica",
    "package",
    "paket",
    "colis",
    "paquete",
    "pacote",
    "pacco",
    "pakket",
    "apt",
    "suite",
    "unit",
    "box",
    "usd",
    "eur",
    "gbp",
    "chf",
    "euro",
    "euros",
    "dollar",
    "dollars",
    "cad",
    "aud",
    "sek",
    "nok",
    "dkk",
    "points",
    "punkte",
    "miles",
    "copyright",
    "ssn",
    "tax",
    "vat",
    "ust",
    "steuer",
    "route",
    "store",
    "filiale",
    "shop",
    "branch",
    "extension",
    "ext",
    "durchwahl",
];

const NEGATIVE_PREFIXES: &[&str] = &[
    "bestell",
    "rechnung",
    "kunden",
    "auftrag",
    "sendung",
    "buchung",
    "vertrag",
    "gutschein",
    "rabatt",
    "mitglied",
    "referenz",
    "telefon",
    "konto",
    "ticket",
    "tracking",
    "order",
    "invoice",
    "aktion",
    "einladung",
    "mobil",
    "handy",
    "postleit",
    "zip",
    "post",
    "promo",
    "bar",
    "qr",
    "source",
    "error",
    "fehler",
    "status",
    "color",
    "dress",
    "area",
    "country",
    "länder",
    "dial",
    "discount",
    "voucher",
    "coupon",
    "gift",
    "referral",
    "invite",
    "geo",
    "uni",
    "en",
    "de",
    "op",
    "short",
    "product",
    "produkt",
    "article",
    "artikel",
    "item",
    "steuer",
    "kassen",
    "geschenk",
];

const FILLER: &[&str] = &[
    "is",
    "are",
    "was",
    "ist",
    "lautet",
    "lauten",
    "est",
    "es",
    "é",
    "è",
    "your",
    "you",
    "dein",
    "deine",
    "ihr",
    "ihre",
    "votre",
    "ton",
    "tu",
    "su",
    "seu",
    "sua",
    "il",
    "tuo",
    "tua",
    "uw",
    "je",
    "the",
    "der",
    "die",
    "das",
    "le",
    "la",
    "el",
    "o",
    "a",
    "no",
    "nr",
    "nº",
    "n",
    "num",
    "numéro",
    "numero",
    "número",
    "here",
    "hier",
    "ici",
    "aquí",
    "aqui",
    "qui",
    "hieronder",
    "below",
    "unten",
    "follows",
    "folgt",
    "suivant",
    "siguiente",
    "seguinte",
    "seguente",
    "volgt",
    "in",
    "with",
    "mit",
    "avec",
    "con",
    "com",
    "met",
    "this",
    "diese",
    "dieser",
    "ce",
    "este",
    "esta",
    "questo",
    "deze",
    "de",
    "di",
    "do",
    "da",
    "van",
    "new",
    "neuer",
    "neue",
    "nouveau",
    "nuevo",
    "novo",
    "nuovo",
    "nieuwe",
    "single",
    "use",
    "temporary",
    "temporärer",
    "temporaire",
    "temporal",
    "temporário",
    "temporaneo",
    "our",
    "unser",
    "number",
    "nummer",
];

const MONTHS: &[&str] = &[
    "jan",
    "january",
    "feb",
    "february",
    "mar",
    "march",
    "apr",
    "april",
    "may",
    "jun",
    "june",
    "jul",
    "july",
    "aug",
    "august",
    "sep",
    "sept",
    "september",
    "oct",
    "october",
    "nov",
    "november",
    "dec",
    "december",
    "januar",
    "februar",
    "märz",
    "mai",
    "juni",
    "juli",
    "oktober",
    "dezember",
    "janvier",
    "février",
    "mars",
    "avril",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
    "janeiro",
    "fevereiro",
    "março",
    "maio",
    "junho",
    "julho",
    "setembro",
    "outubro",
    "dezembro",
    "gennaio",
    "febbraio",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "settembre",
    "ottobre",
    "dicembre",
    "januari",
    "februari",
    "maart",
    "mei",
    "augustus",
    "okt",
    "dez",
    "mär",
    "déc",
    "févr",
    "ene",
    "dic",
    "ago",
    "out",
    "set",
    "giu",
    "lug",
    "mrt",
];

/// Words before "code" that make it something else ("zip code", "promo code").
const CODE_NEG_BEFORE: &[&str] = &[
    "previous",
    "old",
    "expired",
    "earlier",
    "former",
    "alter",
    "alte",
    "vorherige",
    "vorheriger",
    "ancien",
    "précédent",
    "anterior",
    "antiguo",
    "precedente",
    "vorige",
    "oude",
    "reference",
    "ref",
    "ticket",
    "case",
    "member",
    "membership",
    "store",
    "branch",
    "airport",
    "airline",
    "flight",
    "fare",
    "class",
    "access-point",
    "postleitzahl",
    "zip",
    "postal",
    "post",
    "promo",
    "promotional",
    "discount",
    "coupon",
    "voucher",
    "gift",
    "referral",
    "invite",
    "invitation",
    "qr",
    "bar",
    "source",
    "error",
    "status",
    "country",
    "area",
    "dial",
    "tracking",
    "color",
    "colour",
    "dress",
    "product",
    "article",
    "item",
    "customer",
    "client",
    "order",
    "booking",
    "reservation",
    "tax",
    "sort",
    "swift",
    "bank",
    "rabatt",
    "gutschein",
    "aktions",
    "reduction",
    "réduction",
    "fehler",
    "hs",
    "iata",
];

/// Words after "code" (Romance order) that make it something else.
const CODE_NEG_AFTER: &[&str] = &[
    "postal",
    "postale",
    "promo",
    "promotionnel",
    "promocional",
    "promozionale",
    "sconto",
    "fiscale",
    "descuento",
    "desconto",
    "réduction",
    "cadeau",
    "regalo",
    "presente",
    "iban",
    "banque",
    "bancaire",
    "client",
    "cliente",
    "commande",
    "pedido",
    "ordine",
    "suivi",
];

fn classify(w: &str, prev: &str, next: &str, next2: &str) -> Kind {
    let code_like = STRONG.contains(&w) && (w.starts_with("cod") || w == "kod" || w == "kode");
    if code_like {
        if CODE_NEG_BEFORE.contains(&prev)
            || CODE_NEG_AFTER.contains(&next)
            || (next == "de" && CODE_NEG_AFTER.contains(&next2))
        {
            return Kind::Negative;
        }
        return Kind::Strong;
    }
    if STRONG.contains(&w) && !(w.starts_with("verif") && next == "id") {
        return Kind::Strong;
    }
    // Compounds: Bestätigungscode, Sicherheitscode, verificatiecode, logincode …
    for suffix in ["code", "codes", "kode", "codice"] {
        if w.len() > suffix.len() + 1 && w.ends_with(suffix) {
            if NEGATIVE_PREFIXES.iter().any(|p| w.starts_with(p)) {
                return Kind::Negative;
            }
            return Kind::Strong;
        }
    }
    if w.starts_with("einmal") || w.starts_with("bestätigungs") || w.starts_with("sicherheits") {
        return Kind::Strong;
    }
    // one-time / one time / single-use
    if (w == "time" && prev == "one") || (w == "one" && next == "time") {
        return Kind::Strong;
    }
    if NEGATIVE.contains(&w)
        || NEGATIVE_PREFIXES[..16]
            .iter()
            .any(|p| w.starts_with(p) && w.len() > p.len() + 2)
    {
        return Kind::Negative;
    }
    let number_next = matches!(
        next,
        "number" | "no" | "nr" | "nummer" | "numéro" | "número" | "numero" | "id"
    );
    if WEAK.contains(&w) && number_next {
        // "confirmation number", "login ID": a reference.
        return Kind::Negative;
    }
    if (w == "sign" || w == "log") && (next == "in" || next == "on") {
        return Kind::Weak;
    }
    if WEAK.contains(&w) {
        return Kind::Weak;
    }
    if FILLER.contains(&w) {
        return Kind::Filler;
    }
    if MONTHS.contains(&w) {
        return Kind::Month;
    }
    Kind::Other
}

// ---------------------------------------------------------------------------
// Candidates.

struct Candidate {
    start: usize,
    end: usize,
    /// Index of the first and last word it spans.
    first: usize,
    last: usize,
    value: Zeroizing<String>,
    letters: bool,
}

fn builtin_code(text: &str) -> Option<Zeroizing<String>> {
    let words = words(text);
    let spans = excluded_spans(text);
    let mut best: Option<(i32, Candidate)> = None;
    for cand in candidates(text, &words) {
        if spans.iter().any(|&(s, e)| cand.start < e && cand.end > s) {
            continue;
        }
        let Some(score) = score(text, &words, &cand) else {
            continue;
        };
        if score > THRESHOLD && best.as_ref().is_none_or(|(b, _)| score > *b) {
            best = Some((score, cand));
        }
    }
    best.map(|(_, c)| c.value)
}

fn is_code_token(w: &str) -> (bool, bool) {
    let len = w.len();
    if !(4..=8).contains(&len) || !w.is_ascii() {
        return (false, false);
    }
    let digits = w.bytes().filter(u8::is_ascii_digit).count();
    if digits == len {
        return (true, false);
    }
    let upper_or_digit = w
        .bytes()
        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
    (digits > 0 && upper_or_digit, true)
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `k` groups of `len` digits joined by `sep` read as one code:
/// `4 8 2 9 1 3`, `48 29 13`, `482 913`, `482-913`, `4829 1307`.
fn group_ok(len: usize, k: usize, sep: &str) -> bool {
    let space = sep == " " || sep == "\u{a0}";
    match len {
        1 => space && (4..=8).contains(&k),
        2 => space && (3..=4).contains(&k),
        3 | 4 => (space || sep == "-") && k == 2,
        _ => false,
    }
}

fn candidates(text: &str, words: &[Word]) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut j = 0;
    while j < words.len() {
        let w = &words[j];
        let raw = &text[w.start..w.end];
        // Digit groups of one length joined by one kind of separator; a
        // chain that does not read as a code yields nothing.
        if all_digits(raw) && raw.len() <= 4 {
            let mut k = 1;
            let mut sep_kind: Option<&str> = None;
            while let Some(n) = words.get(j + k) {
                let sep = &text[words[j + k - 1].end..n.start];
                let nraw = &text[n.start..n.end];
                if !(all_digits(nraw)
                    && nraw.len() == raw.len()
                    && sep_kind.is_none_or(|s| s == sep)
                    && matches!(sep, " " | "-" | "\u{a0}"))
                {
                    break;
                }
                sep_kind = Some(sep);
                k += 1;
            }
            if k >= 2 {
                if group_ok(raw.len(), k, sep_kind.unwrap_or("")) {
                    let last = &words[j + k - 1];
                    let value: String = text[w.start..last.end]
                        .chars()
                        .filter(char::is_ascii_digit)
                        .collect();
                    out.push(Candidate {
                        start: w.start,
                        end: last.end,
                        first: j,
                        last: j + k - 1,
                        value: Zeroizing::new(value),
                        letters: false,
                    });
                }
                j += k;
                continue;
            }
        }
        let (ok, letters) = is_code_token(raw);
        if ok {
            out.push(Candidate {
                start: w.start,
                end: w.end,
                first: j,
                last: j,
                value: Zeroizing::new(raw.to_string()),
                letters,
            });
        }
        j += 1;
    }
    out
}

/// URLs and email addresses: numbers inside them are not codes.
fn excluded_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans: Vec<(usize, usize)> = url_regex()
        .find_iter(text)
        .map(|m| (m.start(), m.end()))
        .collect();
    spans.extend(email_regex().find_iter(text).map(|m| (m.start(), m.end())));
    spans
}

fn url_regex() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        #[allow(clippy::unwrap_used)] // a constant pattern
        Regex::new(r#"(?i)\b(?:https?://|www\.)[^\s<>"'\]\[{}|\\^`]+"#).unwrap()
    })
}

fn email_regex() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        #[allow(clippy::unwrap_used)] // a constant pattern
        Regex::new(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+").unwrap()
    })
}

fn address_line_regex() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        #[allow(clippy::unwrap_used)] // a constant pattern
        Regex::new(
            r"(?i)(\b(street|avenue|road|blvd|boulevard|suite|floor|drive|lane|straße|strasse|allee|platz|gasse|postfach|calle|avenida|rua|viale|piazza|straat|gracht|laan|plein|cedex|gmbh|llc|ltd|inc|sarl|corp)\b|\b(st|ave|rd|str|av|bd|ste)\.|\bp\.?\s?o\.?\s?box\b|(?-i:\b[A-Z]{2} \d{5}\b|\b\d{4} ?[A-Z]{2}\b)|\brue\b|\bvia\b)",
        )
        .unwrap()
    })
}

fn char_before(text: &str, at: usize) -> Option<(usize, char)> {
    text[..at].char_indices().next_back()
}

fn char_after(text: &str, at: usize) -> Option<(usize, char)> {
    text[at..].chars().next().map(|c| (at + c.len_utf8(), c))
}

/// Whether a digit sits just before `at` (skipping up to two separators),
/// i.e. the candidate continues a number chain.
fn digit_before(text: &str, at: usize) -> bool {
    let mut pos = at;
    for step in 0..3 {
        let Some((p, c)) = char_before(text, pos) else {
            return false;
        };
        if c.is_ascii_digit() {
            return step > 0;
        }
        if !matches!(c, ' ' | '(' | ')' | '-' | '.' | '/' | ',' | ':' | '\u{a0}') {
            return false;
        }
        // "…IBAN 00: 774 201": a colon then a space ends a label, not a chain.
        if step == 1 && matches!(c, ':' | ';') {
            return false;
        }
        pos = p;
    }
    false
}

fn digit_after(text: &str, at: usize) -> bool {
    let mut pos = at;
    for step in 0..3 {
        let Some((p, c)) = char_after(text, pos) else {
            return false;
        };
        if c.is_ascii_digit() {
            return step > 0;
        }
        if !matches!(c, ' ' | '(' | ')' | '-' | '.' | '/' | ',' | ':' | '\u{a0}') {
            return false;
        }
        // A sentence end: "code 123456. 2 attempts left" is fine.
        if step == 0
            && matches!(c, '.' | ',' | ':')
            && let Some((_, n)) = char_after(text, p)
            && (n == ' ' || n == '\n')
        {
            return false;
        }
        pos = p;
    }
    false
}

/// Refuses decoys by their immediate surroundings (`false`): masked
/// digits (`•••4821`), prices, `#123456`, ZIPs after a state, number chains.
fn context_ok(text: &str, cand: &Candidate) -> bool {
    let before = char_before(text, cand.start).map(|(_, c)| c);
    let after = char_after(text, cand.end).map(|(_, c)| c);
    if let Some(c) = before {
        if matches!(
            c,
            '#' | '@'
                | '_'
                | '='
                | '&'
                | '$'
                | '€'
                | '£'
                | '¥'
                | '₹'
                | '+'
                | '§'
                | '№'
                | '*'
                | '•'
                | '●'
                | '∙'
                | '·'
                | '…'
        ) || c.is_alphanumeric()
        {
            return false;
        }
        // "$ 1299", "€ 49", "••• 4821"
        if c == ' '
            && let Some((_, c2)) = char_before(text, cand.start - 1)
            && matches!(
                c2,
                '$' | '€' | '£' | '¥' | '#' | '№' | '*' | '•' | '●' | '∙' | '·' | '…'
            )
        {
            return false;
        }
    }
    if let Some(c) = after {
        if matches!(c, '@' | '_' | '=' | '%' | '€' | '$' | '£' | '¥' | '°') || c.is_alphanumeric()
        {
            return false;
        }
        if c == ' '
            && let Some((_, c2)) = char_after(text, cand.end + 1)
            && matches!(c2, '€' | '$' | '£' | '%' | '¥')
        {
            return false;
        }
    }
    // A US ZIP after its state: ", CA 94105".
    if cand.value.len() == 5 && cand.start >= 4 {
        let b = text.as_bytes();
        let s = cand.start;
        if b[s - 1] == b' '
            && b[s - 2].is_ascii_uppercase()
            && b[s - 3].is_ascii_uppercase()
            && (s == 3 || matches!(b[s - 4], b' ' | b','))
        {
            return false;
        }
    }
    // "G-123456": a single letter before a dash is a prefix; any other
    // letter-dash is part of an identifier ("INV-2024").
    if before == Some('-') {
        let Some((p, _)) = char_before(text, cand.start) else {
            return false;
        };
        if let Some((pp, l)) = char_before(text, p)
            && l.is_alphabetic()
        {
            let lone = char_before(text, pp).is_none_or(|(_, c)| !c.is_alphanumeric());
            if !(lone && l.is_ascii_uppercase()) {
                return false;
            }
        }
    }
    !(digit_before(text, cand.start) || digit_after(text, cand.end))
}

/// Characters allowed between a label and its value besides filler words.
fn gap_chars_ok(gap: &str) -> bool {
    gap.len() <= 40
        && gap.chars().all(|c| {
            c.is_whitespace()
                || matches!(
                    c,
                    ':' | '-'
                        | '–'
                        | '—'
                        | '.'
                        | '*'
                        | '"'
                        | '\''
                        | '('
                        | ')'
                        | '«'
                        | '»'
                        | ','
                        | '='
                        | '>'
                        | '“'
                        | '”'
                        | '„'
                        | '‘'
                        | '’'
                        | '['
                        | ']'
                        | '°'
                        | 'º'
                )
        })
}

/// Whether words `a+1 .. b` are all filler and the characters between them
/// are label punctuation, i.e. word `a` labels what starts at word `b`.
fn labels(text: &str, words: &[Word], a: usize, b: usize, start: usize, end: usize) -> bool {
    if end < start || end - start > 60 {
        return false;
    }
    let inner = &words[a + 1..b];
    if inner.len() > 4 || inner.iter().any(|w| w.kind != Kind::Filler) {
        return false;
    }
    let mut pos = start;
    for w in inner {
        if !gap_chars_ok(&text[pos..w.start]) {
            return false;
        }
        pos = w.end;
    }
    gap_chars_ok(&text[pos..end])
}

fn score(text: &str, words: &[Word], cand: &Candidate) -> Option<i32> {
    if !context_ok(text, cand) {
        return None;
    }
    // A negative label right before or after refuses the candidate; the
    // nearest non-filler word decides.
    if let Some(j) = (0..cand.first)
        .rev()
        .find(|&j| words[j].kind != Kind::Filler)
        && words[j].kind == Kind::Negative
        && labels(text, words, j, cand.first, words[j].end, cand.start)
    {
        return None;
    }
    // After it, only within the same clause: "123456 (order number)", not
    // "123456. Your invoice is attached."
    if let Some(j) = (cand.last + 1..words.len()).find(|&j| words[j].kind != Kind::Filler) {
        let gap = &text[cand.end..words[j].start];
        if words[j].kind == Kind::Negative
            && !gap.contains(['.', ':', ';', '!', '?', '\n'])
            && labels(text, words, cand.last, j, cand.end, words[j].start)
        {
            return None;
        }
    }
    let digits_only = !cand.letters;
    let year = digits_only
        && cand.value.len() == 4
        && matches!(cand.value.parse::<u32>(), Ok(1900..=2099));
    if year {
        let near = |j: usize| words[j].kind == Kind::Month;
        let lo = cand.first.saturating_sub(3);
        let hi = (cand.last + 3).min(words.len() - 1);
        if (lo..=hi).any(near) {
            return None;
        }
        let from = cand.start.saturating_sub(30);
        let mut from = from;
        while !text.is_char_boundary(from) {
            from -= 1;
        }
        let before = Zeroizing::new(text[from..cand.start].to_lowercase());
        if before.contains('©') || before.contains("(c)") || before.contains("copyright") {
            return None;
        }
    }
    let mut best: Option<i32> = None;
    let mut strong_label = false;
    let mut strong_near = false;
    // Only words within the widest window (150 before, 100 after).
    let lo = words.partition_point(|w| w.end + 150 < cand.start);
    for (j, w) in words.iter().enumerate().skip(lo) {
        if w.start > cand.end + 100 {
            break;
        }
        let (weight, window_before, window_after, label_bonus) = match w.kind {
            Kind::Strong => (300, 150, 100, 100),
            Kind::Weak => (100, 80, 60, 30),
            _ => continue,
        };
        if j >= cand.first && j <= cand.last {
            continue;
        }
        let (distance, labelled) = if w.end <= cand.start {
            let d = cand.start - w.end;
            if d > window_before {
                continue;
            }
            (d, labels(text, words, j, cand.first, w.end, cand.start))
        } else {
            let d = w.start.saturating_sub(cand.end);
            if d > window_after {
                continue;
            }
            let gap = &text[cand.end..w.start.max(cand.end)];
            let same_clause = !gap.contains(['.', ':', ';', '!', '?', '\n']);
            (
                d,
                same_clause && labels(text, words, cand.last, j, cand.end, w.start),
            )
        };
        let s = weight - distance as i32 + if labelled { label_bonus } else { 0 };
        if w.kind == Kind::Strong {
            strong_near = true;
            strong_label |= labelled;
        }
        best = Some(best.map_or(s, |b| b.max(s)));
    }
    let mut s = best?;
    if cand.letters && !strong_near {
        // "Confirmation: ABC123" is a booking, not a code.
        return None;
    }
    if !strong_label && (year || on_address_line(text, cand)) {
        // A year or a number on an address line counts only when a strong
        // keyword labels it ("Your code is 2019").
        return None;
    }
    if year {
        s -= 150;
    }
    if cand.letters {
        s -= 20;
    }
    if cand.value.len() == 6 {
        s += 10;
    }
    Some(s)
}

fn on_address_line(text: &str, cand: &Candidate) -> bool {
    let start = text[..cand.start].rfind('\n').map_or(0, |p| p + 1);
    let end = text[cand.end..]
        .find('\n')
        .map_or(text.len(), |p| cand.end + p);
    address_line_regex().is_match(&text[start..end])
}

// ---------------------------------------------------------------------------
// Magic links.

/// Two-label public suffixes and shared hosting domains: their subdomains
/// belong to different owners.
const SHARED_SUFFIXES: &[&str] = &[
    "co.uk",
    "org.uk",
    "ac.uk",
    "gov.uk",
    "me.uk",
    "ltd.uk",
    "plc.uk",
    "net.uk",
    "co.jp",
    "ne.jp",
    "or.jp",
    "ac.jp",
    "com.au",
    "net.au",
    "org.au",
    "edu.au",
    "gov.au",
    "co.nz",
    "org.nz",
    "com.br",
    "net.br",
    "org.br",
    "com.cn",
    "net.cn",
    "org.cn",
    "com.mx",
    "co.in",
    "net.in",
    "org.in",
    "co.za",
    "com.tr",
    "com.ar",
    "com.sg",
    "com.hk",
    "co.kr",
    "com.tw",
    "co.il",
    "com.my",
    "co.id",
    "com.ph",
    "com.vn",
    "com.ua",
    "com.pl",
    "co.at",
    "or.at",
    "com.es",
    "com.co",
    "com.pe",
    "com.sa",
    "com.eg",
    "co.th",
    "com.ng",
    "github.io",
    "gitlab.io",
    "herokuapp.com",
    "vercel.app",
    "netlify.app",
    "pages.dev",
    "workers.dev",
    "azurewebsites.net",
    "cloudfront.net",
    "appspot.com",
    "firebaseapp.com",
    "web.app",
    "blogspot.com",
    "amazonaws.com",
    "onrender.com",
    "fly.dev",
    "glitch.me",
    "ngrok.io",
    "ngrok-free.app",
    "azurestaticapps.net",
    "myshopify.com",
    "wixsite.com",
    "webflow.io",
];

impl Site {
    fn from_login_url(login_url: &str) -> Option<Self> {
        let url = url::Url::parse(login_url).ok()?;
        let host = match url.host()? {
            url::Host::Domain(d) => d.trim_end_matches('.').to_ascii_lowercase(),
            // An IP address: that exact host only.
            other => {
                let h = other.to_string();
                return Some(Self {
                    domain: h.clone(),
                    host: h,
                });
            }
        };
        let labels: Vec<&str> = host.split('.').collect();
        let parent = labels[1..].join(".");
        let domain = if labels.len() >= 3 && !SHARED_SUFFIXES.contains(&parent.as_str()) {
            parent
        } else {
            host.clone()
        };
        Some(Self { host, domain })
    }

    fn accepts(&self, host: &str) -> bool {
        host == self.host
            || host == self.domain
            || (host.len() > self.domain.len()
                && host.ends_with(&self.domain)
                && host.as_bytes()[host.len() - self.domain.len() - 1] == b'.'
                && !SHARED_SUFFIXES.contains(&self.domain.as_str()))
    }
}

const LINK_GOOD: &[&str] = &[
    "login",
    "log-in",
    "log_in",
    "signin",
    "sign-in",
    "sign_in",
    "magic",
    "verify",
    "verif",
    "confirm",
    "auth",
    "token",
    "otp",
    "session",
    "activate",
    "approve",
    "callback",
    "sso",
    "passwordless",
    "onetime",
    "one-time",
    "validate",
    "anmelden",
    "connexion",
    "acceso",
    "accesso",
    "inloggen",
    "code",
];

const LINK_BAD: &[&str] = &[
    "unsubscribe",
    "unsub",
    "optout",
    "opt-out",
    "opt_out",
    "preferences",
    "privacy",
    "terms",
    "legal",
    "help",
    "support",
    "faq",
    "contact",
    "settings",
    "notification",
    "report",
    "not-me",
    "notme",
    "wasnt-me",
    "not_me",
    "secure-account",
    "lock",
    "abuse",
    "logo",
    "assets",
    "static",
    "images",
    "/img",
    "pixel",
    "track",
    "open.gif",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".svg",
    ".css",
    ".js",
    "datenschutz",
    "impressum",
    "abmelden",
    "desinscri",
    "désinscri",
    "darse-de-baja",
    "baja",
    "cancelar",
    "disiscri",
    "afmelden",
    "about",
    "blog",
    "careers",
    "download",
    "app-store",
    "play.google",
];

fn best_link(site: &Site, text: &str) -> Option<Zeroizing<String>> {
    let mut best: Option<(i32, Zeroizing<String>)> = None;
    for m in url_regex().find_iter(text) {
        let raw = m
            .as_str()
            .trim_end_matches(['.', ',', ';', ':', '!', '?', '*', ')', '>', '\'', '"']);
        let lower = raw.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            continue;
        }
        let Ok(url) = url::Url::parse(raw) else {
            continue;
        };
        // Only domain names: an IP address is never the login site's.
        let Some(url::Host::Domain(host)) = url.host() else {
            continue;
        };
        if !site.accepts(&host.to_ascii_lowercase()) || !url.username().is_empty() {
            continue;
        }
        let rest = Zeroizing::new(
            format!("{}?{}", url.path(), url.query().unwrap_or("")).to_ascii_lowercase(),
        );
        let mut score = 0;
        for g in LINK_GOOD {
            if rest.contains(g) {
                score += 10;
            }
        }
        for b in LINK_BAD {
            if rest.contains(b) {
                score -= 30;
            }
        }
        let long_token = rest.split(['/', '?', '&', '=', '#']).any(|p| {
            p.len() >= 16
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        });
        if long_token {
            score += 5;
        }
        if score > 0 && best.as_ref().is_none_or(|(b, _)| score > *b) {
            best = Some((score, Zeroizing::new(raw.to_string())));
        }
    }
    best.map(|(_, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> Option<String> {
        Extractor::new(None, None)
            .expect("built-in")
            .extract(text)
            .code
            .map(|c| c.to_string())
    }

    fn link(login: &str, text: &str) -> Option<String> {
        Extractor::new(None, Some(login))
            .expect("built-in")
            .extract(text)
            .link
            .map(|c| c.to_string())
    }

    #[test]
    fn invalid_patterns() {
        assert!(check_code_pattern("(unclosed").is_err());
        assert!(check_code_pattern("").is_err());
        assert!(check_code_pattern(&"a".repeat(2000)).is_err());
        // Over the compiled size limit.
        assert!(check_code_pattern(r"\w{1000}\w{1000}\w{1000}").is_err());
        assert!(Extractor::new(Some("[z-a]"), None).is_err());
        assert!(check_code_pattern(r"PIN (\d{4})").is_ok());
    }

    #[test]
    fn pattern_wins() {
        let e = Extractor::new(Some(r"Ref ([A-Z]{3}\d{3})"), None).expect("valid");
        let got = e.extract("Your code is 123456. Ref ABC123");
        assert_eq!(got.code.as_deref().map(String::as_str), Some("ABC123"));
        let e = Extractor::new(Some(r"\d{5}"), None).expect("valid");
        let got = e.extract("code 123456 then 54321");
        assert_eq!(got.code.as_deref().map(String::as_str), Some("12345"));
        let e = Extractor::new(Some(r"pin (\d+)"), None).expect("valid");
        assert!(
            e.extract("PIN 1234").code.is_none(),
            "case-sensitive as written"
        );
    }

    #[test]
    fn empty_and_plain() {
        assert_eq!(code(""), None);
        assert_eq!(code("Hello, nothing here."), None);
        assert_eq!(
            code("Your verification code is 482913."),
            Some("482913".into())
        );
        assert_eq!(
            code("482913 is your Acme login code"),
            Some("482913".into())
        );
        assert_eq!(
            code("G-482913 is your Google verification code."),
            Some("482913".into())
        );
        assert_eq!(code("Your code: 482 913"), Some("482913".into()));
        assert_eq!(code("Your code: 482-913"), Some("482913".into()));
        assert_eq!(
            code("Ihr Bestätigungscode lautet 7731"),
            Some("7731".into())
        );
        assert_eq!(code("Security code: K7QX2P"), Some("K7QX2P".into()));
    }

    #[test]
    fn only_a_year_and_a_price() {
        assert_eq!(
            code("© 2025 Acme Inc. Your plan costs $12.99 per month."),
            None
        );
        assert_eq!(code("Invoice total 1.234,00 € due 12 March 2025"), None);
    }

    #[test]
    fn decoys_lose() {
        assert_eq!(
            code("Order #123456 shipped. Your verification code is 770142. Call 1-800-555-0199."),
            Some("770142".into())
        );
        assert_eq!(code("Your account ending in 4821 requested a code."), None);
        assert_eq!(code("Use promo code 2025 for 10% off"), None);
        assert_eq!(
            code("Acme Inc., 500 Market Street, San Francisco, CA 94105 — code"),
            None
        );
    }

    #[test]
    fn link_hosts() {
        let login = "https://portal.acme.test/login";
        let t = |u: &str| format!("Sign in: {u}");
        assert_eq!(
            link(login, &t("https://portal.acme.test/magic?t=abc")).as_deref(),
            Some("https://portal.acme.test/magic?t=abc")
        );
        assert_eq!(
            link(login, &t("https://auth.acme.test/verify?x=1")).as_deref(),
            Some("https://auth.acme.test/verify?x=1")
        );
        assert_eq!(link(login, &t("https://evil.test/acme.test/login")), None);
        assert_eq!(link(login, &t("https://acme.test.evil.test/login")), None);
        assert_eq!(
            link(login, &t("https://portal.acme.test@evil.test/login")),
            None
        );
        assert_eq!(link(login, &t("https://notacme.test/login")), None);
        assert_eq!(
            link(login, "https://portal.acme.test/unsubscribe?u=1"),
            None
        );
        // Two-label public suffix: siblings are other sites.
        assert_eq!(
            link("https://acme.co.uk/login", &t("https://evil.co.uk/login")),
            None
        );
        assert_eq!(
            link(
                "https://acme.co.uk/login",
                &t("https://id.acme.co.uk/login")
            )
            .as_deref(),
            Some("https://id.acme.co.uk/login")
        );
        assert_eq!(
            link(
                "https://acme.github.io/x",
                &t("https://evil.github.io/login")
            ),
            None
        );
        // No login_url: no links.
        assert!(
            Extractor::new(None, None)
                .expect("ok")
                .extract(&t("https://a.test/login"))
                .link
                .is_none()
        );
    }

    /// Messages written apart from the corpus: what a person would read.
    #[test]
    fn realistic_one_liners() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "Your Acme account security code is 4821. If you didn't request it, ignore this.",
                Some("4821"),
            ),
            (
                "Use verification code 839201 for Acme authentication.",
                Some("839201"),
            ),
            (
                "Your OTP is 123456. Do not share it with anyone. Acme will never call you.",
                Some("123456"),
            ),
            ("Enter this code: 4 8 2 9 1 3", Some("482913")),
            ("Your code: 48 29 13", Some("482913")),
            ("<#> Your Acme code is 552910 FA+9qCX9VSu", Some("552910")),
            (
                "Your Uber code: 1234. Never share this code. Reply STOP ALL to 89203 to unsubscribe.",
                Some("1234"),
            ),
            (
                "Dein Verifizierungscode für Acme ist 123456.",
                Some("123456"),
            ),
            ("Code de sécurité Acme : 7781", Some("7781")),
            (
                "Ihre TAN für die Überweisung an DE89 3704 0044 0532 0130 00 lautet 482913",
                Some("482913"),
            ),
            (
                "Your Acme ID Code is: 310457. Don't share it. @acme.test #310457",
                Some("310457"),
            ),
            ("Your code was sent to +1 ••• ••• 4821", None),
            (
                "We sent a code to your phone ending in **21 and to ***4821",
                None,
            ),
            ("Ihr Einmalpasswort: 731 902", Some("731902")),
            ("Votre code d'accès est 482913", Some("482913")),
            ("Tu pedido 123456 ha sido enviado", None),
            ("Código: 8832 - válido por 5 minutos", Some("8832")),
            (
                "Your login code is 482913 (requested from 192.168.1.23)",
                Some("482913"),
            ),
            (
                "Confirmation number: ABC123. Flight AB1234 departs 10:45.",
                None,
            ),
            ("Your reference code is 4821", None),
            ("Call 0800 123 4567 to verify your identity", None),
            ("Your code is 1234. Reply STOP to 12345", Some("1234")),
            ("Your verification code is 12345678", Some("12345678")),
            ("Your appointment on 12-03-25 needs a code", None),
            (
                "Member since 2019. Use code WELCOME10 at checkout for 10% off.",
                None,
            ),
            ("Zip code 90210. Your code is 661204", Some("661204")),
            ("Sign in with 661204", Some("661204")),
            ("Your total is 1299 USD. Verification pending.", None),
            (
                "Your new code is 556677. (Your previous code 112233 no longer works.)",
                Some("556677"),
            ),
        ];
        let mut wrong = Vec::new();
        for (text, want) in cases {
            let got = code(text);
            if got.as_deref() != *want {
                wrong.push(format!("{text:?}: got {got:?}, want {want:?}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn large_input_is_bounded() {
        // Many numbers and keywords: linear enough to finish quickly.
        let text = "code 123456 order 654321 ".repeat(20_000);
        let started = std::time::Instant::now();
        let _ = code(&text);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    /// Random texts from an alphabet of separators, digits, keywords and
    /// multi-byte characters: no panic (every slice on a char boundary).
    #[test]
    fn no_panic_on_random_text() {
        const PIECES: &[&str] = &[
            "code",
            " ",
            "-",
            ".",
            ",",
            ":",
            "#",
            "$",
            "€",
            "•",
            "\u{a0}",
            "1",
            "23",
            "456",
            "2024",
            "G",
            "ä",
            "日本",
            "é",
            "\n",
            "https://a.acme.test/login?t=",
            "@x.test",
            "(",
            ")",
            "*",
            "/",
            "ABC1",
            "order",
            "is",
            "lautet",
            "©",
            "CA ",
            "%",
            "'",
            "\"",
            "🙂",
        ];
        let e = Extractor::new(None, Some("https://portal.acme.test/login")).expect("ok");
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..(state % 40) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(PIECES[(state % PIECES.len() as u64) as usize]);
            }
            let _ = e.extract(&text);
            state = state.wrapping_add(1);
        }
    }

    #[test]
    fn debug_is_redacted() {
        let e = Extractor::new(None, None)
            .expect("ok")
            .extract("Your code is 482913");
        let d = format!("{e:?}");
        assert!(!d.contains("482913") && d.contains("redacted"));
    }
}
