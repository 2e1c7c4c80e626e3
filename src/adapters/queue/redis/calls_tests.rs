//! Calls that go unanswered: a proxy in front of the real Redis holds back
//! the answers on the connections open when it stalls, as a process
//! paused with answers on its sockets, or a Redis slow to answer, would.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::calls::Calls;
use super::connections::{QueueConnections, RESPONSE_TIMEOUT};
use super::scripts;
use crate::domain::ErrorKind;

fn redis_addr() -> String {
    let url = std::env::var("ARVAK_TEST_REDIS_URL").expect(
        "ARVAK_TEST_REDIS_URL is not set: this test needs a Redis (e.g. redis://127.0.0.1:6379)",
    );
    url.trim_start_matches("redis://")
        .trim_end_matches('/')
        .to_owned()
}

/// Forwards to Redis; once `stall` is set, connections opened before it
/// get no more answers, while new ones pass.
async fn stalling_proxy(stall: Arc<AtomicBool>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let upstream = redis_addr();
    tokio::spawn(async move {
        loop {
            let (client, _) = listener.accept().await.unwrap();
            let server = TcpStream::connect(&upstream).await.unwrap();
            let opened_stalled = stall.load(Ordering::SeqCst);
            let stall = stall.clone();
            let (mut client_read, mut client_write) = client.into_split();
            let (mut server_read, mut server_write) = server.into_split();
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
            });
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 16 * 1024];
                loop {
                    let Ok(read) = server_read.read(&mut buffer).await else {
                        return;
                    };
                    if read == 0 {
                        return;
                    }
                    if stall.load(Ordering::SeqCst) && !opened_stalled {
                        // Held back for good: the caller must give up.
                        std::future::pending::<()>().await;
                    }
                    if client_write.write_all(&buffer[..read]).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("redis://{addr}")
}

async fn calls_through(url: &str) -> Calls {
    let pool = bb8::Pool::builder()
        .max_size(1)
        .test_on_check_out(false)
        .build(QueueConnections::new(url).unwrap())
        .await
        .unwrap();
    Calls {
        pool,
        prefix: format!("arvak-test-{}", uuid::Uuid::now_v7()),
    }
}

/// Counting the waiting jobs, a read, is asked again on a new connection
/// when the first call goes unanswered, so the client gets its answer
/// instead of UNAVAILABLE.
#[tokio::test]
async fn an_unanswered_read_is_asked_again_on_a_new_connection() {
    let stall = Arc::new(AtomicBool::new(false));
    let calls = calls_through(&stalling_proxy(stall.clone()).await).await;
    let args = vec![String::new()];
    let before: Vec<u64> = calls
        .run_repeatable(&scripts::WAITING, &args, "counting waiting jobs")
        .await
        .expect("answered before the stall");

    stall.store(true, Ordering::SeqCst);
    let started = std::time::Instant::now();
    let after: Vec<u64> = calls
        .run_repeatable(&scripts::WAITING, &args, "counting waiting jobs")
        .await
        .expect("answered on the second connection");
    assert_eq!(after, before);
    assert!(
        started.elapsed() >= RESPONSE_TIMEOUT,
        "the first call waited out its timeout"
    );
}

/// A script that must not run twice (a claim) is not sent again: the
/// caller hears UNAVAILABLE, saying the call timed out.
#[tokio::test]
async fn an_unanswered_claim_is_not_sent_again() {
    let stall = Arc::new(AtomicBool::new(false));
    let calls = calls_through(&stalling_proxy(stall.clone()).await).await;
    let args = vec!["1000".to_owned(), "1".to_owned(), "sim".to_owned()];
    let _: Vec<Option<(String, String, String)>> = calls
        .run(&scripts::CLAIM, &args, "claiming")
        .await
        .expect("answered before the stall");

    stall.store(true, Ordering::SeqCst);
    let refused = calls
        .run::<Vec<Option<(String, String, String)>>>(&scripts::CLAIM, &args, "claiming")
        .await
        .expect_err("no answer");
    assert_eq!(refused.kind(), ErrorKind::Unavailable);
    assert_eq!(
        refused.to_string(),
        "job queue (Redis): claiming: timed out"
    );
}
