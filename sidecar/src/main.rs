fn main() {
    eprintln!("tack-sidecar: under construction");
    std::process::exit(2);
}
