//! One SMTP session: line framing, the command state machine, `DATA`/`BDAT`
//! and the `STARTTLS` upgrade.

use std::sync::Arc;

use smtp_proto::{Error as ParseError, Request};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::{MAX_COMMAND_LINE, MailSink, SmtpConfig};

/// Bytes of a `DATA` line taken at a time (message lines may be longer;
/// they are then handled in pieces).
const DATA_PIECE: usize = 8 * 1024;
/// Syntax errors and unknown commands tolerated before the session is closed.
const MAX_ERRORS: usize = 10;

/// A byte stream, plain TCP or TLS over it.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Why a session stops.
enum End {
    /// The client left, the connection failed, or we said goodbye.
    Closed,
    /// `STARTTLS` was accepted: the caller upgrades and starts afresh.
    StartTls(Arc<rustls::ServerConfig>),
}

/// What reading a line gave.
enum Piece {
    /// Up to and including a LF.
    Line,
    /// The size cap was reached before a LF.
    Partial,
    /// The client closed the connection.
    Eof,
}

/// A read that could not complete.
enum ReadErr {
    /// Nothing arrived within the idle timeout.
    Idle,
    /// The listener is shutting down (only while waiting for a command).
    Shutdown,
    /// The connection failed.
    Io,
}

/// The mail transaction begun by `MAIL FROM`.
struct Transaction {
    from: String,
    rcpts: Vec<String>,
    /// `BDAT` chunks so far (`None` until the first).
    chunks: Option<Vec<u8>>,
    /// A chunk went over the size limit: the rest are discarded.
    chunks_oversized: bool,
}

struct Session<'a> {
    config: &'a SmtpConfig,
    sink: &'a dyn MailSink,
    io: BufReader<Box<dyn Io>>,
    stop: watch::Receiver<bool>,
    tls_active: bool,
    greeted: bool,
    tx: Option<Transaction>,
    errors: usize,
}

/// Serves one connection to its end, upgrading to TLS when asked.
pub(super) async fn run(
    tcp: TcpStream,
    config: &SmtpConfig,
    sink: &dyn MailSink,
    stop: watch::Receiver<bool>,
) {
    let _ = tcp.set_nodelay(true);
    let mut session = Session::new(Box::new(tcp), false, config, sink, stop.clone());
    if session
        .reply("220", &format!("{} ESMTP SealVault", config.hostname))
        .await
        .is_err()
    {
        return;
    }
    loop {
        match session.serve().await {
            End::Closed => return,
            End::StartTls(tls) => {
                // Whatever the client pipelined after STARTTLS is in the
                // buffer being dropped here, unread (RFC 3207 §4.2).
                let inner = session.io.into_inner();
                let acceptor = tokio_rustls::TlsAcceptor::from(tls);
                let stream =
                    match tokio::time::timeout(config.idle_timeout, acceptor.accept(inner)).await {
                        Ok(Ok(stream)) => stream,
                        _ => {
                            tracing::debug!("smtp: TLS handshake failed");
                            return;
                        }
                    };
                tracing::debug!("smtp: TLS established");
                // A fresh session: no EHLO, no transaction (RFC 3207 §4.2).
                session = Session::new(Box::new(stream), true, config, sink, stop.clone());
            }
        }
    }
}

impl<'a> Session<'a> {
    fn new(
        io: Box<dyn Io>,
        tls_active: bool,
        config: &'a SmtpConfig,
        sink: &'a dyn MailSink,
        stop: watch::Receiver<bool>,
    ) -> Self {
        Self {
            config,
            sink,
            io: BufReader::new(io),
            stop,
            tls_active,
            greeted: false,
            tx: None,
            errors: 0,
        }
    }

    async fn reply(&mut self, code: &str, text: &str) -> std::io::Result<()> {
        let line = format!("{code} {text}\r\n");
        self.io.write_all(line.as_bytes()).await?;
        self.io.flush().await
    }

    async fn reply_lines(&mut self, code: &str, lines: &[String]) -> std::io::Result<()> {
        let mut out = String::new();
        for (i, line) in lines.iter().enumerate() {
            let sep = if i + 1 == lines.len() { ' ' } else { '-' };
            out.push_str(&format!("{code}{sep}{line}\r\n"));
        }
        self.io.write_all(out.as_bytes()).await?;
        self.io.flush().await
    }

