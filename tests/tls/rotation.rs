//! Certificates replaced on disk take over for new handshakes without a
//! restart; connections already open carry on; a broken set is refused and
//! the one in service stays; every attempt is audited.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use arvak_grpc::adapters::clock::SystemClock;
use arvak_grpc::adapters::transport::tls::{ServerTls, TlsSettings};
use arvak_grpc::ports::{AuditAction, AuditEvent, AuditLog};
use tokio::sync::watch;

use super::certs::{Ca, write_atomically};
use super::server::{eventually, list_backends, list_backends_on, spawn_tls_app};

#[tokio::test]
async fn a_new_pair_on_disk_serves_new_connections_while_open_ones_carry_on() {
    let app = spawn_tls_app(None, 10).await;
    let early = app.client(None);
    let open_channel = early.channel(&app.addr).await.unwrap();
    list_backends_on(&open_channel).await.unwrap();
    assert_eq!(
        early.last_server_certificate(),
        Some(app.server.cert_der.clone())
    );

    let renewed = app.ca.server(2);
    renewed.write(app.dir.path(), "server");
    eventually(
        "a new handshake showing the renewed certificate",
        || async {
            let late = app.client(None);
            list_backends(&late, &app.addr).await.is_ok()
                && late.last_server_certificate() == Some(renewed.cert_der.clone())
        },
    )
    .await;

    list_backends_on(&open_channel)
        .await
        .expect("the connection opened before the reload still answers");
    assert_eq!(
        early.handshakes(),
        1,
        "on the same connection, not a new one"
    );
}

#[tokio::test]
async fn a_broken_pair_is_refused_and_the_old_one_keeps_serving() {
    let app = spawn_tls_app(None, 10).await;
    let key_path = app.dir.path().join("server.key");
    for broken_key in [
        "not a key at all".to_owned(),
        app.ca.server(3).key_pem, // a key that belongs to another certificate
    ] {
        write_atomically(&key_path, &broken_key);
        // Nothing to poll for: the server shows no sign of a refusal to a
        // client. Two reload intervals (1 s each) give it time to try.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let client = app.client(None);
        list_backends(&client, &app.addr)
            .await
            .expect("new handshakes still work");
        assert_eq!(
            client.last_server_certificate(),
            Some(app.server.cert_der.clone())
        );
    }

    // Mending the files brings the new pair in.
    let renewed = app.ca.server(4);
    renewed.write(app.dir.path(), "server");
    eventually("the mended pair in service", || async {
        let client = app.client(None);
        list_backends(&client, &app.addr).await.is_ok()
            && client.last_server_certificate() == Some(renewed.cert_der.clone())
    })
    .await;
}

#[derive(Default)]
struct RecordedAudit(Mutex<Vec<AuditEvent>>);

impl AuditLog for RecordedAudit {
    fn record(&self, event: AuditEvent) {
        self.0.lock().unwrap().push(event);
    }
}

impl RecordedAudit {
    fn outcomes(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|e| e.outcome.clone())
            .collect()
    }
}

#[tokio::test]
async fn each_reload_is_audited_ok_or_refused_and_a_refusal_keeps_the_config() {
    let ca = Ca::new("server CA");
    let dir = tempfile::tempdir().unwrap();
    let first = ca.server(1);
    let (cert_path, key_path) = first.write(dir.path(), "server");
    let tls = ServerTls::load(TlsSettings {
        cert_path,
        key_path: key_path.clone(),
        client_ca_path: None,
        require_client_cert: false,
        reload_interval: Duration::from_millis(50),
        handshake_timeout: Duration::from_secs(10),
    })
    .unwrap();
    let audit = Arc::new(RecordedAudit::default());
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(tls.keep_current(audit.clone(), Arc::new(SystemClock), stopped));
    let in_service = tls.current();

    let other_key = ca.server(2).key_pem;
    write_atomically(&key_path, &other_key);
    eventually("a refused reload", || async {
        audit.outcomes() == ["refused"]
    })
    .await;
    assert!(
        Arc::ptr_eq(&in_service, &tls.current()),
        "the old config stays"
    );
    {
        let events = audit.0.lock().unwrap();
        let event = &events[0];
        assert_eq!(event.action, AuditAction::CertificateReloaded);
        assert!(event.detail.contains("does not belong"), "{}", event.detail);
        assert!(!event.detail.contains("PRIVATE KEY"), "{}", event.detail);
    }

    ca.server(3).write(dir.path(), "server");
    eventually("an accepted reload", || async {
        audit.outcomes() == ["refused", "ok"]
    })
    .await;
    assert!(!Arc::ptr_eq(&in_service, &tls.current()), "a new config");

    // Unchanged files are not reloaded again.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(audit.outcomes(), ["refused", "ok"]);
    let _ = stop.send(true);
}
