fn main() -> std::process::ExitCode {
    ferry::cli::smtp_send::main()
}