    /// Reads into `out` up to and including the next LF, at most `cap`
    /// bytes. `interruptible`: a shutdown ends the wait when nothing is
    /// buffered (between commands).
    async fn read_piece(
        &mut self,
        out: &mut Vec<u8>,
        cap: usize,
        interruptible: bool,
    ) -> Result<Piece, ReadErr> {
        loop {
            let idle = self.config.idle_timeout;
            let wait_stop = interruptible && self.io.buffer().is_empty();
            let Self { io, stop, .. } = self;
            let filled = tokio::select! {
                r = tokio::time::timeout(idle, io.fill_buf()) => r,
                () = async { let _ = stop.wait_for(|stopping| *stopping).await; }, if wait_stop => {
                    return Err(ReadErr::Shutdown);
                }
            };
            let avail = match filled {
                Err(_) => return Err(ReadErr::Idle),
                Ok(Err(_)) => return Err(ReadErr::Io),
                Ok(Ok(avail)) => avail,
            };
            if avail.is_empty() {
                return Ok(Piece::Eof);
            }
            let room = cap.saturating_sub(out.len());
            let window = &avail[..avail.len().min(room)];
            if let Some(lf) = window.iter().position(|&b| b == b'\n') {
                out.extend_from_slice(&window[..=lf]);
                io.consume(lf + 1);
                return Ok(Piece::Line);
            }
            let n = window.len();
            out.extend_from_slice(window);
            io.consume(n);
            if out.len() >= cap {
                return Ok(Piece::Partial);
            }
        }
    }

    /// Tells the client why the session ends, for a read that failed.
    async fn read_failed(&mut self, e: ReadErr) -> End {
        match e {
            ReadErr::Idle => {
                tracing::debug!("smtp: idle timeout");
                let _ = self
                    .reply("421", "4.4.2 Idle timeout, closing connection")
                    .await;
            }
            ReadErr::Shutdown => {
                let _ = self.reply("421", "4.3.2 Service shutting down").await;
            }
            ReadErr::Io => {}
        }
        End::Closed
    }

    /// The command loop.
    async fn serve(&mut self) -> End {
        let mut line = Vec::with_capacity(MAX_COMMAND_LINE);
        loop {
            line.clear();
            match self.read_piece(&mut line, MAX_COMMAND_LINE, true).await {
                Err(e) => return self.read_failed(e).await,
                Ok(Piece::Eof) => return End::Closed,
                Ok(Piece::Partial) => {
                    // Discard the rest of the over-long line, never holding it.
                    loop {
                        line.clear();
                        match self.read_piece(&mut line, MAX_COMMAND_LINE, false).await {
                            Err(e) => return self.read_failed(e).await,
                            Ok(Piece::Eof) => return End::Closed,
                            Ok(Piece::Line) => break,
                            Ok(Piece::Partial) => {}
                        }
                    }
                    tracing::debug!("smtp: command line too long");
                    if self.error("500", "5.5.6 Line too long").await.is_err() {
                        return End::Closed;
                    }
                }
                Ok(Piece::Line) => {
                    let parsed = Request::parse(&mut line.iter()).map(Request::into_owned);
                    match self.command(parsed).await {
                        Ok(None) => {}
                        Ok(Some(end)) => return end,
                        Err(_) => return End::Closed,
                    }
                }
            }
        }
    }

    /// Answers an error that counts towards [`MAX_ERRORS`].
    async fn error(&mut self, code: &str, text: &str) -> std::io::Result<()> {
        self.errors += 1;
        self.reply(code, text).await?;
        if self.errors >= MAX_ERRORS {
            self.reply("421", "4.7.0 Too many errors, closing connection")
                .await?;
            return Err(std::io::ErrorKind::ConnectionAborted.into());
        }
        Ok(())
    }

