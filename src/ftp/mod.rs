//! The FTP client session: RFC 959 command sequences, RFC 2389 FEAT, RFC 2428 EPSV/EPRT, RFC 3659
//! SIZE/MDTM/REST STREAM/MLSD, RFC 4217 AUTH TLS/PBSZ/PROT.
//!
//! One method per protocol command, named after it; each says which replies it accepts and turns any other
//! into the error its class implies ([`refused`]). A 421 at any point arrives as a 4xx and ends the
//! step with a transient error. The session never touches files or flags: callers hand it paths and get
//! data streams back. All bytes pass through the [`PingPong`] engine.

pub mod ascii;
pub mod data;
pub mod list;
pub mod list_all;
pub mod path;
pub mod reply;
pub mod stat;
pub mod sync;

use std::time::{Duration, Instant, SystemTime};

use crate::credentials::Credentials;
use crate::error::{Error, ErrorKind, Result};
use crate::pingpong::{Command, PingPong, SessionConfig, Wire};
use crate::transport::Stream;
use crate::url::Target;

pub use ascii::AsciiReader;
pub use data::{DataMode, DataStream};
pub use path::RemotePath;
pub use reply::{FtpDialect, Reply, refused};

#[cfg(test)]
mod tests;

/// How many commands [`Session::mdtm_many`] and [`Session::size_many`] send before reading replies.
pub const PIPELINE: usize = 64;

/// The longest [`Session::pipelined`] waits before reading a batch's replies.
const NAP_CAP: Duration = Duration::from_millis(5);

/// How to reach and log in to a server.
#[derive(Clone)]
pub struct Config {
    /// What every session shares: TLS, timeouts, transcript.
    pub session: SessionConfig,
    /// Passive (EPSV/PASV) or active.
    pub mode: DataMode,
    /// `--limit-rate`: the run's one bucket, which listings draw on too (file transfers meter their
    /// own streams with the same bucket).
    pub limit: Option<std::sync::Arc<crate::ratelimit::RateLimit>>,
}

/// What FEAT announced (RFC 2389).
#[derive(Debug, Clone, Default)]
pub struct Features {
    /// MLST/MLSD (RFC 3659 §7).
    pub mlst: bool,
    /// The OPTS MLST argument that turns on the facts the listings use (see [`mlst_facts_wanted`]) when
    /// the server offers some of them switched off (pyftpdlib offers `unix.mode` off): `None` when every
    /// offered one is already on.
    pub mlst_opts: Option<String>,
    /// SIZE (RFC 3659 §4).
    pub size: bool,
    /// MDTM (RFC 3659 §3).
    pub mdtm: bool,
    /// REST STREAM (RFC 3659 §5).
    pub rest_stream: bool,
    /// UTF8 (RFC 2640).
    pub utf8: bool,
    /// EPSV (RFC 2428).
    pub epsv: bool,
    /// What mirroring uses: MFMT, SITE UTIME, HASH, XMD5.
    pub sync: sync::SyncFeatures,
}

/// A logged-in control connection (over a socket; unit tests run it over a scripted stream).
pub struct Session<S: Wire = Stream> {
    pp: PingPong<FtpDialect, S>,
    host: String,
    config: Config,
    protected: bool,
    epsv_failed: bool,
    /// How long the server took per reply in the last pipelined batch (see [`Session::pipelined`]).
    reply_pace: Option<Duration>,
    /// The representation type the server accepted last (TYPE holds for the session, RFC 959 §4.1.2).
    ttype: Option<TransferType>,
    /// The `unique` fact of the directory the last MLSD listed (its `type=cdir` line).
    cdir_unique: Option<String>,
    /// The time of the directory the last listing listed, when it said (MLSD's `type=cdir` line,
    /// `LIST -a`'s `.`), as [`list::Entry::modified`] has it.
    cdir_modified: Option<String>,
    /// What the server announced.
    pub features: Features,
}

/// The MLST facts the listings read: kind, size, time, permissions, identity (the loop rule) and the
/// Unix mode (the mirrors' file modes).
const MLST_FACTS: [&str; 6] = ["type", "size", "modify", "perm", "unique", "unix.mode"];

