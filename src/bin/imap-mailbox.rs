fn main() -> std::process::ExitCode {
    ferry::cli::imap_mailbox::main()
}
