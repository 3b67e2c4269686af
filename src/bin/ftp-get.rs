//! The `ftp-get` binary: everything lives in `ferry::cli`.
fn main() -> std::process::ExitCode {
    ferry::cli::ftp_get::main()
}