/// The OPTS MLST argument for FEAT's MLST line `offered` (RFC 3659 §7.8: the facts the server can give,
/// each on ones marked `*`): the facts already on plus the wanted ones offered off, or `None` when no
/// wanted fact is off. OPTS MLST selects exactly the facts it names, so the ones on stay named.
fn mlst_facts_wanted(offered: &str) -> Option<String> {
    let facts: Vec<(String, bool)> = offered
        .split(';')
        .map(str::trim)
        .filter(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_graphic()))
        .map(|f| match f.strip_suffix('*') {
            Some(name) => (name.to_ascii_lowercase(), true),
            None => (f.to_ascii_lowercase(), false),
        })
        .collect();
    let wanted_off = |(name, on): &(String, bool)| !on && MLST_FACTS.contains(&name.as_str());
    if !facts.iter().any(wanted_off) {
        return None;
    }
    let list = |keep: &dyn Fn(&(String, bool)) -> bool| -> String {
        facts
            .iter()
            .filter(|f| keep(f))
            .map(|f| format!("{};", f.0))
            .collect()
    };
    let all = list(&|f| f.1 || wanted_off(f));
    // A FEAT line of a thousand facts makes no command: then the wanted ones alone.
    if all.len() <= MLST_OPTS_MAX {
        return Some(all);
    }
    Some(list(&|f| MLST_FACTS.contains(&f.0.as_str())))
}

/// The longest OPTS MLST argument sent with every fact that is on (see [`mlst_facts_wanted`]).
const MLST_OPTS_MAX: usize = 256;

/// `path` as the argument of LIST, NLST or STAT: servers hand that to `ls`, which reads a leading `-` as
/// options, so a directory named `-R` would be listed recursively and one named `-l` not at all
/// (the current directory instead); `./` goes in front of such a path.
fn list_arg(path: &str) -> std::borrow::Cow<'_, str> {
    if path.starts_with('-') {
        format!("./{path}").into()
    } else {
        path.into()
    }
}

/// Representation type (RFC 959 §3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferType {
    /// TYPE I.
    Binary,
    /// TYPE A.
    Ascii,
}

impl Session {
    /// Connects, greets, secures and logs in: the whole opening sequence.
    ///
    /// `ftps://` starts TLS before the greeting (implicit FTPS); `--starttls` sends AUTH TLS first. On a
    /// protected control connection PBSZ 0 and PROT P follow the login (RFC 4217 §8-9) so data is protected
    /// too. FEAT is asked once the connection is in its final state.
    pub fn open(target: &Target, creds: &Credentials, config: &Config) -> Result<Session> {
        Session::open_and(target, creds, config, &|| {})
    }

    /// [`Session::open`], calling `connected` as soon as the control connection is up, before the
    /// greeting and login: a caller opening more sessions to the server starts them there, so their
    /// logins overlap this one's and the server still sees this connection first.
    pub fn open_and(
        target: &Target,
        creds: &Credentials,
        config: &Config,
        connected: &dyn Fn(),
    ) -> Result<Session> {
        if config.mode == DataMode::Active && config.session.route.proxy.is_some() {
            return Err(Error::usage(
                "--active cannot work through a proxy (the server would connect to us): use passive \
                 mode, or --noproxy",
            ));
        }
        let mut config = config.clone();
        config.session.tls = config.session.tls.map(|t| t.with_own_sessions());
        let pp = PingPong::open(target, &config.session, FtpDialect::default())?;
        connected();
        Session::start(pp, &target.host, creds, config)
    }
}

impl<S: Wire> Session<S> {
    /// The opening sequence of [`Session::open`] on a connected control connection: greeting, AUTH TLS
    /// (`--starttls`), login, PBSZ/PROT on a protected connection, FEAT, OPTS UTF8.
    pub(crate) fn start(
        pp: PingPong<FtpDialect, S>,
        host: &str,
        creds: &Credentials,
        config: Config,
    ) -> Result<Self> {
        let mut s = Session {
            pp,
            host: host.to_string(),
            protected: false,
            epsv_failed: config.mode == DataMode::PassiveNoEpsv,
            reply_pace: None,
            ttype: None,
            cdir_unique: None,
            cdir_modified: None,
            features: Features::default(),
            config,
        };
        s.greeting()?;
        if s.config.session.starttls && !s.pp.is_tls() {
            s = s.auth_tls()?;
        }
        s.login(creds)?;
        if s.pp.is_tls() {
            s.pbsz()?;
            s.prot_p()?;
        }
        s.feat()?;
        if s.features.utf8 {
            s.opts_utf8();
        }
        if let Some(facts) = s.features.mlst_opts.clone() {
            s.opts_mlst(&facts);
        }
        Ok(s)
    }

    fn cmd(&mut self, cmd: Command) -> Result<Reply> {
        self.pp.send(&cmd)?;
        self.pp.read_reply()
    }

