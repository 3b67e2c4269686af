//! The `mime-decode` binary: everything lives in `ferry::cli`.
fn main() -> std::process::ExitCode {
    ferry::cli::mime_decode::main()
}
