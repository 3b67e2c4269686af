//! POP3 tool: `pop3-fetch` (the run and its sessions), what one session handles (`plan`), the UIDL state
//! journal (`state`) and the search for messages an interrupted run may have stored (`stored`).

pub mod fetch;
pub mod plan;
pub mod state;
pub mod stored;

#[cfg(test)]
mod tests;
