fn main() -> std::process::ExitCode {
    ferry::cli::pop3_fetch::main()
}
