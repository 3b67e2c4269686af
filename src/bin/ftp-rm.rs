//! The `ftp-rm` binary: everything lives in `ferry::cli`.
fn main() -> std::process::ExitCode {
    ferry::cli::ftp_rm::main()
}
