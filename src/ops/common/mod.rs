//! What every tool's orchestration shares, so each cross-tool rule exists once: the reporter ([`Ui`]),
//! the retry loop ([`with_retries`]), the connector ([`Connector`], [`NetOptions`]) and the per-item
//! results with the rule that turns them into an exit code ([`ItemResult`], [`Tally`]), and the
//! transaction log those results are written to ([`TxLog`], through [`Ui::log`]).

pub mod connect;
pub mod log;
pub mod report;
pub mod retry;
pub mod ui;

pub use connect::{Connector, Login, NetOptions};
pub use log::{LogDest, LogRecord, TxLog};
pub use report::{ItemResult, ItemStatus, Tally};
pub use retry::{RetryPolicy, with_retries};
pub use ui::{OutputMode, Ui};
