//! The `smtp-send` binary: everything lives in `ferry::cli`.
fn main() -> std::process::ExitCode {
    ferry::cli::smtp_send::main()
}
