//! Loading the files: every way they can be wrong is refused at load with
//! the file's name and what was wrong, and never with the key's content.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{ServerTls, TlsSettings};

struct Files {
    dir: tempfile::TempDir,
    cert_pem: String,
    key_pem: String,
}

fn files() -> Files {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    Files {
        dir: tempfile::tempdir().unwrap(),
        cert_pem: certified.cert.pem(),
        key_pem: certified.signing_key.serialize_pem(),
    }
}

impl Files {
    fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    fn settings(&self, cert: &Path, key: &Path) -> TlsSettings {
        TlsSettings {
            cert_path: cert.to_owned(),
            key_path: key.to_owned(),
            client_ca_path: None,
            require_client_cert: false,
            reload_interval: Duration::from_secs(5),
            handshake_timeout: Duration::from_secs(10),
        }
    }

    /// The good pair, as written to cert.pem and key.pem.
    fn good(&self) -> TlsSettings {
        let cert = self.write("cert.pem", &self.cert_pem);
        let key = self.write("key.pem", &self.key_pem);
        self.settings(&cert, &key)
    }
}

fn load_error(settings: TlsSettings) -> String {
    match ServerTls::load(settings) {
        Ok(_) => panic!("the files were accepted"),
        Err(e) => e.message().to_owned(),
    }
}

#[test]
fn a_good_pair_loads_and_offers_h2() {
    let files = files();
    let tls = ServerTls::load(files.good()).unwrap();
    assert_eq!(tls.current().alpn_protocols, vec![b"h2".to_vec()]);
}

#[test]
fn a_missing_file_is_named() {
    let files = files();
    let mut settings = files.good();
    settings.key_path = files.dir.path().join("nowhere.pem");
    let message = load_error(settings);
    assert!(message.contains("nowhere.pem"), "{message}");
    assert!(message.contains("private key file"), "{message}");
    assert!(message.contains("does not exist"), "{message}");
}

#[test]
fn a_certificate_file_without_a_certificate_is_refused() {
    let files = files();
    let cert = files.write("cert.pem", &files.key_pem);
    let key = files.write("key.pem", &files.key_pem);
    let message = load_error(files.settings(&cert, &key));
    assert!(message.contains("cert.pem"), "{message}");
    assert!(message.contains("no certificate"), "{message}");
}

#[test]
fn a_key_file_without_a_key_is_refused() {
    let files = files();
    let cert = files.write("cert.pem", &files.cert_pem);
    let key = files.write("key.pem", &files.cert_pem);
    let message = load_error(files.settings(&cert, &key));
    assert!(message.contains("key.pem"), "{message}");
    assert!(message.contains("no private key"), "{message}");
}

#[test]
fn a_broken_key_is_refused_without_quoting_it() {
    let files = files();
    let cert = files.write("cert.pem", &files.cert_pem);
    let secret = "c2VjcmV0LWtleS1tYXRlcmlhbA==";
    for body in [
        format!("-----BEGIN PRIVATE KEY-----\n{secret}\n-----END PRIVATE KEY-----\n"),
        format!("-----BEGIN PRIVATE KEY-----\n{secret}!!\n-----END PRIVATE KEY-----\n"),
        format!("-----BEGIN PRIVATE KEY-----\n{secret}\n"),
    ] {
        let key = files.write("key.pem", &body);
        let message = load_error(files.settings(&cert, &key));
        assert!(message.contains("key.pem"), "{message}");
        assert!(!message.contains("c2VjcmV0"), "the key leaked: {message}");
    }
}

#[test]
fn a_key_of_another_certificate_is_refused() {
    let files = files();
    let other = rcgen::KeyPair::generate().unwrap();
    let cert = files.write("cert.pem", &files.cert_pem);
    let key = files.write("other-key.pem", &other.serialize_pem());
    let message = load_error(files.settings(&cert, &key));
    assert!(message.contains("does not belong"), "{message}");
    assert!(
        message.contains("other-key.pem") && message.contains("cert.pem"),
        "{message}"
    );
}

#[test]
fn an_empty_client_ca_file_is_refused() {
    let files = files();
    let mut settings = files.good();
    settings.client_ca_path = Some(files.write("ca.pem", ""));
    let message = load_error(settings);
    assert!(message.contains("client CA file"), "{message}");
    assert!(message.contains("ca.pem"), "{message}");
    assert!(message.contains("no certificate"), "{message}");
}

#[test]
fn required_client_certificates_need_a_client_ca() {
    let files = files();
    let mut settings = files.good();
    settings.require_client_cert = true;
    let message = load_error(settings);
    assert!(message.contains("client_ca_path"), "{message}");
}