    fn require(&mut self, cmd: Command, ok: &[u16]) -> Result<Reply> {
        let what = cmd.redacted();
        let r = self.cmd(cmd)?;
        if ok.contains(&r.code) {
            Ok(r)
        } else {
            Err(refused(&r, &what))
        }
    }

    /// The greeting (RFC 959 §5.4): 220, after any number of 120 "ready in n minutes" — all within one
    /// timeout, so a server repeating 120 cannot keep the client waiting.
    fn greeting(&mut self) -> Result<()> {
        let deadline = self.pp.greeting_deadline();
        loop {
            let r = self
                .pp
                .read_reply_within(deadline)
                .map_err(|e| self.pp.greeting_error(e))?;
            match r.code {
                220 => return Ok(()),
                120 => continue,
                _ => return Err(self.pp.greeting_error(refused(&r, "greeting"))),
            }
        }
    }

    /// AUTH TLS (RFC 4217 §6): 234, then the handshake; any refusal is a TLS failure (exit 4), never a
    /// fallback to plain text.
    fn auth_tls(mut self) -> Result<Self> {
        let tls = self.config.session.tls_client()?;
        self.pp = self.pp.starttls(tls, &self.host, |pp| {
            pp.send(&Command::with("AUTH", "TLS"))?;
            let r = pp.read_reply()?;
            Ok(match r.code {
                234 => Ok(()),
                _ => Err(refused(&r, "AUTH TLS")),
            })
        })?;
        Ok(self)
    }

    /// USER, PASS and ACCT (RFC 959 §4.1.1): 230 or 202 ends the login at any step; 331 asks for the
    /// password, 332 for an account. A refusal of USER or PASS is an authentication failure (exit 5).
    fn login(&mut self, creds: &Credentials) -> Result<()> {
        let auth = |e: Error| match e.kind() {
            ErrorKind::Permanent => e.with_kind(ErrorKind::Auth),
            _ => e,
        };
        let r = self
            .require(
                Command::with("USER", creds.user.clone()),
                &[230, 202, 331, 332],
            )
            .map_err(auth)?;
        let r = match r.code {
            331 => self
                .require(Command::secret("PASS", &creds.password), &[230, 202, 332])
                .map_err(auth)?,
            _ => r,
        };
        if r.code == 332 {
            return Err(Error::new(
                ErrorKind::Auth,
                "the server asks for an account (ACCT), which ferry was not given",
            ));
        }
        Ok(())
    }

    /// PBSZ 0 (RFC 4217 §8).
    fn pbsz(&mut self) -> Result<()> {
        self.require(Command::with("PBSZ", "0"), &[200])
            .map_err(|e| e.with_kind(ErrorKind::Tls))?;
        Ok(())
    }

    /// PROT P (RFC 4217 §9): data connections are protected from now on.
    fn prot_p(&mut self) -> Result<()> {
        self.require(Command::with("PROT", "P"), &[200])
            .map_err(|e| e.with_kind(ErrorKind::Tls))?;
        self.protected = true;
        Ok(())
    }

    /// FEAT (RFC 2389 §3): 211 with one feature per line; 500/502 means none.
    fn feat(&mut self) -> Result<()> {
        let r = self.cmd(Command::new("FEAT"))?;
        if r.code != 211 {
            if r.code >= 500 {
                return Ok(());
            }
            return Err(refused(&r, "FEAT"));
        }
        let mut f = Features::default();
        for line in r.lines.iter().skip(1) {
            let word = line.trim_start();
            let name = word
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            let arg = word
                .get(name.len()..)
                .unwrap_or("")
                .trim()
                .to_ascii_uppercase();
            match name.as_str() {
                "MLST" => {
                    f.mlst = true;
                    f.mlst_opts = mlst_facts_wanted(&arg);
                }
                "SIZE" => f.size = true,
                "MDTM" => f.mdtm = true,
                "REST" => f.rest_stream = arg.contains("STREAM"),
                "UTF8" => f.utf8 = true,
                "EPSV" => f.epsv = true,
                other => f.sync.note(other, &arg),
            }
        }
        self.features = f;
        Ok(())
    }

    /// OPTS UTF8 ON (RFC 2640 §3.3, and the de-facto form): best effort, a refusal changes nothing.
    fn opts_utf8(&mut self) {
        let _ = self.cmd(Command::with("OPTS", "UTF8 ON"));
    }

