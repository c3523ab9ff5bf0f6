fn main() {
    for f in std::env::args().skip(1) {
        match hfsim::scenario::load_file(std::path::Path::new(&f), &[]) {
            Ok(l) => println!(
                "{f}: ok, {} endpoints, sha {}",
                l.scenario.endpoints.len(),
                &l.sha256[..12]
            ),
            Err(e) => print!("{e}"),
        }
    }
}
