//! A scripted DNS server on loopback UDP for the `smtp-send --mx` tests, built on hickory-proto (the
//! message codec hickory-resolver itself uses): answers from a fixed table, NXDOMAIN for unknown names,
//! NODATA for a known name without records of the asked type, SERVFAIL or silence where the table says.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, MX};
use hickory_proto::rr::{Name, RData, Record, RecordType};

/// One entry of the table.
#[derive(Clone, Debug)]
pub enum Rec {
    /// MX preference exchange.
    Mx(u16, &'static str),
    /// The null MX `0 .` (RFC 7505).
    NullMx,
    /// An A record.
    A(&'static str),
    /// An AAAA record.
    Aaaa(&'static str),
    /// Every query for the name fails with SERVFAIL.
    ServFail,
    /// Queries for the name go unanswered.
    Silent,
}

/// The running server.
pub struct DnsServer {
    /// Where it listens (UDP).
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    queries: Arc<Mutex<Vec<String>>>,
    handle: Option<JoinHandle<()>>,
}

fn name(n: &str) -> Name {
    Name::from_ascii(format!("{}.", n.trim_end_matches('.'))).unwrap()
}

fn answer(table: &[(&'static str, Rec)], query: &Message) -> Option<Message> {
    let q = query.queries.first()?;
    let qname = q
        .name()
        .to_ascii()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let qtype = q.query_type();
    let mut resp = Message::response(query.metadata.id, query.metadata.op_code);
    resp.metadata.recursion_desired = query.metadata.recursion_desired;
    resp.metadata.recursion_available = true;
    resp.metadata.authoritative = true;
    resp.add_query(q.clone());
    let entries: Vec<&Rec> = table
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(&qname))
        .map(|(_, r)| r)
        .collect();
    if entries.is_empty() {
        resp.metadata.response_code = ResponseCode::NXDomain;
        return Some(resp);
    }
    for r in entries {
        let rdata = match (r, qtype) {
            (Rec::Silent, _) => return None,
            (Rec::ServFail, _) => {
                resp.metadata.response_code = ResponseCode::ServFail;
                return Some(resp);
            }
            (Rec::Mx(p, h), RecordType::MX) => RData::MX(MX::new(*p, name(h))),
            (Rec::NullMx, RecordType::MX) => RData::MX(MX::new(0, Name::root())),
            (Rec::A(ip), RecordType::A) => RData::A(A(ip.parse().unwrap())),
            (Rec::Aaaa(ip), RecordType::AAAA) => RData::AAAA(AAAA(ip.parse().unwrap())),
            _ => continue,
        };
        resp.add_answer(Record::from_rdata(name(&qname), 60, rdata));
    }
    Some(resp)
}

impl DnsServer {
    /// Serves `table` on 127.0.0.1 until dropped (or for 60 s at most).
    pub fn start(table: Vec<(&'static str, Rec)>) -> DnsServer {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let addr = sock.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let queries = Arc::new(Mutex::new(Vec::new()));
        let (stop2, queries2) = (stop.clone(), queries.clone());
        let handle = std::thread::spawn(move || {
            let end = Instant::now() + Duration::from_secs(60);
            let mut buf = [0u8; 4096];
            while !stop2.load(Ordering::Relaxed) && Instant::now() < end {
                let Ok((n, peer)) = sock.recv_from(&mut buf) else {
                    continue;
                };
                let Ok(query) = Message::from_vec(&buf[..n]) else {
                    continue;
                };
                if let Some(q) = query.queries.first() {
                    queries2.lock().unwrap().push(format!(
                        "{} {}",
                        q.query_type(),
                        q.name().to_ascii().trim_end_matches('.')
                    ));
                }
                if let Some(resp) = answer(&table, &query) {
                    let _ = sock.send_to(&resp.to_vec().unwrap(), peer);
                }
            }
        });
        DnsServer {
            addr,
            stop,
            queries,
            handle: Some(handle),
        }
    }

    /// `--dns-server` for it.
    pub fn arg(&self) -> String {
        self.addr.to_string()
    }

    /// The queries seen so far (`MX a.test`), in order, each once.
    pub fn queries(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for q in self.queries.lock().unwrap().iter() {
            if !v.contains(q) {
                v.push(q.clone());
            }
        }
        v
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
