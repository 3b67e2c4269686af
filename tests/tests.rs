//! The one integration-test harness: scripted-server tests per tool, exit codes, generated files, and the
//! real-server interop suite (tests/interop/start.sh starts the servers; with CI=true a missing server is a
//! failure, not a skip).

mod support;

mod exit_codes;
mod faults;
mod ftp_get;
mod ftp_ls;
mod ftp_put;
mod ftp_rm;
mod ftp_sync;
mod generated;
mod hints;
mod imap_fetch;
mod imap_fetch_list;
mod imap_fetch_watch;
mod imap_mailbox;
mod imap_message;
mod install;
mod interop;
mod layers;
mod limit_rate;
mod mime;
mod network;
mod pop3_fetch;
mod signals;
mod smtp_queue;
mod smtp_send;
mod smtp_send_mx;
mod smtp_settings;
mod tx_log;
