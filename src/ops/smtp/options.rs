//! What smtp-send (and sendmail mode) is asked to do, as plain values: the server, the envelope, where the
//! message comes from, the queue. `cli` builds these from either command line and raises every usage error
//! it can decide there; only what depends on a message's own header (its recipients under `-t`, its From)
//! is decided later, in `job`.

use std::path::PathBuf;

use crate::aliases::Aliases;
use crate::ops::common::{Login, NetOptions};
use crate::sasl::Mechanism;
use crate::smtp::dsn::Dsn;
use crate::url::{Scheme, Target};

/// The SMTP schemes.
pub const SMTP_SCHEMES: &[Scheme] = &[Scheme::Smtp, Scheme::Smtps];

/// A run of smtp-send.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where to send.
    pub server: Server,
    /// Send one message, or flush a queue.
    pub action: Action,
    /// `--queue DIR`: keep a message here after a transient failure.
    pub queue: Option<PathBuf>,
    /// `--all-or-nothing`: send nothing when any recipient is refused.
    pub all_or_nothing: bool,
    /// Run as sendmail: a message without a sender gets `$LOGNAME@domain`, success is silent.
    pub sendmail: bool,
    /// The account's sender, domain and aliases (config keys `from`, `domain`, `aliases`).
    pub local: Local,
    /// `--notify`, `--ret`, `--envid`: delivery status notifications (RFC 3461).
    pub dsn: Dsn,
    /// `--flush-queue`'s schedule (`--retry-after`, `--max-age`) and the `dead_letter` mailbox.
    pub lifecycle: super::queue::Lifecycle,
    /// `--mx` (or `mx = true` in the account): deliver to each recipient domain's exchangers; `server`
    /// then only lends its network settings and `--helo` (its target is not contacted).
    pub mx: Option<super::mx::MxOptions>,
}

/// What the account says about local names (sendmail mode and `--account`).
#[derive(Debug, Clone, Default)]
pub struct Local {
    /// `from`: the envelope sender when the command line names none, before the message's From.
    pub from: Option<String>,
    /// `domain`: qualifies bare local names in the envelope and in From/To/Cc; the domain of
    /// `$LOGNAME@domain`. Without it, sendmail mode qualifies with this host's FQDN.
    pub domain: Option<String>,
    /// `aliases`: the parsed aliases file.
    pub aliases: Option<Aliases>,
}

/// The server and how to talk to it.
#[derive(Debug, Clone)]
pub struct Server {
    /// The server URL (from the command line or the account).
    pub target: Target,
    /// TLS (account settings merged in), timeouts, credential sources, retries, transcript.
    pub net: NetOptions,
    /// [`Login::Required`] when a user is known or `--auth` was given, else [`Login::None`] (no AUTH).
    pub login: Login,
    /// `--auth`: the SASL mechanism (default: PLAIN, else LOGIN).
    pub auth: Option<Mechanism>,
    /// `--helo`, validated (default: this host's name).
    pub helo: Option<String>,
}

/// What the run does.
#[derive(Debug, Clone)]
pub enum Action {
    /// Send one message.
    Send(Message),
    /// `--flush-queue DIR`: resend every queued message.
    Flush(PathBuf),
}

/// One message and its envelope.
#[derive(Debug, Clone)]
pub struct Message {
    /// MAIL FROM, validated (for a ready message: `None` takes the message's From).
    pub from: Option<String>,
    /// RCPT TO from the flags or operands, validated, each once (`-t` adds the message's).
    pub rcpts: Vec<String>,
    /// Composed from flags, or ready-made.
    pub source: Source,
}

/// Where the message comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Composed from flags (boxed: far larger than the other variant).
    Compose(Box<Compose>),
    /// A ready message.
    Ready(Ready),
}

/// A message to compose (`--from --to --cc --subject --body --attach`).
#[derive(Debug, Clone)]
pub struct Compose {
    /// The From field as given (`Name <addr>`).
    pub from: String,
    /// The To fields as given.
    pub to: Vec<String>,
    /// The Cc fields as given.
    pub cc: Vec<String>,
    /// The Subject.
    pub subject: Option<String>,
    /// The text body.
    pub body: Body,
    /// Files to attach.
    pub attach: Vec<PathBuf>,
    /// `--html FILE`: an HTML alternative to the text body (multipart/alternative).
    pub html: Option<PathBuf>,
    /// `--reply-to`: the Reply-To fields as given.
    pub reply_to: Vec<String>,
    /// `--header 'Name: value'`: extra fields, validated, in order (Date and Message-ID replace the
    /// generated ones).
    pub headers: Vec<(String, String)>,
}

/// A composed message's text body.
#[derive(Debug, Clone)]
pub enum Body {
    /// No body.
    None,
    /// `--body TEXT`.
    Text(String),
    /// `--body-file FILE` (`-` for stdin).
    File(PathBuf),
}

/// A ready message (`--message FILE|-`, sendmail's stdin).
#[derive(Debug, Clone)]
pub struct Ready {
    /// The file, `-` for stdin.
    pub path: PathBuf,
    /// `-t`: add the To, Cc and Bcc recipients and remove Bcc.
    pub read_recipients: bool,
    /// sendmail without `-i`: a line of a single `.` ends the input.
    pub dot_ends_input: bool,
    /// sendmail `-F NAME`: the name in a From field added to a message without one (checked for CR/LF).
    pub full_name: Option<String>,
}

/// Adds `address` to `rcpts` unless it is there already (compared without regard to ASCII case).
pub fn push_unique(rcpts: &mut Vec<String>, address: String) {
    if !rcpts.iter().any(|o| o.eq_ignore_ascii_case(&address)) {
        rcpts.push(address);
    }
}