    /// OPTS MLST (RFC 3659 §7.9): selects the facts MLSD gives; best effort, a refusal leaves the
    /// server's default facts.
    fn opts_mlst(&mut self, facts: &str) {
        let _ = self.cmd(Command::with("OPTS", format!("MLST {facts}")));
    }

    /// TYPE I or TYPE A (RFC 959 §4.1.2); not sent again when the server already accepted that type on
    /// this session (the type holds until changed), so a run of files costs one TYPE, not one each.
    pub fn type_(&mut self, t: TransferType) -> Result<()> {
        if self.ttype == Some(t) {
            return Ok(());
        }
        let arg = match t {
            TransferType::Binary => "I",
            TransferType::Ascii => "A",
        };
        self.ttype = None;
        self.require(Command::with("TYPE", arg), &[200])?;
        self.ttype = Some(t);
        Ok(())
    }

    /// SIZE (RFC 3659 §4): the transfer size, `None` when the server has no answer (5xx: not a plain file,
    /// or SIZE unsupported).
    pub fn size(&mut self, path: &str) -> Result<Option<u64>> {
        let r = self.cmd(Command::with("SIZE", path))?;
        match r.code {
            213 => r
                .first()
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| Error::protocol(format!("SIZE: malformed size {:?}", r.first()))),
            500..=599 => Ok(None),
            _ => Err(refused(&r, &format!("SIZE {path}"))),
        }
    }

    /// MDTM (RFC 3659 §3): the modification time (UTC), `None` when unavailable.
    pub fn mdtm(&mut self, path: &str) -> Result<Option<SystemTime>> {
        let r = self.cmd(Command::with("MDTM", path))?;
        match r.code {
            213 => list::parse_time_val(r.first().trim())
                .map(Some)
                .ok_or_else(|| Error::protocol(format!("MDTM: malformed time {:?}", r.first()))),
            500..=599 => Ok(None),
            _ => Err(refused(&r, &format!("MDTM {path}"))),
        }
    }

    /// MDTM for many paths, pipelined in batches of [`PIPELINE`] (see [`Session::pipelined`]): a mirror's
    /// change check costs no round trip per file. The outer error is
    /// a connection that failed (out of step); an inner one is that path's refusal, as [`Session::mdtm`]
    /// would return it.
    pub fn mdtm_many(&mut self, paths: &[&str]) -> Result<Vec<Result<Option<SystemTime>>>> {
        self.pipelined("MDTM", paths, &[213], |r, path| match r.code {
            213 => list::parse_time_val(r.first().trim())
                .map(Some)
                .ok_or_else(|| Error::protocol(format!("MDTM: malformed time {:?}", r.first()))),
            500..=599 => Ok(None),
            _ => Err(refused(r, &format!("MDTM {path}"))),
        })
    }

    /// SIZE for many paths, pipelined like [`Session::mdtm_many`].
    pub fn size_many(&mut self, paths: &[&str]) -> Result<Vec<Result<Option<u64>>>> {
        self.pipelined("SIZE", paths, &[213], |r, path| match r.code {
            213 => r
                .first()
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| Error::protocol(format!("SIZE: malformed size {:?}", r.first()))),
            500..=599 => Ok(None),
            _ => Err(refused(r, &format!("SIZE {path}"))),
        })
    }

    /// Sends `verb path` for every path in batches of [`PIPELINE`] (one write on plain TCP, one TLS record
    /// per command under TLS) and maps each reply with `parse`. The next batch goes out before the
    /// current one's replies are read, so the server always has commands waiting and never idles for a
    /// round trip between batches. At most two batches are in flight (128 command lines out, 128 short
    /// replies back), so neither side's socket buffer fills while the other is still writing, and the
    /// replies wait in our buffer, bounded.
    ///
    /// Replies are read in bursts: before reading a batch, the session waits half the time the server
    /// took per reply in the last batch times the batch's length (at most [`NAP_CAP`]), so the replies
    /// pile up in the socket instead of each waking us (and the server paying for the wakeup). The server
    /// is never kept waiting: the next batch is already queued. Waking early only means reading as
    /// before; the pace is measured again on every batch.
    fn pipelined<T>(
        &mut self,
        verb: &'static str,
        paths: &[&str],
        done: &[u16],
        parse: impl Fn(&Reply, &str) -> Result<T>,
    ) -> Result<Vec<Result<T>>> {
        let mut out = Vec::with_capacity(paths.len());
        self.pipelined_into(verb, paths, done, parse, &mut out)?;
        Ok(out)
    }

    /// [`Session::pipelined`], appending each answer to `out` as it is read: after an outer error, `out`
    /// still holds the answers of the first `out.len()` paths (which a command with effects, DELE, must
    /// not lose).
    fn pipelined_into<T>(
        &mut self,
        verb: &'static str,
        paths: &[&str],
        done: &[u16],
        parse: impl Fn(&Reply, &str) -> Result<T>,
        out: &mut Vec<Result<T>>,
    ) -> Result<()> {
        let mut batches = paths.chunks(PIPELINE).peekable();
        if let Some(first) = batches.peek() {
            self.send_each(verb, first)?;
        }
        // When the server could start on the batch being read: when it was sent, or when the batch
        // before it was answered.
        let mut ready = Instant::now();
        while let Some(batch) = batches.next() {
            if let Some(next) = batches.peek() {
                self.send_each(verb, next)?;
            }
            let n = u32::try_from(batch.len()).unwrap_or(u32::MAX).max(1);
            if let Some(per) = self.reply_pace {
                let due = ready + (per * n / 2).min(NAP_CAP);
                std::thread::sleep(due.saturating_duration_since(Instant::now()));
            }
            for path in batch {
                let r = self.pp.read_reply()?;
                // The verb's completion (`done`: MDTM and SIZE 213, DELE 250) or a refusal; anything
                // else is another command's reply (a connection out of step), and every reply after
                // it would be misattributed.
                if !done.contains(&r.code) && !(400..600).contains(&r.code) {
                    return Err(r.refused_as(&format!("{verb} {path}"), ErrorKind::Protocol));
                }
                out.push(parse(&r, path));
            }
            let now = Instant::now();
            self.reply_pace = Some(now.duration_since(ready) / n);
            ready = now;
        }
        Ok(())
    }

    /// Sends `verb path` for each path of one pipelined batch.
    fn send_each(&mut self, verb: &'static str, paths: &[&str]) -> Result<()> {
        let cmds: Vec<Command> = paths.iter().map(|p| Command::with(verb, *p)).collect();
        self.send_pipelined(&cmds)
    }

    /// Sends `cmds` pipelined: one write on plain TCP, one TLS record per command under TLS (a server
    /// that reads one record, answers the line in it and then waits on the socket, as vsftpd does, would
    /// never see commands left in its TLS buffer).
    fn send_pipelined(&mut self, cmds: &[Command]) -> Result<()> {
        if self.pp.is_tls() {
            for cmd in cmds {
                self.pp.send(cmd)?;
            }
            Ok(())
        } else {
            self.pp.send_batch(cmds)
        }
    }

    /// DELE for many paths, pipelined like [`Session::mdtm_many`] (a tree's files go without a round
    /// trip each), each answer appended to `out`: an inner error is that path's refusal, as
    /// [`Session::dele`] would return it. The outer error is a connection that failed (out of step);
    /// `out` then holds the answers read before it, and the paths after them have none.
    pub fn dele_many(&mut self, paths: &[&str], out: &mut Vec<Result<()>>) -> Result<()> {
        self.pipelined_into(
            "DELE",
            paths,
            &[250, 200],
            |r, path| match r.code {
                250 | 200 => Ok(()),
                _ => Err(refused(r, &format!("DELE {path}"))),
            },
            out,
        )
    }

    /// DELE (RFC 959 §4.1.3).
    pub fn dele(&mut self, path: &str) -> Result<()> {
        self.require(Command::with("DELE", path), &[250, 200])?;
        Ok(())
    }

    /// RMD (RFC 959 §4.1.3): removes an (empty) directory; 250 (some servers say 200).
    pub fn rmd(&mut self, path: &str) -> Result<()> {
        self.require(Command::with("RMD", path), &[250, 200])?;
        Ok(())
    }

    /// RETR (RFC 959 §4.1.3), preceded by REST `offset` when it is not 0 (RFC 3659 §5): opens the download
    /// of `path` from `offset` on. The caller reads the stream (through [`AsciiReader`] after TYPE A),
    /// drops it, then calls [`Session::transfer_complete`].
    pub fn retr(&mut self, path: &str, offset: u64) -> Result<DataStream> {
        self.file_transfer(Command::with("RETR", path), Some(offset))
    }

    /// STOR (RFC 959 §4.1.3): opens the upload of `path`, replacing any file of that name. The caller
    /// writes the data, then [`DataStream::close_write`], then [`Session::transfer_complete`].
    pub fn stor(&mut self, path: &str) -> Result<DataStream> {
        self.file_transfer(Command::with("STOR", path), None)
    }

    /// APPE (RFC 959 §4.1.3): opens an upload appended to `path` (created when missing).
    pub fn appe(&mut self, path: &str) -> Result<DataStream> {
        self.file_transfer(Command::with("APPE", path), None)
    }

    /// [`Session::transfer`] of a file's bytes, which must keep up the minimum rate over every timeout
    /// ([`crate::stall`]; half of a lower `--limit-rate`).
    fn file_transfer(&mut self, cmd: Command, rest: Option<u64>) -> Result<DataStream> {
        let mut data = self.transfer(cmd, rest)?;
        let limit = self.config.limit.as_ref().map(|l| l.rate());
        data.set_min_rate(crate::stall::Trickle::new(
            self.config.session.timeout,
            limit,
        ));
        Ok(data)
    }

    /// MKD (RFC 959 §4.1.3): creates a directory; 257 (some servers say 250).
    pub fn mkd(&mut self, path: &str) -> Result<()> {
        self.require(Command::with("MKD", path), &[257, 250])?;
        Ok(())
    }

    /// RNFR (RFC 959 §4.1.3): names the file to rename; 350 asks for RNTO.
    pub fn rnfr(&mut self, path: &str) -> Result<()> {
        self.require(Command::with("RNFR", path), &[350])?;
        Ok(())
    }

    /// RNTO (RFC 959 §4.1.3): completes a rename started by [`Session::rnfr`]; 250.
    pub fn rnto(&mut self, path: &str) -> Result<()> {
        self.require(Command::with("RNTO", path), &[250, 200])?;
        Ok(())
    }

    /// SITE CHMOD (RFC 959 §4.1.3 SITE; the UNIX servers' de-facto subcommand): sets `path`'s mode, an
    /// octal string such as `644`.
    pub fn site_chmod(&mut self, mode: &str, path: &str) -> Result<()> {
        self.require(
            Command::with("SITE", format!("CHMOD {mode} {path}")),
            &[200, 250],
        )?;
        Ok(())
    }

    /// MLST (RFC 3659 §7): the facts of one path, `None` when the server has none for it (5xx). The
    /// facts line is the reply's second line, a space, the facts and the path.
    pub fn mlst(&mut self, path: &str) -> Result<Option<String>> {
        let r = self.cmd(Command::with("MLST", path))?;
        match r.code {
            250 => Ok(r
                .lines
                .iter()
                .skip(1)
                .find(|l| l.starts_with(' '))
                .map(|l| l.trim_start().to_string())),
            500..=599 => Ok(None),
            _ => Err(refused(&r, &format!("MLST {path}"))),
        }
    }

    /// Whether `path` is a directory, without changing the working directory: MLST's `type` fact when FEAT
    /// offered MLST, else `path`'s entry in its parent's listing (a symlink counts, since the server
    /// follows it when storing into it).
    pub fn is_dir(&mut self, path: &str) -> Result<bool> {
        let path = path.trim_end_matches('/');
        if path.is_empty() {
            return Ok(true);
        }
        if self.features.mlst {
            let Some(facts) = self.mlst(path)? else {
                return Ok(false);
            };
            let facts = facts.split_once(' ').map_or(facts.as_str(), |(f, _)| f);
            return Ok(facts.split(';').any(|f| {
                f.split_once('=').is_some_and(|(k, v)| {
                    k.eq_ignore_ascii_case("type")
                        && matches!(v.to_ascii_lowercase().as_str(), "dir" | "cdir" | "pdir")
                })
            }));
        }
        let (parent, name) = match path.rsplit_once('/') {
            Some(("", n)) => ("/", n),
            Some((p, n)) => (p, n),
            None => ("", path),
        };
        let entries = match self.list_dir(parent) {
            Ok(e) => e,
            Err(e) if e.kind() == ErrorKind::Permanent => return Ok(false),
            Err(e) => return Err(e),
        };
        Ok(entries
            .iter()
            .any(|e| e.name == name && matches!(e.kind, list::Kind::Dir | list::Kind::Link)))
    }

    /// QUIT (RFC 959 §4.1.1): the server's 221 is awaited, but a server that just closes is fine.
    pub fn quit(mut self) {
        let _ = self.cmd(Command::new("QUIT"));
        self.pp.close();
    }

    /// Sets up a data connection: EPSV (PASV fallback) and connect, or an EPRT/PORT listener.
    fn open_data(&mut self) -> Result<data::Pending> {
        let peer = self.pp.peer_addr()?.ip();
        let timeout = self.config.session.connect_timeout;
        let route = &self.config.session.route.clone();
        let proxied = route.proxy.is_some();
        let data_host = if proxied {
            self.host.clone()
        } else {
            peer.to_string()
        };
        if self.config.mode == DataMode::Active {
            let local = self.pp.local_addr()?;
            let listener = data::listen(local)?;
            let addr = listener
                .local_addr()
                .map_err(|e| Error::network("active-mode listener", e))?;
            let r = self.cmd(Command::with("EPRT", data::eprt_arg(addr)))?;
            if r.code != 200 {
                match (r.code, data::port_arg(addr)) {
                    (500..=502, Some(arg)) => {
                        self.require(Command::with("PORT", arg), &[200])?;
                    }
                    _ => return Err(refused(&r, "EPRT")),
                }
            }
            return Ok(data::Pending::Listening(listener, peer));
        }
        if !self.epsv_failed {
            let r = self.cmd(Command::new("EPSV"))?;
            match r.code {
                229 => {
                    let port = data::parse_epsv(r.first()).ok_or_else(|| {
                        Error::protocol(format!("malformed EPSV reply: {}", r.text()))
                    })?;
                    match data::connect(&data_host, port, timeout, route) {
                        Ok(s) => return Ok(data::Pending::Connected(s)),
                        Err(e) => {
                            self.pp
                                .transcript()
                                .note(&format!("EPSV data connection failed ({e}); trying PASV"));
                            self.epsv_failed = true;
                        }
                    }
                }
                500..=502 => self.epsv_failed = true,
                _ => return Err(refused(&r, "EPSV")),
            }
        }
        if peer.is_ipv6() && !proxied {
            return Err(Error::protocol(
                "EPSV failed and PASV cannot reach an IPv6 server",
            ));
        }
        let r = self.require(Command::new("PASV"), &[227])?;
        let port = data::parse_pasv(r.first())
            .ok_or_else(|| Error::protocol(format!("malformed PASV reply: {}", r.text())))?;
        Ok(data::Pending::Connected(data::connect(
            &data_host, port, timeout, route,
        )?))
    }

    /// Runs a transfer command (`RETR`, `LIST`, `MLSD`, `NLST`, `STOR`, `APPE`): data connection, optional REST
    /// (RFC 3659 §5: immediately before the command), the command and its 125/150, then TLS on the data
    /// connection when PROT P is in force. The caller reads or writes the stream, then calls
    /// [`Session::transfer_complete`].
    pub fn transfer(&mut self, cmd: Command, rest: Option<u64>) -> Result<DataStream> {
        let pending = self.open_data()?;
        if let Some(offset) = rest.filter(|&o| o > 0) {
            self.require(Command::with("REST", offset.to_string()), &[350])?;
        }
        let what = cmd.redacted();
        let r = self.cmd(cmd)?;
        if !matches!(r.code, 125 | 150) {
            return Err(self.data_refused(&r, &what));
        }
        let tls = match (&self.config.session.tls, self.protected) {
            (Some(t), true) => Some((t, self.host.as_str())),
            _ => None,
        };
        let stream = match pending.establish(tls, self.config.session.timeout) {
            Ok(s) => s,
            Err(e) => {
                // The server may explain the failure (vsftpd: "522 SSL connection failed: session reuse
                // required"); its words are worth more than ours.
                if let Ok(r) = self.pp.read_reply()
                    && !r.is_ok()
                {
                    let kind = if e.kind() == ErrorKind::Tls {
                        ErrorKind::Tls
                    } else {
                        refused(&r, "").kind()
                    };
                    return Err(Error::new(
                        kind,
                        format!("{}: {} {}", e.context(), r.code, r.text()),
                    ));
                }
                return Err(e);
            }
        };
        if self.protected {
            let note = if stream.resumed() {
                "data connection: TLS session resumed"
            } else {
                "data connection: TLS (new session)"
            };
            self.pp.transcript().note(note);
        }
        Ok(stream)
    }

    /// The reply that ends a transfer: 226 or 250 (RFC 959 §4.2). 426/451 mean the data was cut short.
    pub fn transfer_complete(&mut self, what: &str) -> Result<()> {
        let r = self.pp.read_reply()?;
        match r.code {
            226 | 250 => Ok(()),
            _ => Err(self.data_refused(&r, what)),
        }
    }

    /// The error for a transfer the server refused or aborted. On a protected session a 522 (RFC 4217
    /// §10.2; vsftpd's "session reuse required") means the data connection's TLS was not accepted,
    /// typically because it did not resume the control connection's session: a TLS failure (exit 4).
    fn data_refused(&self, r: &Reply, what: &str) -> Error {
        if !(self.protected && r.code == 522) {
            return refused(r, what);
        }
        let hint = if cfg!(feature = "rustls") {
            ""
        } else {
            " (this build's TLS backend cannot resume TLS sessions; use the default rustls build)"
        };
        Error::new(
            ErrorKind::Tls,
            format!("{what}: {} {}{hint}", r.code, r.text()),
        )
    }

    /// Lists `path` (or the current directory): MLSD when FEAT offered MLST, else LIST, parsed; lines that
    /// cannot be parsed are returned as names only. A LIST that is the directory's own line (vsftpd's
    /// answer for a directory it may not read, see [`list_all`]) is an error.
    pub fn list_dir(&mut self, path: &str) -> Result<Vec<list::Entry>> {
        let entries = self.list_plain(path)?;
        if list::lists_own_line(path, &entries) && self.lists_itself(path)? {
            return Err(list_all::not_listable(path));
        }
        Ok(entries)
    }

    /// [`Session::list_dir`] without the check of a listing that is only the directory's own line.
    fn list_plain(&mut self, path: &str) -> Result<Vec<list::Entry>> {
        let (verb, mlsd) = if self.features.mlst {
            ("MLSD", true)
        } else {
            ("LIST", false)
        };
        let lines = self.listing(verb, path)?;
        if mlsd {
            self.cdir_unique = lines.iter().find_map(|l| list::cdir_unique(l));
            self.cdir_modified = lines.iter().find_map(|l| list::cdir_modified(l));
        } else {
            self.cdir_modified = None;
        }
        Ok(lines
            .iter()
            .filter_map(|l| {
                if mlsd {
                    list::parse_mlsd(l)
                } else {
                    list::parse_list(l)
                }
            })
            .collect())
    }

    /// The `unique` fact (RFC 3659 §7.5.2) the last MLSD gave the listed directory itself, once.
    pub fn take_cdir_unique(&mut self) -> Option<String> {
        self.cdir_unique.take()
    }

    /// The time the last listing gave the listed directory itself (MLSD's `type=cdir` line, `LIST
    /// -a`'s `.`), once.
    pub fn take_cdir_modified(&mut self) -> Option<String> {
        self.cdir_modified.take()
    }

    /// NLST (RFC 959 §4.1.3): bare names. One name that is the directory's own is checked as
    /// [`Session::list_dir`] checks its LIST (an error when the server lists the directory itself).
    pub fn nlst(&mut self, path: &str) -> Result<Vec<String>> {
        let names: Vec<String> = self
            .listing("NLST", path)?
            .into_iter()
            .map(|l| match l.rsplit_once('/') {
                Some((_, name)) if !path.is_empty() => name.to_string(),
                _ => l,
            })
            .filter(|l| !l.is_empty())
            .collect();
        if list::only_own_name(path, names.iter().map(String::as_str)) && self.lists_itself(path)? {
            return Err(list_all::not_listable(path));
        }
        Ok(names)
    }

    /// Runs a listing command (`MLSD`, `LIST`, `NLST`) on `path` ([`list_arg`]) and returns its lines. The listing must
    /// arrive whole within one timeout, as a reply must ([`DataStream::set_deadline`]). The final reply
    /// is read even when the data failed, so the control connection stays in step, except after a
    /// timeout: the server that kept the listing from ending would keep its reply too (the session is
    /// dropped then).
    fn listing(&mut self, verb: &'static str, path: &str) -> Result<Vec<String>> {
        self.listing_with(verb, &list_arg(path))
    }

    /// [`Session::listing`] with the command's whole argument (`LIST -a dir`).
    fn listing_with(&mut self, verb: &'static str, path: &str) -> Result<Vec<String>> {
        let cmd = if path.is_empty() {
            Command::new(verb)
        } else {
            Command::with(verb, path)
        };
        let what = cmd.redacted();
        let mut data = self.transfer(cmd, None)?;
        data.set_deadline(Instant::now() + self.config.session.timeout);
        let mut stream = data.paced(self.config.limit.clone());
        let lines = list::read_lines(&mut stream);
        drop(stream);
        if let Err(e) = &lines
            && e.kind() == ErrorKind::Timeout
        {
            return lines.map_err(|e| e.within(&what));
        }
        let done = self.transfer_complete(&what);
        let lines = lines?;
        done?;
        Ok(lines)
    }

    /// The session's settings.
    pub fn config(&self) -> &Config {
        &self.config
    }
}
