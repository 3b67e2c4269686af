fn main() -> std::process::ExitCode {
    ferry::cli::mime_encode::main()
}
