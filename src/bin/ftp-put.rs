fn main() -> std::process::ExitCode {
    ferry::cli::ftp_put::main()
}
