fn main() -> std::process::ExitCode {
    ferry::cli::imap_fetch::main()
}