    /// One command. `Ok(Some(_))` ends the session.
    async fn command(
        &mut self,
        parsed: Result<Request<String>, ParseError>,
    ) -> std::io::Result<Option<End>> {
        let request = match parsed {
            Ok(request) => request,
            Err(e) => {
                let (code, text) = match e {
                    ParseError::UnknownCommand => ("500", "5.5.2 Command unrecognized".to_owned()),
                    ParseError::InvalidSenderAddress => {
                        ("501", "5.1.7 Invalid sender address".to_owned())
                    }
                    ParseError::InvalidRecipientAddress => {
                        ("501", "5.1.3 Invalid recipient address".to_owned())
                    }
                    ParseError::SyntaxError { syntax } => {
                        ("501", format!("5.5.4 Syntax: {syntax}"))
                    }
                    ParseError::InvalidParameter { .. } => {
                        ("501", "5.5.4 Invalid parameter".to_owned())
                    }
                    ParseError::UnsupportedParameter { .. } => {
                        ("555", "5.5.4 Unsupported parameter".to_owned())
                    }
                    _ => ("500", "5.5.2 Syntax error".to_owned()),
                };
                tracing::debug!(reply = code, "smtp: bad command");
                self.error(code, &text).await?;
                return Ok(None);
            }
        };
        tracing::debug!(verb = request.name(), "smtp: command");
        match request {
            Request::Ehlo { .. } => {
                self.greeted = true;
                self.tx = None;
                let mut lines = vec![
                    self.config.hostname.clone(),
                    format!("SIZE {}", self.config.max_message_bytes),
                    "8BITMIME".to_owned(),
                    "PIPELINING".to_owned(),
                    "ENHANCEDSTATUSCODES".to_owned(),
                    "CHUNKING".to_owned(),
                    "SMTPUTF8".to_owned(),
                ];
                if self.config.tls.is_some() && !self.tls_active {
                    lines.push("STARTTLS".to_owned());
                }
                self.reply_lines("250", &lines).await?;
            }
            Request::Helo { .. } => {
                self.greeted = true;
                self.tx = None;
                let host = self.config.hostname.clone();
                self.reply("250", &host).await?;
            }
            Request::Mail { from } => {
                if !self.greeted {
                    self.reply("503", "5.5.1 Say EHLO first").await?;
                } else if self.tx.is_some() {
                    self.reply("503", "5.5.1 Nested MAIL command").await?;
                } else if from.size > self.config.max_message_bytes {
                    self.reply(
                        "552",
                        "5.3.4 Message size exceeds fixed maximum message size",
                    )
                    .await?;
                } else {
                    self.tx = Some(Transaction {
                        from: from.address,
                        rcpts: Vec::new(),
                        chunks: None,
                        chunks_oversized: false,
                    });
                    self.reply("250", "2.1.0 OK").await?;
                }
            }
            Request::Rcpt { to } => self.rcpt(to.address).await?,
            Request::Data => return self.data().await,
            Request::Bdat {
                chunk_size,
                is_last,
            } => return self.bdat(chunk_size, is_last).await,
            Request::Rset => {
                self.tx = None;
                self.reply("250", "2.0.0 OK").await?;
            }
            Request::Noop { .. } => self.reply("250", "2.0.0 OK").await?,
            Request::Vrfy { .. } => {
                self.reply("252", "2.5.0 Cannot VRFY user, but will accept message")
                    .await?;
            }
            Request::Quit => {
                self.reply("221", "2.0.0 Bye").await?;
                return Ok(Some(End::Closed));
            }
            Request::StartTls => match (&self.config.tls, self.tls_active) {
                (None, _) => self.error("502", "5.5.1 STARTTLS not available").await?,
                (Some(_), true) => self.reply("503", "5.5.1 TLS already active").await?,
                (Some(tls), false) => {
                    let tls = Arc::clone(tls);
                    self.reply("220", "2.0.0 Ready to start TLS").await?;
                    return Ok(Some(End::StartTls(tls)));
                }
            },
            Request::Lhlo { .. }
            | Request::Auth { .. }
            | Request::Expn { .. }
            | Request::Help { .. }
            | Request::Etrn { .. }
            | Request::Atrn { .. }
            | Request::Burl { .. } => {
                self.error("502", "5.5.1 Command not implemented").await?;
            }
        }
        Ok(None)
    }

    async fn rcpt(&mut self, address: String) -> std::io::Result<()> {
        let Some(tx) = &self.tx else {
            return self.reply("503", "5.5.1 Need MAIL before RCPT").await;
        };
        if tx.chunks.is_some() {
            return self.reply("503", "5.5.1 RCPT after BDAT").await;
        }
        let rcpt = address.to_lowercase();
        if tx.rcpts.contains(&rcpt) {
            return self.reply("250", "2.1.5 OK").await;
        }
        if tx.rcpts.len() >= self.config.max_recipients {
            return self.reply("452", "4.5.3 Too many recipients").await;
        }
        if self.sink.accepts(&rcpt).await {
            if let Some(tx) = &mut self.tx {
                tx.rcpts.push(rcpt);
            }
            self.reply("250", "2.1.5 OK").await
        } else {
            tracing::debug!("smtp: recipient refused");
            self.reply("550", "5.1.1 No such user").await
        }
    }

    /// Whether the transaction may take message data; answers when not.
    async fn ready_for_data(&mut self) -> std::io::Result<bool> {
        match &self.tx {
            None => {
                self.reply("503", "5.5.1 Need MAIL command").await?;
                Ok(false)
            }
            Some(tx) if tx.rcpts.is_empty() => {
                self.reply("554", "5.5.1 No valid recipients").await?;
                Ok(false)
            }
            Some(_) => Ok(true),
        }
    }

