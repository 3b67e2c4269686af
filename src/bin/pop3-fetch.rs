//! The `pop3-fetch` binary: everything lives in `ferry::cli`.
fn main() -> std::process::ExitCode {
    ferry::cli::pop3_fetch::main()
}
