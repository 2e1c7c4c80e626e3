//! Writes a throwaway CA and a server certificate for localhost and
//! 127.0.0.1 (and a client certificate for mTLS) into a directory, for
//! trying TLS locally and for `bench/tls-throughput.sh`. Never for
//! production: the keys are written unprotected and nothing revokes them.
//!
//! ```sh
//! cargo run --example gen-certs -- DIR
//! ```
//! writes `ca.crt`, `server.crt`, `server.key`, `client.crt`, `client.key`.

#[path = "../tests/tls/certs.rs"]
mod certs;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: gen-certs DIR");
        return ExitCode::from(2);
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("gen-certs: cannot create {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    let ca = certs::Ca::new("arvak throwaway CA");
    certs::write_atomically(&dir.join("ca.crt"), &ca.cert_pem());
    ca.server(1).write(&dir, "server");
    ca.client("arvak-bench").write(&dir, "client");
    println!("{}", dir.display());
    ExitCode::SUCCESS
}