    async fn data(&mut self) -> std::io::Result<Option<End>> {
        if self.tx.as_ref().is_some_and(|tx| tx.chunks.is_some()) {
            self.reply("503", "5.5.1 DATA after BDAT").await?;
            return Ok(None);
        }
        if !self.ready_for_data().await? {
            return Ok(None);
        }
        self.reply("354", "Start mail input; end with <CRLF>.<CRLF>")
            .await?;
        let max = self.config.max_message_bytes;
        let mut message = Vec::new();
        let mut oversized = false;
        let mut piece = Vec::with_capacity(DATA_PIECE);
        // The CRLF ending the DATA command counts: a first line "." ends.
        let mut at_line_start = true;
        loop {
            piece.clear();
            match self.read_piece(&mut piece, DATA_PIECE, false).await {
                Err(e) => return Ok(Some(self.read_failed(e).await)),
                Ok(Piece::Eof) => return Ok(Some(End::Closed)),
                Ok(_) => {}
            }
            let mut bytes = &piece[..];
            if at_line_start {
                if bytes == b".\r\n" {
                    break;
                }
                if let [b'.', rest @ ..] = bytes {
                    bytes = rest;
                }
            }
            // Only CRLF starts a line (a bare LF does not: no smuggling).
            at_line_start = piece.ends_with(b"\r\n");
            if !oversized {
                if message.len() + bytes.len() > max {
                    oversized = true;
                    message = Vec::new();
                } else {
                    message.extend_from_slice(bytes);
                }
            }
        }
        let tx = self.tx.take();
        if oversized {
            tracing::debug!(limit = max, "smtp: message too large");
            self.reply(
                "552",
                "5.3.4 Message size exceeds fixed maximum message size",
            )
            .await?;
            return Ok(None);
        }
        if let Some(tx) = tx {
            self.deliver(&tx.from, &tx.rcpts, &message).await?;
        }
        Ok(None)
    }

    async fn bdat(&mut self, size: usize, is_last: bool) -> std::io::Result<Option<End>> {
        let max = self.config.max_message_bytes;
        let keep = match &self.tx {
            Some(tx) if !tx.rcpts.is_empty() && !tx.chunks_oversized => {
                tx.chunks.as_ref().map_or(0, Vec::len).saturating_add(size) <= max
            }
            _ => false,
        };
        // The chunk is read whatever happens, kept only when it fits.
        let mut chunk = Vec::new();
        let mut left = size;
        while left > 0 {
            let idle = self.config.idle_timeout;
            let avail = match tokio::time::timeout(idle, self.io.fill_buf()).await {
                Err(_) => return Ok(Some(self.read_failed(ReadErr::Idle).await)),
                Ok(Err(_)) => return Ok(Some(End::Closed)),
                Ok(Ok(avail)) => avail,
            };
            if avail.is_empty() {
                return Ok(Some(End::Closed));
            }
            let n = avail.len().min(left);
            if keep {
                chunk.extend_from_slice(&avail[..n]);
            }
            self.io.consume(n);
            left -= n;
        }
        if !self.ready_for_data().await? {
            return Ok(None);
        }
        let Some(tx) = &mut self.tx else {
            return Ok(None);
        };
        if keep {
            tx.chunks
                .get_or_insert_with(Vec::new)
                .extend_from_slice(&chunk);
        } else {
            tx.chunks.get_or_insert_with(Vec::new).clear();
            tx.chunks_oversized = true;
        }
        if !is_last {
            let text = format!("2.0.0 {size} octets received");
            return self.reply("250", &text).await.map(|()| None);
        }
        let Some(tx) = self.tx.take() else {
            return Ok(None);
        };
        if tx.chunks_oversized {
            tracing::debug!(limit = max, "smtp: message too large");
            self.reply(
                "552",
                "5.3.4 Message size exceeds fixed maximum message size",
            )
            .await?;
            return Ok(None);
        }
        let message = tx.chunks.unwrap_or_default();
        self.deliver(&tx.from, &tx.rcpts, &message).await?;
        Ok(None)
    }

    async fn deliver(&mut self, from: &str, rcpts: &[String], raw: &[u8]) -> std::io::Result<()> {
        match self.sink.deliver(from, rcpts, raw).await {
            Ok(()) => {
                tracing::debug!(
                    recipients = rcpts.len(),
                    bytes = raw.len(),
                    "smtp: delivered"
                );
                self.reply("250", "2.0.0 OK").await
            }
            Err(_) => {
                tracing::debug!("smtp: delivery failed");
                self.reply("451", "4.3.0 Local error, try again later")
                    .await
            }
        }
    }
}
