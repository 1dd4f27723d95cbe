fn main() -> std::process::ExitCode {
    docsfs::cli::main()
}
