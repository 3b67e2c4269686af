//! The `imap-message` binary: everything lives in `ferry::cli`.
fn main() -> std::process::ExitCode {
    ferry::cli::imap_message::main()
}
