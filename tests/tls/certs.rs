//! Throwaway certificates made with rcgen: a CA, and the server and client
//! certificates it issues (also expired ones). Shared by `tests/tls.rs` and
//! `examples/gen-certs.rs`; each uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SerialNumber,
};

/// The names a server certificate is valid for.
pub const SERVER_NAMES: [&str; 2] = ["localhost", "127.0.0.1"];

pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate and its private key, PEM and DER.
pub struct Leaf {
    pub cert_pem: String,
    pub key_pem: String,
    pub cert_der: Vec<u8>,
}

impl Ca {
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("no names");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("key");
        Self {
            issuer: CertifiedIssuer::self_signed(params, key).expect("CA certificate"),
        }
    }

    pub fn cert_pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate for localhost and 127.0.0.1; `serial` and the
    /// common name tell two of them apart.
    pub fn server(&self, serial: u64) -> Leaf {
        let names = SERVER_NAMES.map(String::from).to_vec();
        let mut params = CertificateParams::new(names).expect("valid names");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.issue(params, &format!("arvak test server {serial}"), serial)
    }

    pub fn client(&self, name: &str) -> Leaf {
        self.issue(client_params(), name, 1000)
    }

    /// A client certificate that ended in 2021.
    pub fn expired_client(&self, name: &str) -> Leaf {
        let mut params = client_params();
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        self.issue(params, name, 1001)
    }

    fn issue(&self, mut params: CertificateParams, name: &str, serial: u64) -> Leaf {
        params.distinguished_name.push(DnType::CommonName, name);
        params.serial_number = Some(SerialNumber::from(serial));
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &*self.issuer).expect("certificate");
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            cert_der: cert.der().to_vec(),
        }
    }
}

fn client_params() -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("no names");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params
}

impl Leaf {
    /// Writes `<stem>.crt` and `<stem>.key` into `dir`, each by writing a
    /// temporary file and renaming it over the old one (as one should
    /// replace certificates in service). Returns both paths.
    pub fn write(&self, dir: &Path, stem: &str) -> (PathBuf, PathBuf) {
        let cert = dir.join(format!("{stem}.crt"));
        let key = dir.join(format!("{stem}.key"));
        write_atomically(&cert, &self.cert_pem);
        write_atomically(&key, &self.key_pem);
        (cert, key)
    }
}

pub fn write_atomically(path: &Path, content: &str) {
    let staging = path.with_extension("new");
    std::fs::write(&staging, content).expect("write");
    std::fs::rename(&staging, path).expect("rename");
}
