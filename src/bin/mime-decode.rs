fn main() -> std::process::ExitCode {
    ferry::cli::mime_decode::main()
}
